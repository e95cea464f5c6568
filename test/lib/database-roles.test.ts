import fs from 'node:fs';
import path from 'node:path';
import { DEPLOY_FUNCTIONS, FUNCTIONS } from '../../lib/topology';
import { synthesize, type Synthesized, type TemplateResource } from './support/synth';

/**
 * Issue 15, item 9: each function signs in to the database as its own role, with its own secret,
 * and may read only that secret; the master secret is the migrations' alone.
 */
let prod: Synthesized;
let dev: Synthesized;
beforeAll(() => {
  prod = synthesize();
  // A restored cluster gets its function users too.
  dev = synthesize({ 'latchkey:profile': 'nonproduction', 'latchkey:stage': 'dev', 'latchkey:dbSnapshotIdentifier': 'latchkey-prod-before-upgrade' });
});

const RUNTIME = FUNCTIONS.map((f) => f.name);
const OWN_USER = [...RUNTIME, ...DEPLOY_FUNCTIONS.filter((f) => !f.databaseMaster).map((f) => f.name)];
const roleOf = (name: string) => `latchkey_${name}`;

/** The secret a `{Ref: ...}` names, seen through a secret's cluster attachment. */
function secretId(s: Synthesized, ref: unknown): string {
  const id = (ref as { Ref?: string }).Ref;
  if (!id) throw new Error(`not a Ref: ${JSON.stringify(ref)}`);
  const r = s.resources[id];
  return r.Type === 'AWS::SecretsManager::SecretTargetAttachment' ? secretId(s, r.Properties!.SecretId) : id;
}

function functionNamed(s: Synthesized, name: string): TemplateResource {
  const found = s.ofType('AWS::Lambda::Function').filter(([id]) => new RegExp(`^Latchkey(Deploy)?Functions${name[0].toUpperCase()}${name.slice(1)}[0-9A-F]{8}$`).test(id));
  expect(found).toHaveLength(1);
  return found[0][1];
}

function usernameOf(s: Synthesized, secret: string): string | undefined {
  const template = s.resources[secret].Properties?.GenerateSecretString?.SecretStringTemplate;
  return template ? (JSON.parse(template) as { username?: string }).username : undefined;
}

/** Secrets (resolved) that `fn`'s role may read with GetSecretValue. */
function readableSecrets(s: Synthesized, fn: TemplateResource): string[] {
  const roleId = (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const out: string[] = [];
  for (const [, policy] of s.ofType('AWS::IAM::Policy')) {
    if (!(policy.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === roleId)) continue;
    for (const st of policy.Properties!.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
      const actions = ([] as string[]).concat(st.Action);
      if (!actions.some((a) => a === 'secretsmanager:GetSecretValue' || a === 'secretsmanager:*')) continue;
      for (const res of ([] as unknown[]).concat(st.Resource)) out.push(secretId(s, res));
    }
  }
  return [...new Set(out)].sort();
}

const masterSecret = (s: Synthesized) => {
  const [[, cluster]] = s.ofType('AWS::RDS::DBCluster');
  const masterAttachment = s.ofType('AWS::SecretsManager::SecretTargetAttachment').filter(([, a]) => usernameOf(s, secretId(s, a.Properties!.SecretId)) === 'latchkey_admin');
  expect(masterAttachment).toHaveLength(1);
  expect(cluster).toBeDefined();
  return secretId(s, masterAttachment[0][1].Properties!.SecretId);
};

test.each(OWN_USER)('%s signs in with a secret of its own, for its own role, and may read no other secret', (name) => {
  for (const s of [prod, dev]) {
    const fn = functionNamed(s, name);
    const own = secretId(s, fn.Properties!.Environment.Variables.LATCHKEY_DB_SECRET_ARN);
    expect(usernameOf(s, own)).toBe(roleOf(name));
    expect(own).not.toBe(masterSecret(s));
    const readable = readableSecrets(s, fn).filter((id) => s.resources[id].Type === 'AWS::SecretsManager::Secret' && usernameOf(s, id) !== undefined);
    expect(readable).toEqual([own]);
  }
});

test('only migrate may read the master secret; it also reads every function secret to set the passwords', () => {
  for (const s of [prod, dev]) {
    const master = masterSecret(s);
    const readers = [...RUNTIME, ...DEPLOY_FUNCTIONS.map((f) => f.name)].filter((name) => readableSecrets(s, functionNamed(s, name)).includes(master));
    expect(readers).toEqual(['migrate']);
    const migrate = functionNamed(s, 'migrate');
    expect(secretId(s, migrate.Properties!.Environment.Variables.LATCHKEY_DB_SECRET_ARN)).toBe(master);
    const users = OWN_USER.map((name) => secretId(s, functionNamed(s, name).Properties!.Environment.Variables.LATCHKEY_DB_SECRET_ARN));
    expect(readableSecrets(s, migrate)).toEqual([master, ...users].sort());
  }
});

test('the migrations task is told which secret holds each role\'s password (ARNs, no values)', () => {
  for (const s of [prod, dev]) {
    const [[, task]] = s.ofType('Custom::LatchkeyMigrations');
    const users = task.Properties!.FunctionUsers as Record<string, unknown>;
    expect(Object.keys(users).sort()).toEqual(OWN_USER.map(roleOf).sort());
    for (const name of OWN_USER) {
      expect(secretId(s, users[roleOf(name)])).toBe(secretId(s, functionNamed(s, name).Properties!.Environment.Variables.LATCHKEY_DB_SECRET_ARN));
    }
  }
});

test('every function secret rotates every 30 days, first after the migrations created its role', () => {
  for (const s of [prod, dev]) {
    const [migrations] = s.ofType('Custom::LatchkeyMigrations').map(([id]) => id);
    const schedules = s.ofType('AWS::SecretsManager::RotationSchedule');
    for (const name of OWN_USER) {
      const own = secretId(s, functionNamed(s, name).Properties!.Environment.Variables.LATCHKEY_DB_SECRET_ARN);
      const mine = schedules.filter(([, r]) => secretId(s, r.Properties!.SecretId) === own);
      expect(mine).toHaveLength(1);
      expect(mine[0][1].Properties!.RotationRules.ScheduleExpression ?? `rate(${mine[0][1].Properties!.RotationRules.AutomaticallyAfterDays} days)`).toBe('rate(30 days)');
      expect(mine[0][1].DependsOn).toContain(migrations);
    }
  }
});

test('a migration creates exactly the roles the functions sign in as', () => {
  const dir = path.resolve(__dirname, '../../lambdas/platform/db/migrations');
  const sql = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
  const created = [...sql.matchAll(/ARRAY\[([^\]]*)\]/g)].flatMap((m) => [...m[1].matchAll(/'(latchkey_[a-z_]+)'/g)].map((r) => r[1]));
  expect(created.sort()).toEqual(OWN_USER.map(roleOf).sort());
});
