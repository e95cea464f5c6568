import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { SecurityGroup, SubnetType, type IVpc } from 'aws-cdk-lib/aws-ec2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  AuroraPostgresEngineVersion,
  ClusterInstance,
  Credentials,
  DatabaseCluster,
  DatabaseClusterEngine,
  DatabaseClusterFromSnapshot,
  DatabaseSecret,
  SnapshotCredentials,
} from 'aws-cdk-lib/aws-rds';
import { SecretRotation, SecretRotationApplication, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import { functionRoleName } from '../topology';

export interface DatabaseProps {
  vpc: IVpc;
  /** Encrypts storage, snapshots and backups (not the envelope key). */
  storageKey: IKey;
  /** Writer and reader go to the first two. */
  availabilityZones: readonly string[];
  /** A reader instance for failover (the Data API reads from the writer only). */
  reader: boolean;
  /** Create the cluster from this cluster snapshot (restore) instead of empty. */
  snapshotIdentifier?: string;
  backupRetentionDays: number;
  minCapacity: number;
  maxCapacity: number;
}

export const DATABASE_NAME = 'latchkey';
/** The master user: migrations alone run as it (functions have roles of their own, migration 0009). */
export const MASTER_USERNAME = 'latchkey_admin';

const ROTATION_DAYS = 30;

/** A function's own database user: its role and the secret that holds the role's password. */
export interface FunctionUser {
  role: string;
  secret: ISecret;
  /** The rotation and its schedule: they start (and first rotate) only once the role has its password, after the migrations. */
  rotation: readonly IConstruct[];
}

/**
 * Aurora Serverless v2 PostgreSQL 17, reached only through the Data API: no function opens a
 * connection, so the cluster sits in isolated subnets with no inbound rule except the one the
 * credentials' rotation needs.
 */
export class Database extends Construct {
  readonly cluster: DatabaseCluster | DatabaseClusterFromSnapshot;
  readonly databaseName = DATABASE_NAME;
  /** Rotation of the master credentials (its function needs the DB port and Secrets Manager). */
  readonly rotation: SecretRotation;
  /** The rotation function's security group: the database port and, with endpoints, Secrets Manager admit it. */
  readonly rotationSecurityGroup: SecurityGroup;
  /** Each function's own user (addFunctionUser), by role name. */
  readonly functionUsers = new Map<string, FunctionUser>();
  private readonly vpc: IVpc;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    this.vpc = props.vpc;
    const [writerAz, readerAz] = props.availabilityZones;
    const common = {
      // 17.4 is the first 17.x the Data API supports.
      engine: DatabaseClusterEngine.auroraPostgres({ version: AuroraPostgresEngineVersion.VER_17_5 }),
      writer: ClusterInstance.serverlessV2('Writer', { availabilityZone: writerAz, publiclyAccessible: false }),
      // In another AZ and sized with the writer, so a failover lands on a warm, equal instance.
      readers: props.reader ? [ClusterInstance.serverlessV2('Reader', { availabilityZone: readerAz, publiclyAccessible: false, scaleWithWriter: true })] : [],
      serverlessV2MinCapacity: props.minCapacity,
      serverlessV2MaxCapacity: props.maxCapacity,
      // Minimum 0 ACU means pausing when idle (the first request after it waits ~15 s).
      serverlessV2AutoPauseDuration: props.minCapacity === 0 ? Duration.minutes(10) : undefined,
      enableDataApi: true,
      vpc: props.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
      storageEncrypted: true,
      storageEncryptionKey: props.storageKey,
      backup: { retention: Duration.days(props.backupRetentionDays), preferredWindow: '03:00-04:00' },
      preferredMaintenanceWindow: 'Sun:04:30-Sun:05:30',
      copyTagsToSnapshot: true,
      // Harmless with the Data API, and ready for IAM-authenticated admin sessions.
      iamAuthentication: true,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
    };
    this.cluster = props.snapshotIdentifier
      ? // Same construct id: switching to a snapshot replaces the cluster in place (runbook: "Restore").
        new DatabaseClusterFromSnapshot(this, 'Cluster', {
          ...common,
          snapshotIdentifier: props.snapshotIdentifier,
          // A new master password, in a new secret, for the restored cluster.
          snapshotCredentials: SnapshotCredentials.fromGeneratedSecret(MASTER_USERNAME),
        })
      : new DatabaseCluster(this, 'Cluster', { ...common, defaultDatabaseName: DATABASE_NAME, credentials: Credentials.fromGeneratedSecret(MASTER_USERNAME) });
    if (props.snapshotIdentifier) {
      Validations.of(this.cluster).acknowledge({
        id: 'CloudFormation-Validate::F3021',
        reason: "A restored cluster keeps the snapshot's master user name (CloudFormation forbids MasterUsername with SnapshotIdentifier); the new password is applied after the restore, as CDK's DatabaseClusterFromSnapshot does.",
      });
    }

    // Single-user rotation in the private subnets (it needs the DB port and Secrets Manager).
    this.rotationSecurityGroup = new SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: props.vpc,
      description: 'Database credentials rotation: to the database port and Secrets Manager',
      allowAllOutbound: true,
    });
    this.rotation = this.cluster.addRotationSingleUser({
      securityGroup: this.rotationSecurityGroup, automaticallyAfter: Duration.days(ROTATION_DAYS), vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS } });

    Validations.of(this.cluster).acknowledge(
      {
        id: 'AwsSolutions-RDS11',
        reason: 'Nothing connects to the port: all access is through the Data API, and the only inbound rule is for the rotation function.',
      },
    );
  }

  /**
   * A generated secret for function `name`'s role, attached to the cluster (host, port, engine), so
   * the function signs in through the Data API as that role and nothing else. The migrate task sets
   * the role's password from it on deploy; single-user rotation changes both every 30 days, as the
   * role itself (PostgreSQL lets a role change its own password), never with the master secret.
   */
  addFunctionUser(name: string): FunctionUser {
    const role = functionRoleName(name);
    const existing = this.functionUsers.get(role);
    if (existing) return existing;
    const id = name.replace(/(^|[-_])([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
    const secret = new DatabaseSecret(this, `${id}User`, { username: role }).attach(this.cluster);
    const rotation = new SecretRotation(this, `${id}UserRotation`, {
      application: SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
      secret,
      target: this.cluster,
      vpc: this.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroup: this.rotationSecurityGroup,
      automaticallyAfter: Duration.days(ROTATION_DAYS),
    });
    // The schedule lives under the secret, not under the rotation construct.
    const schedule = secret.node.tryFindChild('RotationSchedule');
    const user = { role, secret, rotation: schedule ? [rotation, schedule] : [rotation] };
    this.functionUsers.set(role, user);
    return user;
  }
}
