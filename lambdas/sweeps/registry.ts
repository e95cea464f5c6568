import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import type { SqlExecutor } from '../platform/db/data-api';
import { setting } from '../platform/config';
import { sweepAuditRetention } from './audit-retention';
import type { SweepBudget } from '../platform/db/batched-delete';
import { sweepDeletedConnections } from './deleted-connections';
import { sweepEndUsers } from './end-users';
import { sweepExpiredSessions } from './expired-sessions';
import { sweepOrphans } from './orphans';
import { sweepPruneRecords } from './prune-records';
import { sweepProactiveRefresh } from './proactive-refresh';
import { sweepStaleSyncs } from './stale-syncs';
import { sweepWebhookRetention } from './webhook-retention';

/** `cipher`: the function's envelope cipher, for sweeps that open credentials. */
export type Sweep = (db: SqlExecutor, now: Date, budget: SweepBudget, cipher: EnvelopeCipher) => Promise<Record<string, number>>;

/**
 * Every sweep, by the `sweep` value of its schedule (lib/topology.ts SCHEDULES): each is a function
 * of "now" and a budget, run by the sweeps Lambda and by `npm run sweep`.
 */
export const SWEEPS: Record<string, Sweep> = {
  'expired-sessions': sweepExpiredSessions,
  'audit-retention': (db, now, budget) => sweepAuditRetention(db, now, setting('LATCHKEY_AUDIT_RETENTION_DAYS'), budget),
  'prune-records': sweepPruneRecords,
  'stale-syncs': sweepStaleSyncs,
  // Before deleted-connections: the connections it retires are hard-deleted in the same `all` run.
  orphans: sweepOrphans,
  'deleted-connections': sweepDeletedConnections,
  // After expired-sessions and deleted-connections: the end users they released go in the same `all` run.
  'end-users': sweepEndUsers,
  'webhook-retention': (db, now, budget) =>
    sweepWebhookRetention(db, now, setting('LATCHKEY_WEBHOOK_LOG_RETENTION_DAYS'), budget),
  'proactive-refresh': (db, now, budget, cipher) => sweepProactiveRefresh(db, now, budget, { cipher }),
};

export const SWEEP_NAMES = Object.keys(SWEEPS) as [string, ...string[]];
