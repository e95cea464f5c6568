import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { SubnetType, type IVpc } from 'aws-cdk-lib/aws-ec2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  AuroraPostgresEngineVersion,
  ClusterInstance,
  Credentials,
  DatabaseCluster,
  DatabaseClusterEngine,
} from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';

export interface DatabaseProps {
  vpc: IVpc;
  key: IKey;
  /** Writer and reader go to the first two. */
  availabilityZones: readonly string[];
  backupRetentionDays: number;
  minCapacity: number;
  maxCapacity: number;
}

export const DATABASE_NAME = 'latchkey';

/**
 * Aurora Serverless v2 PostgreSQL 17, reached only through the Data API: no function opens a
 * connection, so the cluster sits in isolated subnets with no inbound rule except the one the
 * credentials' rotation needs.
 */
export class Database extends Construct {
  readonly cluster: DatabaseCluster;
  readonly databaseName = DATABASE_NAME;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const [writerAz, readerAz] = props.availabilityZones;
    this.cluster = new DatabaseCluster(this, 'Cluster', {
      // 17.4 is the first 17.x the Data API supports.
      engine: DatabaseClusterEngine.auroraPostgres({ version: AuroraPostgresEngineVersion.VER_17_5 }),
      writer: ClusterInstance.serverlessV2('Writer', { availabilityZone: writerAz, publiclyAccessible: false }),
      // In another AZ and sized with the writer, so a failover lands on a warm, equal instance.
      readers: [ClusterInstance.serverlessV2('Reader', { availabilityZone: readerAz, publiclyAccessible: false, scaleWithWriter: true })],
      serverlessV2MinCapacity: props.minCapacity,
      serverlessV2MaxCapacity: props.maxCapacity,
      // Minimum 0 ACU means pausing when idle (the first request after it waits ~15 s).
      serverlessV2AutoPauseDuration: props.minCapacity === 0 ? Duration.minutes(10) : undefined,
      enableDataApi: true,
      defaultDatabaseName: DATABASE_NAME,
      credentials: Credentials.fromGeneratedSecret('latchkey_admin'),
      vpc: props.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
      storageEncrypted: true,
      storageEncryptionKey: props.key,
      backup: { retention: Duration.days(props.backupRetentionDays), preferredWindow: '03:00-04:00' },
      preferredMaintenanceWindow: 'Sun:04:30-Sun:05:30',
      copyTagsToSnapshot: true,
      // Harmless with the Data API, and ready for IAM-authenticated admin sessions.
      iamAuthentication: true,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
    });

    // Single-user rotation in the private subnets (it needs the DB port and Secrets Manager).
    this.cluster.addRotationSingleUser({ automaticallyAfter: Duration.days(30), vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS } });

    Validations.of(this.cluster).acknowledge(
      {
        id: 'AwsSolutions-RDS11',
        reason: 'Nothing connects to the port: all access is through the Data API, and the only inbound rule is for the rotation function.',
      },
    );
  }
}
