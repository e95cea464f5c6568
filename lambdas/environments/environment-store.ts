import { randomUUID } from 'node:crypto';
import type { AuditBase } from '../audit/audit-event';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
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
  const envelope = await cipher.encrypt(signingKey, {
    environmentId,
    purpose: 'environment-secret',
    table: 'environments',
    rowId: environmentId,
    field: 'webhook_signing_key',
  });
  await runChange(db, {
    with: 'changed AS (UPDATE environments SET webhook_signing_key = :envelope, updated_at = now() WHERE id = :id RETURNING id)',
    select: 'SELECT * FROM changed',
    params: { envelope, id: uuid(environmentId) },
    when: 'EXISTS (SELECT 1 FROM changed)',
    audit: { ...audit, action: 'environment.webhook_signing_key.rotate', targetType: 'environment', targetId: environmentId },
  });
  return signingKey;
}
