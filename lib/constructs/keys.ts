import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccountRootPrincipal, ArnPrincipal, PolicyDocument, PolicyStatement, Role, type IPrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { KmsPurpose } from '../topology';

export interface KeysProps {
  stage: string;
}

/**
 * What the account (its IAM administrators) may do with the envelope key: manage it, never use it.
 * No `kms:Create*` (CreateGrant would hand out use) and no cryptographic operation. `PutKeyPolicy`
 * stays, or KMS's lockout check refuses the policy and nobody could ever fix it; changing the
 * policy is a CloudTrail management event (runbook: "KMS").
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListAliases',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:RotateKeyOnDemand',
  'kms:UpdateKeyDescription',
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:RevokeGrant',
  'kms:RetireGrant',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
] as const;

/**
 * Two customer-managed keys, both kept when the stack goes (with their aliases):
 * - the envelope key wraps the data keys of every stored secret (docs/design.md "Encryption"). Its key
 *   policy, not IAM, decides who uses it: each function role for the encryption-context purposes
 *   its spec lists (allowUse), and the break-glass role; the account may only administer it;
 * - the storage key encrypts the database, its snapshots and backups, with the account-delegation
 *   policy RDS needs. Replacing the envelope key never means re-keying the cluster.
 * Rotation keeps old key material, so old envelopes and snapshots still open.
 */
export class Keys extends Construct {
  readonly envelopeKey: Key;
  readonly storageKey: Key;
  /** May Decrypt every envelope; assumable only with MFA (runbook: "Break-glass"). */
  readonly breakGlassRole: Role;

  constructor(scope: Construct, id: string, props: KeysProps) {
    super(scope, id);
    const account = new AccountRootPrincipal();
    this.envelopeKey = new Key(this, 'EnvelopeKey', {
      description: `Latchkey ${props.stage}: wraps the data keys of stored secrets`,
      enableKeyRotation: true,
      // Deleting the key makes every stored secret unreadable: never with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
      policy: new PolicyDocument({
        statements: [new PolicyStatement({ sid: 'KeyAdministration', principals: [account], actions: [...KEY_ADMIN_ACTIONS], resources: ['*'] })],
      }),
    });
    this.storageKey = new Key(this, 'StorageKey', {
      description: `Latchkey ${props.stage}: encrypts the database's storage, snapshots and backups`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
    // Aliases outlive the stack too: the runbook finds retained keys by them.
    for (const [name, key, suffix] of [
      ['EnvelopeKeyAlias', this.envelopeKey, ''],
      ['StorageKeyAlias', this.storageKey, '-storage'],
    ] as const) {
      new Alias(this, name, { aliasName: `alias/latchkey-${props.stage}${suffix}`, targetKey: key, removalPolicy: RemovalPolicy.RETAIN });
    }

    this.breakGlassRole = new Role(this, 'BreakGlass', {
      description: `Latchkey ${props.stage}: break-glass decryption of stored secrets (incident recovery only; runbook)`,
      assumedBy: account.withConditions({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } }),
      maxSessionDuration: Duration.hours(1),
    });
    this.envelopeKey.addToResourcePolicy(
      new PolicyStatement({ sid: 'BreakGlassDecrypt', principals: [new ArnPrincipal(this.breakGlassRole.roleArn)], actions: ['kms:Decrypt', 'kms:DescribeKey'], resources: ['*'] }),
    );
  }

  /** Lets `principal` call `action` on the envelope key, only for the listed encryption-context purposes. */
  allowUse(principal: IPrincipal, action: 'kms:Decrypt' | 'kms:GenerateDataKey', purposes: readonly KmsPurpose[]): void {
    this.envelopeKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [principal],
        actions: [action],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:EncryptionContext:purpose': [...purposes] } },
      }),
    );
  }
}
