import { database } from '../../support/handles';
import { uuid } from '../../../lambdas/platform/db/parameters';

/**
 * Test data for connection tests, written straight to the database so these tests do not depend
 * on the integrations API.
 */

export async function environmentId(name: 'dev' | 'prod'): Promise<string> {
  const [row] = await database().query<{ id: string }>('SELECT id FROM environments WHERE name = :name', { name });
  return row.id;
}

/** A live integration `uniqueKey` of `provider` in environment `env`; returns its row id. */
export async function insertIntegration(env: 'dev' | 'prod', uniqueKey: string, provider: string): Promise<string> {
  const [row] = await database().query<{ id: string }>(
    `INSERT INTO integrations (environment_id, unique_key, provider)
     SELECT id, :unique_key, :provider FROM environments WHERE name = :env
     RETURNING id`,
    { unique_key: uniqueKey, provider, env },
  );
  return row.id;
}

export async function deleteIntegration(integrationRowId: string): Promise<void> {
  await database().execute('UPDATE integrations SET deleted_at = now() WHERE id = :id', { id: uuid(integrationRowId) });
}

/** Everything a request could change, for "no row changed" checks. */
export async function snapshot(): Promise<unknown[]> {
  const db = database();
  return [
    await db.query('SELECT * FROM connections ORDER BY seq'),
    await db.query('SELECT * FROM end_users ORDER BY id'),
    await db.query('SELECT * FROM integrations ORDER BY id'),
  ];
}

export interface ConnectionRowRaw {
  id: string;
  environment_id: string;
  credentials: Buffer | null;
  credentials_expires_at: Date | null;
  last_fetched_at: Date | null;
  deleted_at: Date | null;
  metadata: Record<string, unknown>;
  tags: Record<string, string>;
  webhook_url_override: string | null;
  end_user_id: string | null;
}

export async function connectionRow(providerConfigKey: string, connectionId: string): Promise<ConnectionRowRaw> {
  const [row] = await database().query<ConnectionRowRaw>(
    'SELECT * FROM connections WHERE provider_config_key = :pck AND connection_id = :cid ORDER BY seq DESC LIMIT 1',
    { pck: providerConfigKey, cid: connectionId },
  );
  return row;
}
