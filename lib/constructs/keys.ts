import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface KeysProps {
  stage: string;
}

/**
 * The one customer-managed key: it wraps the data keys of every stored secret (envelope encryption,
 * DESIGN.md) and encrypts the database's storage. Its policy is the account-delegation policy:
 * no principal may use it unless IAM allows it, and the functions' IAM statements allow only
 * Decrypt/GenerateDataKey for named `kms:EncryptionContext:purpose` values
 * (LatchkeyFunction.grantKmsPurposes). Rotation keeps old key material, so old envelopes still open.
 */
export class Keys extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: KeysProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: `Latchkey ${props.stage}: wraps the data keys of stored secrets; encrypts database storage`,
      alias: `alias/latchkey-${props.stage}`,
      enableKeyRotation: true,
      // Deleting the key makes every stored secret and backup unreadable: never with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
  }
}
