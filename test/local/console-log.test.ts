import { briefLine, logFormat, requestLine } from '../../local/console-log';

/* What `npm start` prints by default (test/e2e/npm-start.test.ts runs it for real). */

describe('requestLine', () => {
  test('method, path, status, latency and function on one line', () => {
    expect(requestLine({ method: 'GET', path: '/connections/abc', status: 200, latencyMs: 12, function: 'api' })).toBe('GET /connections/abc 200 12 ms api');
    expect(requestLine({ method: 'GET', path: '/nowhere', status: 403, latencyMs: 1, function: '' })).toBe('GET /nowhere 403 1 ms -');
  });

  test('never a query string: it may carry connect_session_token, session_token, code or state', () => {
    const line = requestLine({ method: 'GET', path: '/oauth/callback?code=c0de&state=st4te&session_token=s3ss&connect_session_token=t0k', status: 200, latencyMs: 3, function: 'connect' });
    expect(line).toBe('GET /oauth/callback 200 3 ms connect');
  });

  test('a very long path is cut', () => {
    expect(requestLine({ method: 'GET', path: `/proxy/${'a'.repeat(300)}`, status: 200, latencyMs: 3, function: 'api' }).length).toBeLessThan(130);
  });
});

describe('briefLine', () => {
  const entry = (fields: Record<string, unknown>) =>
    JSON.stringify({ timestamp: '2026-01-01T00:00:00.000Z', service: 'latchkey', function_name: 'latchkey-local-webhooks', function_request_id: 'r-1', ...fields });

  test('drops info, debug and metrics lines', () => {
    expect(briefLine(entry({ level: 'INFO', message: 'request' }))).toBeNull();
    expect(briefLine(entry({ level: 'DEBUG', message: 'webhook attempt' }))).toBeNull();
    expect(briefLine(JSON.stringify({ _aws: { Timestamp: 1 }, service: 'latchkey', WebhookDelivered: 0 }))).toBeNull();
  });

  test('shows warnings and errors in one short line: level, function, message, the error and reason', () => {
    expect(briefLine(entry({ level: 'WARN', message: 'webhook delivery failed', status: 400, eventId: 'e-1' }))).toBe('warn webhooks: webhook delivery failed (status 400)');
    expect(briefLine(entry({ level: 'ERROR', message: 'Unhandled error', incident: 'inc-1', error: { name: 'TypeError', message: 'x is undefined', stack: 'at …' } }))).toBe(
      'error webhooks: Unhandled error (TypeError: x is undefined, incident inc-1)',
    );
    expect(briefLine(JSON.stringify({ level: 'WARN', message: 'outbox publish failed', error: 'ThrottlingException' }))).toBe('warn outbox publish failed (ThrottlingException)');
  });

  test('leaves any other output alone', () => {
    expect(briefLine('[latchkey] GET /health 200 3 ms api')).toBe('[latchkey] GET /health 200 3 ms api');
    expect(briefLine('{not json')).toBe('{not json');
    expect(briefLine('')).toBe('');
  });
});

test('LATCHKEY_LOG_FORMAT: brief by default, json on request, anything else refused', () => {
  expect(logFormat(undefined)).toBe('brief');
  expect(logFormat('json')).toBe('json');
  expect(() => logFormat('JSON-ish')).toThrow(/LATCHKEY_LOG_FORMAT/);
});
