import { loadMigrations } from '../../lambdas/platform/db/migrator';
import { startTestStack, type TestStack } from '../support/local-stack';

let t: TestStack;
beforeAll(async () => (t = await startTestStack()));
afterAll(() => t.stop());
afterEach(() => t.stack.dataApi.control.clearFaults());

describe('GET /health through the whole path', () => {
  test('answers ok with the schema version, in one Data API statement and no KMS call', async () => {
    t.stack.dataApi.control.resetStats();
    t.stack.kms.control.resetStats();
    const res = await fetch(`${t.baseUrl}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const body = await res.json();
    expect(body).toEqual({ status: 'ok', database: { reachable: true, schemaVersion: loadMigrations().length, latencyMs: expect.any(Number) } });
    expect(t.stack.dataApi.control.stats().calls).toEqual({ ExecuteStatement: 1 });
    expect(t.stack.kms.control.stats().calls).toEqual({});
  });

  test('rides out a resuming database', async () => {
    t.stack.dataApi.control.injectFault({ operation: 'ExecuteStatement', error: { code: 'DatabaseResumingException' }, times: 1 });
    expect((await fetch(`${t.baseUrl}/health`)).status).toBe(200);
  });

  test('a database that stays down is a 503 in the Nango envelope, without internals', async () => {
    t.stack.dataApi.control.injectFault({ operation: 'ExecuteStatement', error: { code: 'DatabaseErrorException', message: 'FATAL: password authentication failed' } });
    const res = await fetch(`${t.baseUrl}/health`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'database_unavailable', message: 'The database is not reachable.' } });
    expect(text).not.toMatch(/password|FATAL/);
  });

  test('unknown routes are a Nango-style 404', async () => {
    const res = await fetch(`${t.baseUrl}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /nope' } });
  });
});
