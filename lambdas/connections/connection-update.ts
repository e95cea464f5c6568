import type { AuditBase } from '../audit/audit-event';
import type { DataApi } from '../platform/db/data-api';
import type { EndUserInput } from '../end-users/end-user-schema';
import { tagsFromEndUser, upsertEndUser } from '../end-users/end-user-store';
import { connectionEvent, integrationExists, patchConnection, type ConnectionKey, type ConnectionPatch } from './connection-store';

export interface ConnectionUpdate {
  end_user?: EndUserInput;
  tags?: Record<string, string>;
  /** '' clears. */
  webhook_url_override?: string;
}

export type UpdateOutcome = 'updated' | 'unknown_integration' | 'unknown_connection';

class NoSuchConnection extends Error {}

/**
 * `PATCH /connections/{id}`: one UPDATE; with an `end_user`, the end-user upsert and the UPDATE
 * share a transaction, so a missing connection leaves no end user behind. The end user's
 * generated tags override stored ones; given `tags` replace the stored ones and win over both.
 */
export async function updateConnection(db: DataApi, key: ConnectionKey, update: ConnectionUpdate, now: Date, audit?: AuditBase): Promise<UpdateOutcome> {
  const event = audit && connectionEvent(audit, key, 'connection.update', { fields: Object.keys(update) });
  const patch: ConnectionPatch = {
    tags: update.tags,
    webhookUrlOverride: update.webhook_url_override === undefined ? undefined : update.webhook_url_override || null,
  };
  let updated: boolean;
  if (update.end_user) {
    const endUser = update.end_user;
    updated = await db
      .transaction(async (tx) => {
        const row = await upsertEndUser(tx, key.environmentId, endUser);
        const ok = await patchConnection(tx, key, { ...patch, endUserRowId: row.id, generatedTags: tagsFromEndUser(endUser) }, now, event);
        if (!ok) throw new NoSuchConnection();
        return true;
      })
      .catch((err: unknown) => {
        if (err instanceof NoSuchConnection) return false;
        throw err;
      });
  } else {
    updated = await patchConnection(db, key, patch, now, event);
  }
  if (updated) return 'updated';
  // Only a miss pays for telling the two errors apart.
  return (await integrationExists(db, key.environmentId, key.providerConfigKey)) ? 'unknown_connection' : 'unknown_integration';
}
