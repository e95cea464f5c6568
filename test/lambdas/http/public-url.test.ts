import type { APIGatewayProxyEvent } from 'aws-lambda';
import { publicBaseUrl } from '../../../lambdas/http/public-url';

function event(headers: Record<string, string>, requestContext: Partial<APIGatewayProxyEvent['requestContext']> = {}): APIGatewayProxyEvent {
  return { headers, requestContext: { stage: 'prod', domainName: 'fallback.example.com', ...requestContext } } as unknown as APIGatewayProxyEvent;
}

describe('publicBaseUrl', () => {
  test.each([
    ['the default execute-api endpoint keeps its stage prefix', { Host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'X-Forwarded-Proto': 'https' }, 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod'],
    ['a custom domain is mapped at its root', { host: 'vault.example.com', 'x-forwarded-proto': 'https' }, 'https://vault.example.com'],
    ['the local stand-in: http, port, no stage', { host: '127.0.0.1:4010', 'X-Forwarded-Proto': 'http' }, 'http://127.0.0.1:4010'],
    ['no scheme header means https', { host: 'vault.example.com' }, 'https://vault.example.com'],
    ['an odd scheme is not echoed', { host: 'vault.example.com', 'x-forwarded-proto': 'javascript' }, 'https://vault.example.com'],
    ['a malformed Host falls back to the request context', { host: 'evil.example.com/path?x=<script>' }, 'https://fallback.example.com'],
    ['an IPv6 host', { host: '[::1]:4010', 'x-forwarded-proto': 'http' }, 'http://[::1]:4010'],
  ])('%s', (_name, headers, expected) => {
    expect(publicBaseUrl(event(headers))).toBe(expected);
  });

  test('without any usable host it still answers a URL', () => {
    expect(publicBaseUrl(event({}, { domainName: 'bad host' }))).toBe('https://localhost');
  });
});
