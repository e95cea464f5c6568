import type { SqlExecutor } from '../platform/db/data-api';
import { uuid } from '../platform/db/parameters';
import type { ConnectionKey } from './connection-store';

/** What a pseudonymised field holds from then on. */
export const ERASED = '[erased]';

/** Where webhook bodies (outbox payloads) hold an end user's e-mail or name. */
const BODY_PATHS = ['{endUser,endUserEmail}', '{endUser,endUserDisplayName}', '{tags,end_user_email}', '{tags,end_user_display_name}'];
/** Where audit details could hold them (none today: details hold ids; kept erasable all the same). */
const DETAIL_PATHS = ['{email}', '{display_name}', '{end_user_email}', '{end_user_display_name}'];

/**
 * `doc` with each path that holds a value replaced by ERASED; a missing path stays missing
 * (jsonb_set without create_missing) and a JSON null stays null.
 */
function erasedSql(doc: string, paths: readonly string[]): string {
  return paths.reduce(
    (acc, path) => `jsonb_set(${acc}, '${path}', CASE WHEN ${doc} #>> '${path}' IS NULL THEN COALESCE(${doc} #> '${path}', 'null'::jsonb) ELSE to_jsonb(:erased::text) END, false)`,
    doc,
  );
}

const holdsAny = (doc: string, paths: readonly string[]) => paths.map((path) => `${doc} #>> '${path}' IS NOT NULL`).join(' OR ');

/**
 * At a purge, the end user's e-mail and display name go from what outlives the connection: its
 * webhook bodies (delivered, dead or still pending — the purge's own `connection.deleted` event
 * included) until webhook retention, and its audit details until audit retention. Ids stay (the
 * connection id, the customer's end-user id, row ids): an auditor needs to know what was erased,
 * and when, and by whom. One statement; returns how many rows changed.
 */
export async function erasePersonalData(db: SqlExecutor, key: ConnectionKey): Promise<{ webhookBodies: number; auditDetails: number }> {
  const [row] = await db.query<{ webhook_bodies: number; audit_details: number }>(
    `WITH bodies AS (
       UPDATE outbox o SET payload = ${erasedSql('o.payload', BODY_PATHS)}
        WHERE o.environment_id = :environment_id AND o.payload->>'connectionId' = :connection_id
          AND o.payload->>'providerConfigKey' = :provider_config_key AND (${holdsAny('o.payload', BODY_PATHS)})
       RETURNING 1
     ), details AS (
       UPDATE audit_events a SET detail = ${erasedSql('a.detail', DETAIL_PATHS)}
        WHERE a.environment_id = :environment_id AND a.detail->>'connection_id' = :connection_id
          AND a.detail->>'provider_config_key' = :provider_config_key AND (${holdsAny('a.detail', DETAIL_PATHS)})
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM bodies)::int AS webhook_bodies, (SELECT count(*) FROM details)::int AS audit_details`,
    { environment_id: uuid(key.environmentId), connection_id: key.connectionId, provider_config_key: key.providerConfigKey, erased: ERASED },
  );
  return { webhookBodies: row.webhook_bodies, auditDetails: row.audit_details };
}
