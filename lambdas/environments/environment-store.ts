import { randomUUID } from 'node:crypto';
import type { AuditBase } from '../audit/audit-event';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import { SYSTEM_REQUEST } from '../audit/audit-event';
import { runChange } from '../platform/db/change-statement';
import type { SqlExecutor } from '../platform/db/data-api';
import { uuid } from '../platform/db/parameters';

/** The settings `GET/PATCH /environment` expose, with the API's field names (our extension). */
export interface EnvironmentSettings {
  webhook_url: string | null;
  webhook_secondary_url: string | null;
  webhook_on_auth_creation: boolean;
  webhook_on_auth_refresh_error: boolean;
  webhook_on_connection_deleted: boolean;
  callback_url: string | null;
  connection_retention_days: number;
}

export interface Environment extends EnvironmentSettings {
  id: string;
  name: string;
  is_production: boolean;
  webhook_signing_key_set: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, name, is_production, webhook_url, webhook_secondary_url, webhook_on_auth_creation,
  webhook_on_auth_refresh_error, webhook_on_connection_deleted, callback_url, connection_retention_days,
  webhook_signing_key IS NOT NULL AS webhook_signing_key_set, created_at, updated_at`;

export async function getEnvironment(db: SqlExecutor, environmentId: string): Promise<Environment | undefined> {
  const [row] = await db.query<Environment>(`SELECT ${COLUMNS} FROM environments WHERE id = :id`, { id: uuid(environmentId) });
  return row;
}

/** Updates only the given settings, in one statement, and returns the environment as it now is. */
export async function updateEnvironmentSettings(
  db: SqlExecutor,
  environmentId: string,
  changes: Partial<EnvironmentSettings>,
  audit: AuditBase,
): Promise<Environment | undefined> {
  const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
  // Column names come from the caller's typed keys, which the route's strict schema limits.
  const assignments = entries.map(([column]) => `${column} = :${column}`);
  const [row] = await runChange<Environment>(db, {
    with: `changed AS (UPDATE environments SET ${[...assignments, 'updated_at = now()'].join(', ')} WHERE id = :id RETURNING ${COLUMNS})`,
    select: 'SELECT * FROM changed',
    params: { id: uuid(environmentId), ...Object.fromEntries(entries) },
    when: 'EXISTS (SELECT 1 FROM changed)',
    // Which settings changed, not their values: URLs may embed tokens.
    audit: { ...audit, action: 'environment.settings.update', targetType: 'environment', targetId: environmentId, detail: { fields: entries.map(([k]) => k) } },
  });
  return row;
}

/**
 * A new webhook signing key (a UUID, as Nango's), envelope-encrypted and bound to the environment
 * row. It is always separate from the secret keys, so a receiver never holds an API credential.
 */
export async function rotateWebhookSigningKey(
  db: SqlExecutor,
  cipher: EnvelopeCipher,
  environmentId: string,
  audit: AuditBase,
): Promise<string> {
  const signingKey = randomUUID();
  const envelope = await sealSigningKey(cipher, environmentId, signingKey);
  await runChange(db, {
    with: 'changed AS (UPDATE environments SET webhook_signing_key = :envelope, updated_at = now() WHERE id = :id RETURNING id)',
    select: 'SELECT * FROM changed',
    params: { envelope, id: uuid(environmentId) },
    when: 'EXISTS (SELECT 1 FROM changed)',
    audit: { ...audit, action: 'environment.webhook_signing_key.rotate', targetType: 'environment', targetId: environmentId },
  });
  return signingKey;
}

/**
 * Gives every environment without a webhook signing key its first one, so webhooks are signed from
 * the start. Run after the migrations (the deploy's migrate task, `npm start`): environments are
 * created by migrations, and sealing needs KMS, which SQL cannot reach. A key set meanwhile (a
 * rotation, a concurrent run) is kept. Returns the names of the environments that got one.
 */
export async function ensureWebhookSigningKeys(db: SqlExecutor, cipher: EnvelopeCipher): Promise<string[]> {
  const missing = await db.query<{ id: string; name: string }>('SELECT id, name FROM environments WHERE webhook_signing_key IS NULL ORDER BY name');
  const created: string[] = [];
  for (const { id, name } of missing) {
    const envelope = await sealSigningKey(cipher, id, randomUUID());
    const rows = await runChange<{ id: string }>(db, {
      with: 'changed AS (UPDATE environments SET webhook_signing_key = :envelope, updated_at = now() WHERE id = :id AND webhook_signing_key IS NULL RETURNING id)',
      select: 'SELECT * FROM changed',
      params: { envelope, id: uuid(id) },
      when: 'EXISTS (SELECT 1 FROM changed)',
      audit: { environmentId: id, actor: { type: 'system', id: 'migrate' }, request: SYSTEM_REQUEST, outcome: 'success', action: 'environment.webhook_signing_key.create', targetType: 'environment', targetId: id },
    });
    if (rows.length > 0) created.push(name);
  }
  return created;
}

/** The environment's webhook signing key, or undefined when it has none (or no such environment). */
export async function readWebhookSigningKey(db: SqlExecutor, cipher: EnvelopeCipher, environmentId: string): Promise<string | undefined> {
  const [row] = await db.query<{ webhook_signing_key: Buffer | null }>('SELECT webhook_signing_key FROM environments WHERE id = :id', { id: uuid(environmentId) });
  if (!row?.webhook_signing_key) return undefined;
  return (await cipher.decrypt(row.webhook_signing_key, signingKeyBinding(environmentId))).toString('utf8');
}

function signingKeyBinding(environmentId: string) {
  return { environmentId, purpose: 'environment-secret', table: 'environments', rowId: environmentId, field: 'webhook_signing_key' } as const;
}

function sealSigningKey(cipher: EnvelopeCipher, environmentId: string, signingKey: string) {
  return cipher.encrypt(signingKey, signingKeyBinding(environmentId));
}
