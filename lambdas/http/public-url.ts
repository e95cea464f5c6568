import type { APIGatewayProxyEvent } from 'aws-lambda';
import { setting } from '../platform/config';
import { header } from './request-parts';

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const EXECUTE_API = /\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?::\d+)?$/i;

/**
 * The API's public base URL as the caller reached it, for links we hand out (integration logos,
 * `connect_link`): scheme from X-Forwarded-Proto (API Gateway sets it; https otherwise), host from
 * the Host header (API Gateway only routes requests whose Host is one of the API's own names) or
 * else the request context. The default execute-api endpoint serves the API under `/<stage>`; a
 * custom domain (mapped at its root) and the local stand-in do not.
 */
export function publicBaseUrl(event: APIGatewayProxyEvent): string {
  const forwarded = header(event, 'x-forwarded-proto')?.split(',')[0].trim().toLowerCase();
  const scheme = forwarded === 'http' ? 'http' : 'https';
  const candidates = [header(event, 'host'), event.requestContext?.domainName];
  const host = candidates.find((value): value is string => typeof value === 'string' && HOST.test(value)) ?? 'localhost';
  return `${scheme}://${host}${stagePrefix(host, event)}`;
}

/**
 * The API's public base URL from what the caller cannot forge, for URLs that must not move (OAuth
 * redirect URIs): LATCHKEY_PUBLIC_URL (a custom domain), else the domain API Gateway itself reports
 * in the request context. Never the Host header.
 */
export function trustedPublicBaseUrl(event: APIGatewayProxyEvent): string {
  const configured = setting('LATCHKEY_PUBLIC_URL');
  if (configured) return configured.replace(/\/+$/, '');
  const domain = event.requestContext?.domainName;
  if (!domain) throw new Error('No public URL: set LATCHKEY_PUBLIC_URL');
  return `https://${domain}${stagePrefix(domain, event)}`;
}

/** The default execute-api endpoint serves the API under `/<stage>`; custom domains are mapped at the root. */
function stagePrefix(host: string, event: APIGatewayProxyEvent): string {
  const stage = event.requestContext?.stage;
  return EXECUTE_API.test(host) && stage && /^[A-Za-z0-9_-]+$/.test(stage) ? `/${stage}` : '';
}
