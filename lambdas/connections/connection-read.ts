import type { AuditBase } from '../audit/audit-event';
import type { EnvelopeCipher } from '../crypto/envelope-cipher';
import { DecryptionError } from '../crypto/decryption-error';
import type { SqlExecutor } from '../db/data-api';
import { toPublicConnectionFull, type ApiPublicConnectionFull, type ConnectionRow } from './connection-format';
import { connectionEvent, readConnection, type ConnectionKey } from './connection-store';
import { credentialsBinding, stripRefreshTokens, type StoredCredentials } from './credentials';

export interface ReadOptions {
  /** The key may read credentials: decrypt them (and record the read in last_fetched_at). */
  withCredentials: boolean;
  /** Keep refresh-token-like keys (`refresh_token=true`). */
  includeRefreshToken: boolean;
}

export type ReadResult = { kind: 'found'; connection: ApiPublicConnectionFull } | { kind: 'unknown_integration' } | { kind: 'unknown_connection' };

/**
 * A stored envelope did not open (tampered, copied from another row, key trouble). Carries only
 * the connection's row id and the failure reason, never ciphertext or plaintext.
 */
export class UnreadableCredentialsError extends Error {
  constructor(
    readonly rowId: string,
    readonly reason: string,
  ) {
    super(`Credentials of connection row ${rowId} could not be decrypted: ${reason}`);
    this.name = 'UnreadableCredentialsError';
  }
}

/**
 * `GET /connections/{id}`: one statement (read + last_fetched_at + audit row), and a decryption that is free
 * when the data key is cached. Token refresh-on-read is not done here yet: stored credentials are
 * returned as they are.
 */
export async function getConnectionForApi(
  db: SqlExecutor,
  cipher: EnvelopeCipher,
  key: ConnectionKey,
  now: Date,
  options: ReadOptions,
  audit?: AuditBase,
): Promise<ReadResult> {
  // Nango records last_fetched_at only for callers that get credentials; only they are audited.
  const event = audit && options.withCredentials ? connectionEvent(audit, key, 'connection.credentials.read', { refresh_token: options.includeRefreshToken }) : undefined;
  const outcome = await readConnection(db, key, now, options.withCredentials, event);
  if (outcome.kind !== 'found') return outcome;
  const credentials = options.withCredentials ? await openCredentials(cipher, key.environmentId, outcome.row) : {};
  const connection = toPublicConnectionFull(outcome.row, options.includeRefreshToken ? credentials : stripRefreshTokens(credentials), 'offset');
  if (!options.includeRefreshToken) connection.connection_config = stripRefreshTokens(connection.connection_config);
  return { kind: 'found', connection };
}

/** Decrypts a row's credentials; a connection without any (NONE) has `{}`. */
export async function openCredentials(cipher: EnvelopeCipher, environmentId: string, row: Pick<ConnectionRow, 'id' | 'credentials'>): Promise<StoredCredentials | Record<string, never>> {
  if (!row.credentials) return {};
  try {
    return await cipher.decryptJson<StoredCredentials>(row.credentials, credentialsBinding(environmentId, row.id));
  } catch (err) {
    if (err instanceof DecryptionError) throw new UnreadableCredentialsError(row.id, err.reason);
    throw err;
  }
}
