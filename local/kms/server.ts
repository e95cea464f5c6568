import { AwsJsonServer } from '../aws-json';
import { StandInControl } from '../stand-in-control';
import { cryptoOperations } from './crypto-operations';
import { keyOperations } from './key-operations';
import { KeyStore } from './key-store';

export interface KmsServerOptions {
  /** JSON file the keys are kept in, so a restart can still decrypt what was encrypted before. Omit: memory only. */
  stateFile?: string;
  region?: string; // default 'us-east-1'
  accountId?: string; // default '000000000000'
  /** Keys to make sure exist at start: alias name (e.g. 'alias/latchkey') → created if missing. */
  aliases?: string[];
  /** Clock for key creation and rotation dates (test hook); default: the real time. */
  now?: () => Date;
}

/**
 * Local stand-in for AWS KMS speaking the real awsJson1.1 protocol (`X-Amz-Target: TrentService.*`),
 * so `@aws-sdk/client-kms` works against it unchanged. Errors use the KMS model's HTTP codes
 * (NotFoundException 404, DisabledException and KMSInvalidStateException 409, ...), not 400
 * everywhere like local-kms; app code should branch on the error name, never the status.
 */
export class KmsServer {
  readonly control = new StandInControl();
  private readonly store: KeyStore;
  private readonly http: AwsJsonServer;

  constructor(options: KmsServerOptions = {}) {
    const accountId = options.accountId ?? '000000000000';
    this.store = new KeyStore({
      stateFile: options.stateFile,
      region: options.region ?? 'us-east-1',
      accountId,
      now: options.now ?? (() => new Date()),
    });
    for (const alias of options.aliases ?? []) this.ensureAlias(alias);
    this.http = new AwsJsonServer({
      targetPrefix: 'TrentService',
      operations: { ...cryptoOperations(this.store), ...keyOperations(this.store) },
      control: this.control,
      bodyLimit: 1024 * 1024,
      internalErrorCode: 'KMSInternalException',
    });
  }

  /** Listens on `port` (0 or omitted: an ephemeral one); returns the base URL for the SDK's `endpoint`. */
  start(port?: number, host?: string): Promise<string> {
    return this.http.start(port, host);
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  /** The key ARN for a key id, key ARN, alias name or alias ARN (NotFoundException if unknown). */
  keyArn(keyIdOrAlias: string): string {
    return this.store.keyArn(this.store.resolve(keyIdOrAlias).id);
  }

  private ensureAlias(alias: string): void {
    if (!/^alias\/[a-zA-Z0-9:/_-]+$/.test(alias) || alias.startsWith('alias/aws/')) {
      throw new Error(`KMS stand-in alias must look like 'alias/Name' (and not alias/aws/...): ${alias}`);
    }
    if (this.store.hasAlias(alias)) return;
    this.store.createAlias(alias, this.store.createKey(`Created by the local KMS stand-in for ${alias}`));
  }
}
