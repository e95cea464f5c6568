import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { AwsServiceError } from '../aws-http';

/**
 * Keys, aliases, key states and backing-key versions of the KMS stand-in, optionally kept in a
 * JSON state file so a restarted stand-in still decrypts what it encrypted before. Every change
 * is written at once, atomically (temp file + rename) and readable only by the owner (0600):
 * the file holds raw key material.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** AWS allows 10 on-demand rotations per key. */
const MAX_ON_DEMAND_ROTATIONS = 10;

const KeySchema = z.object({
  id: z.string().regex(UUID),
  description: z.string(),
  createdAt: z.iso.datetime(),
  state: z.enum(['Enabled', 'Disabled']),
  /** Base64 AES-256 backing keys; the index is the backing-key version recorded in each blob. */
  material: z.array(z.string()).min(1),
  rotations: z.array(z.object({ version: z.number().int(), date: z.iso.datetime(), type: z.enum(['AUTOMATIC', 'ON_DEMAND']) })),
});
const AliasSchema = z.object({
  name: z.string(),
  keyId: z.string().regex(UUID),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
const StateSchema = z.object({
  format: z.literal('latchkey-local-kms'),
  version: z.literal(1),
  keys: z.array(KeySchema),
  aliases: z.array(AliasSchema),
});

export type KeyRecord = z.infer<typeof KeySchema>;
type AliasRecord = z.infer<typeof AliasSchema>;

export interface KeyStoreOptions {
  stateFile?: string;
  region: string;
  accountId: string;
  now: () => Date;
}

export class KeyStore {
  private readonly keys = new Map<string, KeyRecord>();
  private readonly aliases = new Map<string, AliasRecord>();

  constructor(private readonly options: KeyStoreOptions) {
    this.load();
  }

  // ---- names -------------------------------------------------------------------------------

  keyArn(id: string): string {
    return `arn:aws:kms:${this.options.region}:${this.options.accountId}:key/${id}`;
  }

  aliasArn(name: string): string {
    return `arn:aws:kms:${this.options.region}:${this.options.accountId}:${name}`;
  }

  /** Key id, key ARN, `alias/Name` or alias ARN → the key; NotFoundException otherwise. */
  resolve(ref: string): KeyRecord {
    let local = ref;
    const arn = /^arn:aws:kms:([^:]*):([^:]*):((?:key|alias)\/.+)$/.exec(ref);
    if (arn) {
      if (arn[1] !== this.options.region || arn[2] !== this.options.accountId) {
        throw notFound(arn[3].startsWith('alias/') ? `Alias '${ref}' is not found.` : `Key '${ref}' does not exist`);
      }
      local = arn[3].startsWith('key/') ? arn[3].slice(4) : arn[3];
    } else if (ref.startsWith('key/')) {
      throw notFound(`Invalid keyId '${ref}'`);
    }
    if (local.startsWith('alias/')) {
      const alias = this.aliases.get(local);
      const key = alias && this.keys.get(alias.keyId);
      if (!key) throw notFound(`Alias '${this.aliasArn(local)}' is not found.`);
      return key;
    }
    if (!UUID.test(local)) throw notFound(`Invalid keyId '${ref}'`);
    const key = this.keys.get(local);
    if (!key) throw notFound(`Key '${this.keyArn(local)}' does not exist`);
    return key;
  }

  /** The key a ciphertext names (NotFoundException if it was deleted or never existed here). */
  byId(id: string): KeyRecord {
    const key = this.keys.get(id);
    if (!key) throw notFound(`Key '${this.keyArn(id)}' does not exist`);
    return key;
  }

  /** Cryptographic operations need an Enabled key. */
  requireEnabled(key: KeyRecord): void {
    if (key.state === 'Disabled') throw new AwsServiceError('DisabledException', `${this.keyArn(key.id)} is disabled.`, 409);
  }

  hasAlias(name: string): boolean {
    return this.aliases.has(name);
  }

  /** Current (newest) backing key material and its version. */
  latestMaterial(key: KeyRecord): { version: number; material: Buffer } {
    const version = key.material.length - 1;
    return { version, material: Buffer.from(key.material[version], 'base64') };
  }

  materialAt(key: KeyRecord, version: number): Buffer | undefined {
    const b64 = key.material[version];
    return b64 === undefined ? undefined : Buffer.from(b64, 'base64');
  }

  // ---- changes (each one persisted) ----------------------------------------------------------

  createKey(description = ''): KeyRecord {
    const key: KeyRecord = {
      id: randomUUID(),
      description,
      createdAt: this.nowIso(),
      state: 'Enabled',
      material: [randomBytes(32).toString('base64')],
      rotations: [],
    };
    this.keys.set(key.id, key);
    this.save();
    return key;
  }

  createAlias(name: string, key: KeyRecord): void {
    if (this.aliases.has(name)) {
      throw new AwsServiceError('AlreadyExistsException', `An alias with the name ${this.aliasArn(name)} already exists`, 400);
    }
    const now = this.nowIso();
    this.aliases.set(name, { name, keyId: key.id, createdAt: now, updatedAt: now });
    this.save();
  }

  setEnabled(key: KeyRecord, enabled: boolean): void {
    key.state = enabled ? 'Enabled' : 'Disabled';
    this.save();
  }

  /** Adds new backing material; old versions stay so old blobs still decrypt. */
  rotate(key: KeyRecord): void {
    if (key.rotations.filter((r) => r.type === 'ON_DEMAND').length >= MAX_ON_DEMAND_ROTATIONS) {
      throw new AwsServiceError('LimitExceededException', `${this.keyArn(key.id)} has reached the maximum number of on-demand rotations.`, 400);
    }
    key.material.push(randomBytes(32).toString('base64'));
    key.rotations.push({ version: key.material.length - 1, date: this.nowIso(), type: 'ON_DEMAND' });
    this.save();
  }

  // ---- internals ----------------------------------------------------------------------------

  private nowIso(): string {
    return this.options.now().toISOString();
  }

  private load(): void {
    const file = this.options.stateFile;
    if (!file || !fs.existsSync(file)) return;
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      throw new Error(`KMS state file ${file} is not valid JSON`);
    }
    const parsed = StateSchema.safeParse(raw);
    if (!parsed.success) {
      // Paths only: issue messages could quote key material.
      const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
      throw new Error(`KMS state file ${file} has an unexpected shape at: ${where}`);
    }
    for (const key of parsed.data.keys) this.keys.set(key.id, key);
    for (const alias of parsed.data.aliases) this.aliases.set(alias.name, alias);
  }

  private save(): void {
    const file = this.options.stateFile;
    if (!file) return;
    const state: z.infer<typeof StateSchema> = {
      format: 'latchkey-local-kms',
      version: 1,
      keys: [...this.keys.values()],
      aliases: [...this.aliases.values()],
    };
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      // A fresh temp file ('wx') gets 0600 from creation, so material is never world-readable.
      fs.writeFileSync(tmp, JSON.stringify(state, null, 2), { mode: 0o600, flag: 'wx' });
      fs.renameSync(tmp, file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }
}

function notFound(message: string): AwsServiceError {
  return new AwsServiceError('NotFoundException', message, 404);
}
