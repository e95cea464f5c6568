import { database } from '../../support/handles';
import { uuid } from '../../../lambdas/platform/db/parameters';
import { publishOutboxEvents } from '../../../lambdas/platform/events/publisher';
import { newOutboxEvent, type OutboxEvent } from '../../../lambdas/platform/events/outbox-event';
import { recordOutboxEvent } from '../../../lambdas/platform/events/outbox-store';
import type { TestStack } from '../../support/local-stack';

/** Nango's auth webhook body (§4.1) for a made-up connection. */
export function authPayload(environment: string, connectionId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    from: 'nango',
    type: 'auth',
    connectionId,
    providerConfigKey: 'github',
    provider: 'github',
    authMode: 'OAUTH2',
    environment,
    operation: 'creation',
    success: true,
    tags: { team: 'core', 'end_user_id': 'u-1' },
    endUser: { endUserId: 'u-1', endUserEmail: 'u1@example.com', tags: {} },
    ...extra,
  };
}

/** Writes an auth event as the connect flow does; `publish` also puts it on the bus as a request would. */
export async function writeAuthEvent(environmentId: string, connectionId: string, options: { publish?: boolean; extra?: Record<string, unknown>; override?: string } = {}): Promise<OutboxEvent> {
  const event = newOutboxEvent(environmentId, 'auth', authPayload('dev', connectionId, options.extra), options.override);
  await recordOutboxEvent(database(), event);
  if (options.publish ?? true) await publishOutboxEvents([event]);
  return event;
}

/** A live connection row, written straight to the database. */
export async function insertConnection(environmentId: string, integrationId: string, providerConfigKey: string, connectionId: string, webhookUrlOverride?: string): Promise<string> {
  const [row] = await database().query<{ id: string }>(
    `INSERT INTO connections (environment_id, connection_id, integration_id, provider_config_key, tags, webhook_url_override)
     VALUES (:env, :cid, :iid, :pck, :tags, :override) RETURNING id`,
    { env: uuid(environmentId), cid: connectionId, iid: uuid(integrationId), pck: providerConfigKey, tags: { team: 'core' }, override: webhookUrlOverride ?? null },
  );
  return row.id;
}

export function redrive(t: TestStack, at: Date): Promise<unknown> {
  return t.stack.scheduler.fire('webhooks-redrive', at);
}

export async function deliveryRows(eventId: string): Promise<{ id: string; url: string; status: string; attempts: number; next_attempt_at: Date }[]> {
  return database().query('SELECT id, url, status, attempts, next_attempt_at FROM webhook_targets WHERE outbox_id = :id ORDER BY url', { id: uuid(eventId) });
}

export const minutes = (from: Date, n: number) => new Date(from.getTime() + n * 60_000);
