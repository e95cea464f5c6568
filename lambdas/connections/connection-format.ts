import type { ApiEndUser } from '../end-users/end-user-schema';
import { toApiEndUser } from '../end-users/end-user-store';
import type { StoredCredentials } from './credentials';

/** A connection as the store reads it: the row, its integration's provider and its end user (`eu_*`). */
export interface ConnectionRow {
  id: string;
  seq: number;
  connection_id: string;
  provider_config_key: string;
  provider: string;
  credentials: Buffer | null;
  connection_config: Record<string, unknown>;
  metadata: Record<string, unknown>;
  tags: Record<string, string>;
  webhook_url_override: string | null;
  auth_error: { log_id?: string } | null;
  last_fetched_at: Date | null;
  created_at: Date;
  updated_at: Date;
  eu_end_user_id: string | null;
  eu_email: string | null;
  eu_display_name: string | null;
  eu_organization_id: string | null;
  eu_organization_display_name: string | null;
  eu_tags: Record<string, string> | null;
  /** Refresh health (migration 0007); optional so rows built without them still format. */
  refresh_incident_id?: string | null;
  last_refresh_success_at?: Date | null;
  last_refresh_failure_at?: Date | null;
  refresh_failure_count?: number;
  refresh_backoff_until?: Date | null;
}

/**
 * Token refresh health (our extension to Nango's full connection): when refresh last worked and
 * last failed, the failures of the current streak, when the next attempt is allowed, and whether
 * the end user must reconnect. Nango's `errors` lists the open incident as well.
 */
export interface RefreshHealth {
  last_success_at: string | null;
  last_failure_at: string | null;
  consecutive_failures: number;
  backoff_until: string | null;
  needs_reauthorization: boolean;
}

export interface ConnectionError {
  type: 'auth';
  log_id: string;
}

/** `ApiPublicConnection` (list entries). */
export interface ApiPublicConnection {
  id: number;
  connection_id: string;
  provider_config_key: string;
  provider: string;
  errors: ConnectionError[];
  end_user: ApiEndUser | null;
  tags: Record<string, string>;
  metadata: Record<string, unknown> | null;
  created: string;
}

/** `ApiPublicConnectionFull` (`GET /connections/{id}`, `POST /connections`). */
export interface ApiPublicConnectionFull extends Omit<ApiPublicConnection, 'created'> {
  connection_config: Record<string, unknown>;
  webhook_url_override: string | null;
  created_at: string;
  updated_at: string;
  last_fetched_at: string | null;
  credentials: StoredCredentials | Record<string, never>;
  refresh: RefreshHealth;
}

/** How a route renders its own timestamps: ISO 'Z', or `+00:00` (Nango's getConnection only). */
export type TimestampStyle = 'iso' | 'offset';

export function renderTimestamp(date: Date, style: TimestampStyle): string {
  const iso = date.toISOString();
  return style === 'offset' ? `${iso.slice(0, -1)}+00:00` : iso;
}

function endUserOf(row: ConnectionRow): ApiEndUser | null {
  return toApiEndUser({
    end_user_id: row.eu_end_user_id as string,
    email: row.eu_email,
    display_name: row.eu_display_name,
    organization_id: row.eu_organization_id,
    organization_display_name: row.eu_organization_display_name,
    tags: row.eu_tags ?? {},
  });
}

/**
 * Active auth errors, as Nango lists them (`[{type:'auth', log_id}]`): an open refresh incident
 * (its id, that of its failure event) or an auth error. Set by the refresher, cleared by a
 * successful refresh or a reconnect.
 */
function errorsOf(row: ConnectionRow): ConnectionError[] {
  if (row.refresh_incident_id) return [{ type: 'auth', log_id: row.refresh_incident_id }];
  return row.auth_error ? [{ type: 'auth', log_id: row.auth_error.log_id ?? '' }] : [];
}

function healthOf(row: ConnectionRow, style: TimestampStyle): RefreshHealth {
  const at = (date: Date | null | undefined) => (date ? renderTimestamp(date, style) : null);
  return {
    last_success_at: at(row.last_refresh_success_at),
    last_failure_at: at(row.last_refresh_failure_at),
    consecutive_failures: row.refresh_failure_count ?? 0,
    backoff_until: at(row.refresh_backoff_until),
    needs_reauthorization: row.auth_error != null,
  };
}

export function toPublicConnection(row: ConnectionRow): ApiPublicConnection {
  return {
    id: row.seq,
    connection_id: row.connection_id,
    provider_config_key: row.provider_config_key,
    provider: row.provider,
    errors: errorsOf(row),
    end_user: endUserOf(row),
    tags: row.tags ?? {},
    metadata: row.metadata ?? null,
    created: row.created_at.toISOString(),
  };
}

export function toPublicConnectionFull(
  row: ConnectionRow,
  credentials: StoredCredentials | Record<string, never>,
  style: TimestampStyle,
): ApiPublicConnectionFull {
  const { created: _created, ...base } = toPublicConnection(row);
  return {
    ...base,
    connection_config: row.connection_config ?? {},
    webhook_url_override: row.webhook_url_override,
    created_at: renderTimestamp(row.created_at, style),
    updated_at: renderTimestamp(row.updated_at, style),
    last_fetched_at: row.last_fetched_at ? renderTimestamp(row.last_fetched_at, style) : null,
    credentials,
    refresh: healthOf(row, style),
  };
}
