import net from 'node:net';
import { DataApi, createRdsDataClient } from '../../../../lambdas/platform/db/data-api';
import { uuid } from '../../../../lambdas/platform/db/parameters';
import { classifyFailure } from '../../../../lambdas/platform/db/retry';
import { DataApiServer } from '../../../../local/data-api';
import { createTestDatabase, type TestDatabase } from '../../../support/databases';
import { startLossyProxy, type LossyProxy } from '../../../support/lossy-proxy';

/**
 * Network failures between a function and the Data API, through the real SDK client: a lost answer
 * is retried for statements that say they are idempotent, never for one that is not (it ran
 * once and must not run twice), and a call that never connected is retried for any statement.
 */

const TARGET = { resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:latchkey', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:latchkey', database: '' };
const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

let database: TestDatabase;
let server: DataApiServer;
let serverPort: number;
let proxy: LossyProxy;

function dataApiAt(url: string, retry = FAST_RETRY): DataApi {
  return new DataApi({ ...TARGET, database: database.name }, createRdsDataClient({ endpoint: url }), retry);
}

beforeAll(async () => {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  database = await createTestDatabase();
  server = new DataApiServer({ connectionString: database.url });
  serverPort = Number(new URL(await server.start()).port);
  proxy = await startLossyProxy(serverPort);
  await dataApiAt(`http://127.0.0.1:${serverPort}`).execute('CREATE TABLE writes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), note text)');
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  await database?.drop();
});

async function count(): Promise<number> {
  const [row] = await dataApiAt(`http://127.0.0.1:${serverPort}`).query<{ n: number }>('SELECT count(*)::int AS n FROM writes');
  return row.n;
}

test('a read whose answers are lost twice is resent and succeeds', async () => {
  const db = dataApiAt(proxy.url);
  proxy.loseAnswers(2);
  const rows = await db.query<{ one: number }>('SELECT 1 AS one', {}, { idempotent: true });
  expect(rows).toEqual([{ one: 1 }]);
});

test('a non-idempotent INSERT whose answer is lost fails and is NOT resent: it ran exactly once', async () => {
  await dataApiAt(`http://127.0.0.1:${serverPort}`).execute('DELETE FROM writes');
  const db = dataApiAt(proxy.url);
  proxy.loseAnswers(1);
  await expect(db.execute("INSERT INTO writes (note) VALUES ('once')")).rejects.toMatchObject({ name: 'DatabaseError' });
  expect(await count()).toBe(1);
});

test('an INSERT made idempotent (id chosen in code, ON CONFLICT DO NOTHING) is resent and writes one row', async () => {
  await dataApiAt(`http://127.0.0.1:${serverPort}`).execute('DELETE FROM writes');
  const db = dataApiAt(proxy.url);
  proxy.loseAnswers(2);
  const id = '0b7c5b52-5f57-4c43-9a43-62a0e0a3b7c1';
  await db.execute("INSERT INTO writes (id, note) VALUES (:id, 'fixed') ON CONFLICT (id) DO NOTHING", { id: uuid(id) }, { idempotent: true });
  expect(await count()).toBe(1);
});

test('failures are told apart from the real errors: refused connection = not executed, lost answer = outcome unknown, SQL error = final', async () => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const send = (url: string, sql: string) =>
    dataApiAt(url, { ...FAST_RETRY, maxAttempts: 1 }).query(sql).then(
      () => undefined,
      (err: { cause?: unknown }) => err.cause,
    );
  expect(classifyFailure(await send(`http://127.0.0.1:${closedPort}`, 'SELECT 1'))).toBe('not_executed');
  proxy.loseAnswers(1);
  expect(classifyFailure(await send(proxy.url, 'SELECT 1'))).toBe('outcome_unknown');
  expect(classifyFailure(await send(`http://127.0.0.1:${serverPort}`, 'SELECT * FROM no_such_table'))).toBe('final');
});

test('a refused connection is retried for any statement (it never ran)', async () => {
  await dataApiAt(`http://127.0.0.1:${serverPort}`).execute('DELETE FROM writes');
  // The proxy's port, closed for a moment and open again before the retries run out.
  const spare = net.createServer();
  await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
  const port = (spare.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => spare.close(() => resolve()));
  const db = dataApiAt(`http://127.0.0.1:${port}`, { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 200 });
  const open = new Set<net.Socket>();
  const reopened = new Promise<net.Server>((resolve) =>
    setTimeout(() => {
      const forward = net.createServer((client) => {
        open.add(client);
        const upstream = net.connect(serverPort, '127.0.0.1');
        open.add(upstream);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      forward.listen(port, '127.0.0.1', () => resolve(forward));
    }, 60),
  );
  await db.execute("INSERT INTO writes (note) VALUES ('after refusal')");
  const forward = await reopened;
  expect(await count()).toBe(1);
  open.forEach((socket) => socket.destroy());
  await new Promise<void>((resolve) => forward.close(() => resolve()));
});

test('a service that takes the request and never answers: the call fails at the request timeout (outcome unknown), it does not wait for ever', async () => {
  const held = new Set<net.Socket>();
  const silent = net.createServer((socket) => {
    held.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const db = new DataApi({ ...TARGET, database: database.name }, createRdsDataClient({ endpoint: url }, 300), { ...FAST_RETRY, maxAttempts: 1 });
    // Raced with a timer, so that a client that keeps waiting fails this test instead of hanging it.
    const failed = await Promise.race([
      db.query('SELECT 1').then(
        () => 'answered',
        (err: { name?: string; cause?: unknown }) => err,
      ),
      new Promise((resolve) => setTimeout(resolve, 5_000, 'still waiting')),
    ]);
    expect(failed).toMatchObject({ name: 'DatabaseError' });
    expect(classifyFailure((failed as { cause?: unknown }).cause)).toBe('outcome_unknown');
  } finally {
    held.forEach((s) => s.destroy());
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
}, 10_000);
