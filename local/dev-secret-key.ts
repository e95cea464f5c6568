import fs from 'node:fs';
import path from 'node:path';
import { env } from '../lambdas/platform/config';
import { platformHandles } from '../lambdas/platform/handles';
import { createKmsClient } from '../lambdas/platform/crypto/kms';
import { SecretHasher } from '../lambdas/platform/crypto/secret-hash';
import { ensureSecretKey, newSecretKey, SECRET_KEY_FORMAT } from '../lambdas/keys/secret-keys';

interface LocalState {
  devSecretKey?: string;
}

/**
 * The development environment's secret key for `npm start`: `pinned` (LATCHKEY_SECRET_KEY) when
 * given, else the one kept in the data folder, else a new one. Only its hash goes to the database;
 * the plain key stays in `<dataDir>/local.json` (mode 0600) so a restart can print it again.
 */
export async function ensureDevSecretKey(dataDir: string, pinned?: string): Promise<string> {
  assertPinnedKeyFormat(pinned);
  const stateFile = path.join(dataDir, 'local.json');
  const state: LocalState = fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, 'utf8')) : {};
  const secretKey = (pinned ?? state.devSecretKey ?? newSecretKey()).toLowerCase();
  const { db } = platformHandles();
  const hasher = await SecretHasher.load(db, createKmsClient(), env().LATCHKEY_KMS_KEY_ID);
  await ensureSecretKey(db, hasher, 'dev', secretKey);
  if (state.devSecretKey !== secretKey) {
    fs.writeFileSync(stateFile, JSON.stringify({ ...state, devSecretKey: secretKey }, null, 2), { mode: 0o600 });
  }
  return secretKey;
}

/** Checked before anything starts, so a typo fails fast instead of after PostgreSQL is up. */
export function assertPinnedKeyFormat(pinned: string | undefined): void {
  if (pinned !== undefined && !SECRET_KEY_FORMAT.test(pinned)) {
    throw new Error('LATCHKEY_SECRET_KEY must be a UUID v4 (e.g. the output of `node -e "console.log(crypto.randomUUID())"`)');
  }
}
