import * as z from 'zod';
import type { CipherBinding } from '../platform/crypto/binding';
import { DecryptionError } from '../platform/crypto/decryption-error';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import { UnreadableCredentialsError } from './errors';

/**
 * Connection credentials: what `POST /connections` accepts, what we store (encrypted, one JSON
 * document per connection) and what `GET /connections/{id}` hands back, in Nango's shapes.
 */

/** Accepts what Nango's `z.coerce.date()` does for an expiry: ISO strings and epoch milliseconds. */
const ExpiresAt = z
  .union([z.string().min(1).max(64), z.number().int()])
  .pipe(z.coerce.date())
  .refine((d) => !Number.isNaN(d.getTime()), 'Invalid date');

const Secret = z.string().min(1).max(16_384);
const ClientOverride = z.object({ client_id: z.string().max(1024).optional(), client_secret: z.string().max(4096).optional() }).strict();

export const CredentialsInputSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('OAUTH2'), access_token: Secret, refresh_token: Secret.optional(), expires_at: ExpiresAt.optional(), config_override: ClientOverride.optional() }).strict(),
  z
    .object({
      type: z.literal('OAUTH2_CC'),
      token: Secret,
      client_id: z.string().min(1).max(1024),
      client_secret: Secret,
      client_certificate: Secret.optional(),
      client_private_key: Secret.optional(),
      expires_at: ExpiresAt.optional(),
    })
    .strict(),
  z.object({ type: z.literal('OAUTH1'), oauth_token: Secret, oauth_token_secret: Secret }).strict(),
  z.object({ type: z.literal('API_KEY'), apiKey: Secret }).strict(),
  z.object({ type: z.literal('BASIC'), username: z.string().max(1024), password: z.string().max(16_384) }).strict(),
  z.object({ type: z.literal('TBA'), token_id: Secret, token_secret: Secret, config_override: ClientOverride.optional() }).strict(),
  z.object({ type: z.literal('APP'), app_id: z.string().min(1).max(255), installation_id: z.string().min(1).max(255) }).strict(),
  z.object({ type: z.literal('CUSTOM'), app_id: z.string().min(1).max(255), installation_id: z.string().min(1).max(255) }).strict(),
  z.object({ type: z.literal('NONE') }).strict(),
]);

export type CredentialsInput = z.output<typeof CredentialsInputSchema>;
export type CredentialsType = CredentialsInput['type'];

/** Stored and returned credentials (Nango's `packages/types/lib/auth/api.ts` shapes); dates are ISO 'Z' strings. */
export type StoredCredentials =
  | { type: 'OAUTH2'; access_token: string; refresh_token?: string; expires_at?: string; config_override?: { client_id?: string; client_secret?: string }; raw: Record<string, unknown> }
  | { type: 'OAUTH2_CC'; token: string; expires_at?: string; client_id: string; client_secret: string; client_certificate?: string; client_private_key?: string; raw: Record<string, unknown> }
  | { type: 'OAUTH1'; oauth_token: string; oauth_token_secret: string; raw: Record<string, unknown> }
  | { type: 'API_KEY'; apiKey: string }
  | { type: 'BASIC'; username: string; password: string }
  | { type: 'TBA'; token_id: string; token_secret: string; config_override?: { client_id?: string; client_secret?: string } }
  | AppCredentials;

/**
 * A GitHub App installation token (APP, and the app half of CUSTOM). `raw` is the provider's answer.
 * Nango may add `jwtToken`; we never store it: it is the app's own credential and would mint
 * tokens for every installation of the app, not just this connection's.
 */
export interface AppCredentials {
  type: 'APP';
  access_token: string;
  expires_at: string;
  raw: Record<string, unknown>;
}

/** Types whose credentials an import obtains from the provider (installation-token exchange) instead of the body. */
export const TOKEN_EXCHANGE_TYPES: ReadonlySet<CredentialsType> = new Set(['APP', 'CUSTOM']);

export interface PreparedCredentials {
  /** null for NONE: nothing secret to store. */
  credentials: StoredCredentials | null;
  expiresAt: Date | null;
}

/**
 * The stored document for imported credentials. `raw` keeps what the caller sent (dates as ISO),
 * as Nango does for imports, so a refresh token inside it is stripped on read like any other.
 */
export function prepareCredentials(input: CredentialsInput): PreparedCredentials {
  const iso = (d: Date | undefined) => d?.toISOString();
  const raw = (): Record<string, unknown> => JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
  switch (input.type) {
    case 'OAUTH2':
      return {
        credentials: compact({ type: 'OAUTH2' as const, access_token: input.access_token, refresh_token: input.refresh_token, expires_at: iso(input.expires_at), config_override: input.config_override, raw: raw() }),
        expiresAt: input.expires_at ?? null,
      };
    case 'OAUTH2_CC':
      return {
        credentials: compact({
          type: 'OAUTH2_CC' as const,
          token: input.token,
          expires_at: iso(input.expires_at),
          client_id: input.client_id,
          client_secret: input.client_secret,
          client_certificate: input.client_certificate,
          client_private_key: input.client_private_key,
          raw: raw(),
        }),
        expiresAt: input.expires_at ?? null,
      };
    case 'OAUTH1':
      return { credentials: { type: 'OAUTH1', oauth_token: input.oauth_token, oauth_token_secret: input.oauth_token_secret, raw: raw() }, expiresAt: null };
    case 'API_KEY':
      return { credentials: { type: 'API_KEY', apiKey: input.apiKey }, expiresAt: null };
    case 'BASIC':
      return { credentials: { type: 'BASIC', username: input.username, password: input.password }, expiresAt: null };
    case 'TBA':
      return { credentials: compact({ type: 'TBA' as const, token_id: input.token_id, token_secret: input.token_secret, config_override: input.config_override }), expiresAt: null };
    case 'NONE':
      return { credentials: null, expiresAt: null };
    case 'APP':
    case 'CUSTOM':
      throw new Error(`${input.type} credentials need a token exchange and cannot be prepared from the import body`);
  }
}

/** Drops undefined members, so optional fields are absent (as in Nango's JSON) rather than null. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Nango's `isRefreshTokenKey`: letters only, lowercased, equal to 'refreshtoken'. */
export function isRefreshTokenKey(key: string): boolean {
  return key.replace(/[^a-zA-Z]/g, '').toLowerCase() === 'refreshtoken';
}

/** A deep copy of `value` without any refresh-token-like key, at any depth (objects and arrays). */
export function stripRefreshTokens<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => stripRefreshTokens(item)) as T;
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines properties, so a '__proto__' key stays an ordinary key.
  const kept = Object.entries(value as Record<string, unknown>).filter(([key]) => !isRefreshTokenKey(key));
  return Object.fromEntries(kept.map(([key, child]) => [key, stripRefreshTokens(child)])) as T;
}

/** Every connection's credentials envelope is bound to its row: copied elsewhere, it does not open. */
export function credentialsBinding(environmentId: string, rowId: string): CipherBinding {
  return { environmentId, purpose: 'connection-credentials', table: 'connections', rowId, field: 'credentials' };
}

/** Decrypts a row's credentials; a connection without any (NONE) has `{}`. */
export async function openCredentials(cipher: EnvelopeCipher, environmentId: string, row: { id: string; credentials: Buffer | null }): Promise<StoredCredentials | Record<string, never>> {
  if (!row.credentials) return {};
  try {
    return await cipher.decryptJson<StoredCredentials>(row.credentials, credentialsBinding(environmentId, row.id));
  } catch (err) {
    if (err instanceof DecryptionError) throw new UnreadableCredentialsError(row.id, err.reason);
    throw err;
  }
}
