import { database } from '../support/handles';
import { DatabaseError } from '../../lambdas/platform/db/errors';
import { logger } from '../../lambdas/platform/observability/logger';
import { readJson, startTestStack, type TestStack } from '../support/local-stack';
import { insertIntegration } from '../lambdas/connections/fixtures';

/*
 * Issue 14, item 11: PostgreSQL's error text (message, Detail, Where) can quote the statement's
 * values — here a request's JSON — and reached ERROR log lines. Log lines carry the error class
 * and SQLSTATE only. Checked by the secret scan every test stack runs (test/support/secret-scan.ts).
 */

let t: TestStack;
const MARKER = 'personal-data-marker-0f3a9c';

beforeAll(async () => {
  t = await startTestStack();
  t.secrets.register(MARKER);
  await insertIntegration('dev', 'openai', 'openai');
});
afterAll(() => t.stop());

/** The JSON log lines written while `work` ran (t's scan captures every line, secrets checked at stop). */
async function linesDuring(work: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const from = t.logLines().length;
  await work();
  return t.logLines().slice(from).map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('a real Data API error whose Where quotes the statement JSON is logged by class and SQLSTATE only', async () => {
  // PostgreSQL reports bad JSON with `JSON data, line 1: <the document so far>`.
  const err = await database()
    .query('SELECT CAST(:doc AS jsonb) AS doc', { doc: `{"email": "${MARKER}", "broken": tru }` })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DatabaseError);
  // The error itself still says what happened, for the code that handles it.
  expect((err as Error).message).toContain(MARKER);

  const lines = await linesDuring(async () => {
    logger.error('Unhandled error', { incident: 'test', error: err as Error });
    logger.error('Wrapped', { error: new Error(`lookup failed: ${(err as Error).message}`, { cause: err }) });
    // Not allowed by the types, but plain JS (or a cast) can do it: the message would be the database text.
    logger.error(err as never);
  });
  expect(lines).toHaveLength(3);
  const text = JSON.stringify(lines);
  expect(text).not.toContain(MARKER);
  expect(lines[0].error).toMatchObject({ name: 'DatabaseError', sqlState: '22P02' });
  expect((lines[1].error as { cause: unknown }).cause).toMatchObject({ name: 'DatabaseError', sqlState: '22P02' });
  // Frames stay, so the place is still known.
  expect((lines[0].error as { stack: string[] }).stack.length).toBeGreaterThan(0);
});

test('an ordinary error keeps its message in the log', async () => {
  const lines = await linesDuring(async () => logger.error('plain', { error: new Error('no database here') }));
  expect(lines[0].error).toMatchObject({ name: 'Error', message: 'no database here' });
});

test('through the API: a request whose JSON the database rejects leaves no trace of it in the log lines', async () => {
  // NUL in a JSON string: jsonb refuses it with Where: `JSON data, line 1: {"note": "<marker>…`.
  const body = `{"provider_config_key":"openai","connection_id":"nul-1","metadata":{"note":"${MARKER}\\u0000"},"credentials":{"type":"API_KEY","apiKey":"sk-nul-test-key-000"}}`;
  t.secrets.register('sk-nul-test-key-000');
  const lines = await linesDuring(async () => {
    const res = await readJson(await t.api('/connections', { method: 'POST', body, headers: { 'content-type': 'application/json' } }));
    // 400 once validation refuses NUL; a 500 before that, but never with the document in a log line.
    expect([400, 500]).toContain(res.status);
  });
  expect(JSON.stringify(lines)).not.toContain(MARKER);
});
