import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import * as z from 'zod';

/**
 * Everything a deployment can choose, validated and defaulted in one place. The CDK app reads it
 * from `cdk.json` context (`latchkey:<key>`, overridable with `-c latchkey:<key>=<value>`); a team
 * embedding the `Latchkey` construct passes the same object as props.
 */

/** `-c` values arrive as strings: "a,b" becomes a list, "true"/"false" a boolean, "7" a number. */
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(item));
const flag = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
const retentionDays = z.coerce.number().refine((d) => Object.values(RetentionDays).includes(d), {
  message: `must be one of CloudWatch Logs' retention periods: ${Object.values(RetentionDays).filter((d) => typeof d === 'number' && d > 0).join(', ')}`,
});

export const NAT_GATEWAY_COUNT = 4;

/**
 * What a deployment is for. `production`: four NAT gateways (four static egress IPs, one per AZ),
 * a reader instance for failover. `nonproduction`: one NAT gateway (one static egress IP, which
 * stops when its AZ does), no reader. Each default can still be overridden on its own.
 */
export const PROFILES = {
  production: { natGateways: NAT_GATEWAY_COUNT, dbReader: true },
  nonproduction: { natGateways: 1, dbReader: false },
} as const;
export type Profile = keyof typeof PROFILES;

const SETTINGS_SHAPE = {
  /** production | nonproduction (PROFILES): NAT gateways and reader instance, README "Profiles". */
  profile: z.enum(Object.keys(PROFILES) as [Profile, ...Profile[]]).default('production'),
  /** Names the stack and every named resource, so stages can share an account and Region. */
  stage: z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, 'lower-case letters, digits and dashes, at most 16').default('prod'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS Region such as us-east-1'),
  /** Explicit, so an env-agnostic synth still gets four AZs (CDK falls back to two otherwise). */
  availabilityZones: list(z.string()).refine((azs) => azs.length === NAT_GATEWAY_COUNT && new Set(azs).size === NAT_GATEWAY_COUNT, {
    message: `exactly ${NAT_GATEWAY_COUNT} distinct Availability Zones`,
  }),
  /** Optional: pin the account (synth then looks up the Region's AZs, which needs credentials). */
  account: z.string().regex(/^\d{12}$/).optional(),
  /** NAT gateways (each with its own Elastic IP), in the first AZs; default by profile (4 or 1). */
  natGateways: z.coerce.number().int().refine((n) => n === 1 || n === NAT_GATEWAY_COUNT, { message: `1 or ${NAT_GATEWAY_COUNT}` }).optional(),
  /** Pre-allocated Elastic IPs for the NAT gateways, in AZ order: the egress IPs survive a stack replacement. */
  eipAllocationIds: list(z.string().regex(/^eipalloc-[0-9a-f]+$/)).optional(),
  vpcCidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/1[6-9]$/, 'an IPv4 /16 to /19').default('10.0.0.0/16'),
  /** Interface endpoints for KMS, RDS Data, EventBridge, Secrets Manager and Logs (see the README's cost table). */
  vpcEndpoints: flag.default(false),
  logRetentionDays: retentionDays.default(90),
  backupRetentionDays: z.coerce.number().int().min(7).max(35).default(7),
  /** Audit events older than this are deleted by the daily audit-retention sweep. */
  auditRetentionDays: z.coerce.number().int().min(1).max(3650).default(365),
  /** A reader instance in a second AZ, for failover only (the Data API reads from the writer); default by profile. */
  dbReader: flag.optional(),
  /** Create the cluster from this snapshot (identifier or ARN) instead of empty: restore (README runbook). */
  dbSnapshotIdentifier: z.string().regex(/^(arn:[a-z-]+:rds:[a-z0-9-]+:\d{12}:cluster-snapshot:)?[A-Za-z][A-Za-z0-9:-]{0,254}$/, 'a cluster snapshot identifier or ARN').optional(),
  /** Reserved concurrency of the sweeps function; 0 (the default) reserves none (it needs 100 unreserved to remain in the account). */
  sweepsReservedConcurrency: z.coerce.number().int().min(0).max(50).default(0),
  dbMinCapacity: z.coerce.number().min(0).max(256).default(0.5),
  dbMaxCapacity: z.coerce.number().min(1).max(256).default(4),
  /** Custom domain for the REST API (TLS 1.2 minimum); needs an ACM certificate in the same Region. */
  domainName: z.string().min(3).optional(),
  certificateArn: z.string().startsWith('arn:').optional(),
  /** Optional Route 53 zone to create the domain's alias record in. */
  hostedZoneId: z.string().min(1).optional(),
  hostedZoneName: z.string().min(1).optional(),
  apiRateLimit: z.coerce.number().int().positive().default(100),
  apiBurstLimit: z.coerce.number().int().positive().default(200),
  waf: flag.default(false),
  /**
   * Requests per client IP per 5 minutes before WAF blocks it. High by default: a customer's whole
   * backend often calls from one NAT address; the stage throttle (apiRateLimit) is the real cap.
   */
  wafRateLimit: z.coerce.number().int().min(100).default(100_000),
  /** Largest request body WAF lets through on the end-user connect routes, in KB (the API itself takes 1 MiB). */
  maxRequestBodyKb: z.coerce.number().int().min(1).max(64).default(64),
  alarmEmail: z.email().optional(),
};

export const LatchkeySettingsSchema = z
  .object(SETTINGS_SHAPE)
  .refine((s) => s.availabilityZones.every((az) => az.startsWith(s.region)), {
    message: 'every Availability Zone must be in the Region',
    path: ['availabilityZones'],
  })
  .refine((s) => !s.domainName === !s.certificateArn, { message: 'domainName and certificateArn go together', path: ['domainName'] })
  .refine((s) => !s.hostedZoneId === !s.hostedZoneName, { message: 'hostedZoneId and hostedZoneName go together', path: ['hostedZoneId'] })
  .refine((s) => !s.hostedZoneId || s.domainName, { message: 'a hosted zone needs a domainName', path: ['hostedZoneId'] })
  .refine((s) => s.dbMinCapacity <= s.dbMaxCapacity, { message: 'dbMinCapacity must not exceed dbMaxCapacity', path: ['dbMinCapacity'] })
  .transform((s) => ({ ...s, natGateways: s.natGateways ?? PROFILES[s.profile].natGateways, dbReader: s.dbReader ?? PROFILES[s.profile].dbReader }))
  .refine((s) => !s.eipAllocationIds || s.eipAllocationIds.length === s.natGateways, {
    message: 'one allocation id per NAT gateway (4 in the production profile, 1 in nonproduction)',
    path: ['eipAllocationIds'],
  });

/** What callers pass (defaults optional). */
export type LatchkeySettingsInput = z.input<typeof LatchkeySettingsSchema>;
/** What the constructs read (defaults filled in). */
export type LatchkeySettings = z.output<typeof LatchkeySettingsSchema>;

export function parseSettings(input: unknown): LatchkeySettings {
  const result = LatchkeySettingsSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  latchkey:${i.path.join('.') || '(settings)'}: ${i.message}`);
    throw new Error(`Invalid Latchkey settings:\n${problems.join('\n')}`);
  }
  return result.data;
}

/** Reads every `latchkey:<key>` context value (cdk.json or `-c`). */
export function settingsFromContext(node: Node): LatchkeySettings {
  const keys = Object.keys(SETTINGS_SHAPE);
  const raw = Object.fromEntries(keys.map((key) => [key, node.tryGetContext(`latchkey:${key}`)]).filter(([, v]) => v !== undefined && v !== ''));
  return parseSettings(raw);
}
