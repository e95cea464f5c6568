import type { ExecuteResult, SqlExecutor } from '../../../../lambdas/platform/db/data-api';
import type { Parameters } from '../../../../lambdas/platform/db/parameters';
import { uuid } from '../../../../lambdas/platform/db/parameters';
import { listConnections } from '../../../../lambdas/connections/connection-store';
import { listIntegrations } from '../../../../lambdas/integrations/integration-store';
import { listAuditEvents } from '../../../../lambdas/audit/audit-store';
import { listDeliveries } from '../../../../lambdas/webhooks/delivery-log-store';
import { listRecords } from '../../../../lambdas/records/record-store';
import { database } from '../../../support/handles';
import { startTestStack, type TestStack } from '../../../support/local-stack';
import { environmentId } from '../../connections/fixtures';

/*
 * Issue 20: every list query reaches its rows through an index. The stores' own statements are
 * EXPLAINed (an executor that plans instead of running) against tables filled to a size where
 * the planner prefers an index when it has one, after ANALYZE; a sequential scan of a big table
 * fails the test.
 */

/* Integrations and providers are few per environment: scanning them is the planner's right choice. */
const BIG_TABLES = ['connections', 'connection_tags', 'end_users', 'audit_events', 'webhook_targets', 'outbox', 'records'];
const ROWS = 20_000;

let t: TestStack;
let env: string;
let other: string;
let connectionRow: string;

/** Runs nothing: plans each statement and keeps the plan. */
class Planner implements SqlExecutor {
  plans: { sql: string; plan: string }[] = [];

  async query<R>(sql: string, params?: Parameters): Promise<R[]> {
    const rows = await database().query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
    this.plans.push({ sql, plan: rows.map((r) => r['QUERY PLAN']).join('\n') });
    return [];
  }

  async execute<R>(sql: string, params?: Parameters): Promise<ExecuteResult<R>> {
    await this.query(sql, params);
    return { records: [], rowsAffected: 0 } as unknown as ExecuteResult<R>;
  }
}

beforeAll(async () => {
  t = await startTestStack();
  env = await environmentId('dev');
  other = await environmentId('prod');
  const db = database();
  const params = { env: uuid(env), other: uuid(other), rows: ROWS };
  // Two environments, so filtering by environment is selective too.
  await db.execute(
    `INSERT INTO integrations (environment_id, unique_key, provider, created_at)
     SELECT CASE WHEN n % 2 = 0 THEN :env ELSE :other END, 'int-' || n, 'openai', now() - n * interval '1 second' FROM generate_series(1, :rows / 2) n`,
    params,
  );
  await db.execute(
    `INSERT INTO end_users (environment_id, end_user_id, email, display_name, organization_id)
     SELECT CASE WHEN n % 2 = 0 THEN :env ELSE :other END, 'user-' || n, 'user' || n || '@example.com', 'User ' || n, 'org-' || (n % 500)
       FROM generate_series(1, :rows) n`,
    params,
  );
  await db.execute(
    `INSERT INTO connections (environment_id, connection_id, integration_id, provider_config_key, end_user_id, metadata, tags)
     SELECT eu.environment_id, 'conn-' || substr(eu.end_user_id, 6), i.id, i.unique_key, eu.id,
            jsonb_build_object('plan', 'pro', 'notes', repeat('n', 200)), jsonb_build_object('tier', 't' || (substr(eu.end_user_id, 6)::int % 50))
       FROM end_users eu
       JOIN (SELECT DISTINCT ON (environment_id) environment_id, id, unique_key FROM integrations ORDER BY environment_id, unique_key) i
         ON i.environment_id = eu.environment_id`,
    params,
  );
  [{ id: connectionRow }] = await db.query<{ id: string }>("SELECT id FROM connections WHERE environment_id = :env AND connection_id = 'conn-2'", params);
  await db.execute(
    `INSERT INTO records (id, connection_id, model, external_id, payload, payload_hash, first_seen_at, updated_at, last_action)
     SELECT gen_random_uuid(), c.id, 'Contact', 'r-' || n || '-' || c.connection_id, '\\x00', '\\x00', now(), now(), 'ADDED'
       FROM generate_series(1, 1) n, connections c`,
    params,
  );
  await db.execute(
    `INSERT INTO audit_events (environment_id, occurred_at, actor_type, action, target_type, target_id, outcome)
     SELECT CASE WHEN n % 2 = 0 THEN :env ELSE :other END, now() - n * interval '1 second', 'system', 'connection.read', 'connection', 'c-' || n, 'success'
       FROM generate_series(1, :rows) n`,
    params,
  );
  await db.execute(
    `WITH events AS (
       INSERT INTO outbox (environment_id, event_type, payload, status)
       SELECT CASE WHEN n % 2 = 0 THEN :env ELSE :other END, 'auth', '{}', 'dispatched' FROM generate_series(1, :rows) n RETURNING id, environment_id
     )
     INSERT INTO webhook_targets (outbox_id, environment_id, url, kind, status, next_attempt_at, window_ends_at, created_at, updated_at)
     SELECT id, environment_id, 'https://hooks.example.com/', 'primary', 'delivered', now(), now(), now() - random() * interval '1 day', now() FROM events`,
    params,
  );
  for (const table of [...BIG_TABLES, 'integrations']) await db.execute(`ANALYZE ${table}`);
});
afterAll(async () => {
  // The stack's secret scan reads every audit and outbox row in one statement when the file ends.
  await database().execute('DELETE FROM audit_events');
  await database().execute('DELETE FROM outbox');
  await t.stop();
});

function expectIndexed(plans: { sql: string; plan: string }[]): void {
  expect(plans.length).toBeGreaterThan(0);
  for (const { plan } of plans) {
    const scanned = BIG_TABLES.filter((table) => new RegExp(`Seq Scan on ${table}\\b`).test(plan));
    expect({ scanned, plan }).toEqual({ scanned: [], plan });
  }
}

const connectionQueries: [string, Parameters[2] | Record<string, unknown>, { afterSeq?: number; offset?: number }][] = [
  ['no filter', {}, {}],
  ['search (connection id and end user)', { search: 'user1234' }, {}],
  ['endUserId', { endUserId: 'user-1234' }, {}],
  ['endUserOrganizationId', { endUserOrganizationId: 'org-17' }, {}],
  ['tags', { tags: { tier: 't7' } }, {}],
  ['integrationId', { integrationIds: ['int-2'] }, {}],
  ['connectionId', { connectionId: 'conn-2' }, {}],
  ['a deep keyset page', {}, { afterSeq: 15_000 }],
];

test.each(connectionQueries)('GET /connections, %s', async (_name, filter, position) => {
  const planner = new Planner();
  await listConnections(planner, env, filter as never, { rows: 10_000, ...position });
  expectIndexed(planner.plans);
});

/*
 * A page of a tag, or after a deep cursor, is read in list order and stops at its limit: no sort of
 * every match (a tag held by 1% of 100,000 connections, or every row after the cursor).
 */
test.each([
  ['tags', { tags: { tier: 't7' } }, { rows: 10 }],
  ['two tags', { tags: { tier: 't7', plan: 'x' } }, { rows: 10 }],
  ['a deep keyset page', {}, { afterSeq: 15_000, rows: 100 }],
] as const)('GET /connections, %s: read in list order, no sort of the matches', async (_name, filter, position) => {
  const planner = new Planner();
  await listConnections(planner, env, filter as never, position);
  expectIndexed(planner.plans);
  expect(planner.plans[0].plan).not.toMatch(/Sort Key: c\.seq/);
});

test('GET /integrations (a page after a cursor)', async () => {
  const planner = new Planner();
  await listIntegrations(planner, env, undefined, undefined, 10_000);
  await listIntegrations(planner, env, undefined, { at: new Date().toISOString(), id: connectionRow }, 100);
  expectIndexed(planner.plans);
});

test('GET /audit-events (filtered, after a cursor)', async () => {
  const planner = new Planner();
  await listAuditEvents(planner, env, {}, undefined, 100);
  await listAuditEvents(planner, env, { targetType: 'connection' }, { at: new Date(Date.now() - 3_600_000).toISOString(), id: connectionRow }, 100);
  expectIndexed(planner.plans);
});

test('GET /webhooks/deliveries', async () => {
  const planner = new Planner();
  await listDeliveries(planner, env, {}, undefined, 100);
  await listDeliveries(planner, env, { status: 'delivered' }, { at: new Date(Date.now() - 3_600_000).toISOString(), id: connectionRow }, 100);
  expectIndexed(planner.plans);
});

test('GET /records', async () => {
  const planner = new Planner();
  // The planner answers no rows, which the store reads as an unknown connection; the plan is what counts.
  await listRecords(planner, { environmentId: env, providerConfigKey: 'int-2', connectionId: 'conn-2' }, { model: 'Contact', after: 0, actions: [], ids: [], limit: 100 }).catch(() => undefined);
  expectIndexed(planner.plans);
});

test('the planner does scan sequentially where no index serves (the check can fail)', async () => {
  const planner = new Planner();
  await planner.query("SELECT * FROM connections WHERE metadata->>'plan' = 'pro'");
  expect(planner.plans[0].plan).toMatch(/Seq Scan on connections/);
});
