import type { SqlExecutor } from '../platform/db/data-api';
import { deleteInBatches, type SweepBudget } from '../platform/db/batched-delete';
import { json, uuid, type Parameters } from '../platform/db/parameters';
import type { ApiEndUser, EndUserInput, Organization } from './end-user-schema';

export interface EndUserRow {
  id: string;
  end_user_id: string;
  email: string | null;
  display_name: string | null;
  organization_id: string | null;
  organization_display_name: string | null;
  tags: Record<string, string>;
}

const END_USER_COLUMNS = 'id, end_user_id, email, display_name, organization_id, organization_display_name, tags';

/**
 * The upsert of `upsertEndUser` as SQL over `:eu_*` parameters (`endUserParameters`), for a caller
 * that folds it into a larger statement as a CTE; the row is written only where `guard` (an SQL
 * condition) holds, so a statement can validate something else first and write nothing if it fails.
 */
export function endUserUpsertSql(guard = 'true'): string {
  return `INSERT INTO end_users (environment_id, end_user_id, email, display_name, organization_id, organization_display_name, tags)
     SELECT :eu_environment_id, :eu_end_user_id, :eu_email, :eu_display_name, :eu_organization_id, :eu_organization_display_name, :eu_tags
      WHERE ${guard}
     ON CONFLICT (environment_id, end_user_id) DO UPDATE SET
       email = EXCLUDED.email, display_name = EXCLUDED.display_name, organization_id = EXCLUDED.organization_id,
       organization_display_name = EXCLUDED.organization_display_name, tags = EXCLUDED.tags, updated_at = now()
     RETURNING ${END_USER_COLUMNS}`;
}

export function endUserParameters(environmentId: string, input: EndUserInput, organization?: Organization): Parameters {
  const org = input.organization ?? organization;
  return {
    eu_environment_id: uuid(environmentId),
    eu_end_user_id: input.id,
    eu_email: input.email ?? null,
    eu_display_name: input.display_name ?? null,
    eu_organization_id: org?.id ?? null,
    eu_organization_display_name: org?.display_name ?? null,
    eu_tags: json(input.tags ?? {}),
  };
}

/**
 * Creates or updates the environment's end user with the customer's id, in one statement, and
 * returns its row id. `organization` may come at the top level (Nango's legacy form).
 */
export async function upsertEndUser(db: SqlExecutor, environmentId: string, input: EndUserInput, organization?: Organization): Promise<EndUserRow> {
  const [row] = await db.query<EndUserRow>(endUserUpsertSql(), endUserParameters(environmentId, input, organization));
  return row;
}

/**
 * Tags a connection gets from its end user (Nango's buildTagsFromEndUser): the end user's and
 * organization's ids and names plus the end user's own tags; explicit tags win over these.
 */
export function tagsFromEndUser(input: EndUserInput | undefined, organization?: Organization, explicit: Record<string, string> = {}): Record<string, string> {
  const org = input?.organization ?? organization;
  const generated: Record<string, string | undefined> = {
    end_user_id: input?.id,
    end_user_email: input?.email,
    end_user_display_name: input?.display_name,
    organization_id: org?.id,
    organization_display_name: org?.display_name,
    ...input?.tags,
  };
  const defined = Object.fromEntries(Object.entries(generated).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  return { ...defined, ...explicit };
}

/** A row (or the columns of a join, prefixed or not) in Nango's `ApiEndUser` shape. */
export function toApiEndUser(row: Pick<EndUserRow, 'end_user_id' | 'email' | 'display_name' | 'organization_id' | 'organization_display_name' | 'tags'> | null): ApiEndUser | null {
  if (!row || row.end_user_id === null) return null;
  return {
    id: row.end_user_id,
    display_name: row.display_name,
    email: row.email,
    tags: row.tags && Object.keys(row.tags).length ? row.tags : null,
    organization: row.organization_id ? { id: row.organization_id, display_name: row.organization_display_name } : null,
  };
}

/**
 * Deletes end users last written before `settledBefore` that no connection row and no unexpired
 * connect session uses, in batches within the budget; how many.
 */
export function deleteUnusedEndUsers(db: SqlExecutor, now: Date, settledBefore: Date, budget: SweepBudget): Promise<number> {
  return deleteInBatches(
    db,
    'end_users',
    `SELECT e.id FROM end_users e
      WHERE e.updated_at < :settled_before
        AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.end_user_id = e.id)
        AND NOT EXISTS (SELECT 1 FROM connect_sessions s WHERE s.end_user_id = e.id AND s.expires_at > :now)`,
    { now, settled_before: settledBefore },
    budget,
  );
}
