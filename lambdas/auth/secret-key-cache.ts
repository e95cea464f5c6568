import type { SecretKeyPrincipal } from './principal';

/** How long a verified key is trusted without asking the database: a revocation takes effect within it. */
export const SECRET_KEY_CACHE_TTL_MS = 30_000;
export const SECRET_KEY_CACHE_MAX_ENTRIES = 1_000;

/** Verified keys by hash (never by the key itself), so warm requests cost no statement for auth. */
export class SecretKeyCache {
  private readonly entries = new Map<string, { principal: SecretKeyPrincipal; expiresAt: number }>();

  constructor(
    private readonly ttlMs = SECRET_KEY_CACHE_TTL_MS,
    private readonly maxEntries = SECRET_KEY_CACHE_MAX_ENTRIES,
  ) {}

  /** The principal cached for `hash`, unless it is `ttlMs` old as of the request's clock `now`. */
  get(hash: Buffer, now: Date): SecretKeyPrincipal | undefined {
    const key = hash.toString('base64');
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now.getTime()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.principal;
  }

  set(hash: Buffer, principal: SecretKeyPrincipal, now: Date): void {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(hash.toString('base64'), { principal, expiresAt: now.getTime() + this.ttlMs });
  }

  clear(): void {
    this.entries.clear();
  }
}
