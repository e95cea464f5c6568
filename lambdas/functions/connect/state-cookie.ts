import type { APIGatewayProxyEvent } from 'aws-lambda';
import { sha256 } from '../../connect/oauth-session-store';
import { header } from '../../http/request-parts';

/**
 * The cookie that binds an OAuth flow to the browser that started it. Its name derives from the
 * state (so parallel flows in one browser do not collide) and its value is a random secret whose
 * hash the OAuth session keeps. SameSite=Lax: the provider's redirect back is a top-level GET,
 * which carries Lax cookies; nothing cross-site can read or replay it.
 */

const MAX_AGE_S = 600;

function nameOf(state: string): string {
  return `latchkey_oauth_${sha256(state).toString('hex').slice(0, 24)}`;
}

export const stateCookie = {
  set(state: string, value: string, path: string, secure: boolean): string {
    return [`${nameOf(state)}=${value}`, `Path=${path}`, `Max-Age=${MAX_AGE_S}`, 'HttpOnly', 'SameSite=Lax', ...(secure ? ['Secure'] : [])].join('; ');
  },

  clear(state: string, path: string, secure: boolean): string {
    return [`${nameOf(state)}=`, `Path=${path}`, 'Max-Age=0', 'HttpOnly', 'SameSite=Lax', ...(secure ? ['Secure'] : [])].join('; ');
  },

  /** The binding the request carries for `state` (the OAuth callback checks it against the session's hash). */
  read(event: APIGatewayProxyEvent, state: string): string | undefined {
    return cookies(event).get(nameOf(state)) || undefined;
  },
};

function cookies(event: APIGatewayProxyEvent): Map<string, string> {
  const out = new Map<string, string>();
  const raw = [...(event.multiValueHeaders?.cookie ?? event.multiValueHeaders?.Cookie ?? []), header(event, 'cookie') ?? ''];
  for (const line of raw) {
    for (const part of line.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
  }
  return out;
}
