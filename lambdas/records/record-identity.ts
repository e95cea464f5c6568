import { createHash } from 'node:crypto';
import type { SecretHasher } from '../platform/crypto/secret-hash';
import type { CipherBinding } from '../platform/crypto/binding';

/**
 * A record's stable identity: a uuid derived from its primary key (connection row id, model,
 * external id), so an upsert can bind the payload's envelope to the row before knowing whether
 * the row exists, and a payload copied to another record does not decrypt.
 */
export function recordRowId(connectionRowId: string, model: string, externalId: string): string {
  const digest = createHash('sha256').update(`${connectionRowId}\0${model}\0${externalId}`, 'utf8').digest();
  // RFC 9562 layout: version 8 (custom), variant 10.
  digest[6] = (digest[6] & 0x0f) | 0x80;
  digest[8] = (digest[8] & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function recordBinding(environmentId: string, recordId: string): CipherBinding {
  return { environmentId, purpose: 'record-payload', table: 'records', rowId: recordId, field: 'payload' };
}

/** JSON with object keys sorted at every level, so equal payloads hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Change detection: a keyed hash (the deployment's secret-hash pepper, domain-separated), so the
 * clear-text hash column does not let anyone confirm a guessed payload.
 */
export function payloadHash(hasher: SecretHasher, canonical: string): Buffer {
  return hasher.hash(`record-payload\0${canonical}`);
}
