import { RefreshCoordinator } from '../../../../lambdas/connections/refresh/refresh-coordinator';
import { METRIC_NAMES } from '../../../../lib/topology';
import { startTestStack, type TestStack } from '../../../support/local-stack';
import { stdoutJsonLines } from '../../../support/stdout-lines';
import { startOAuthServer, type OAuthServer } from '../../../support/oauth-server';
import { importOAuth2, initialTokens, inputFor, oauthIntegration, PAST } from './refresh-fixtures';

/**
 * The dashboard's "Credential refreshes" panel reads CredentialRefreshSucceeded/Failed (namespace
 * Latchkey, dimension service=latchkey): every refresh publishes one, as an embedded-metric-format
 * line on stdout, whichever function ran it.
 */
let t: TestStack;
let server: OAuthServer;
const PROVIDER = 'oidc-metrics';

beforeAll(async () => {
  [t, server] = await Promise.all([startTestStack(), startOAuthServer()]);
  t.secrets.register(server.clients.post.client_secret);
  await oauthIntegration(t, PROVIDER, server.tokenUrl, server.clients.post);
});
afterAll(async () => {
  await server?.stop();
  await t?.stop();
});

/** The EMF metric lines written to stdout while `work` runs, as {name: value}. */
const emitted = (work: () => Promise<unknown>) => stdoutJsonLines('"CloudWatchMetrics"', () => work().catch(() => undefined));

const named = (records: Array<Record<string, unknown>>, name: string) =>
  records.filter((r) => name in r && JSON.stringify(r._aws).includes('"Namespace":"Latchkey"') && r.service === 'latchkey');

test('a refresh that saved new credentials publishes CredentialRefreshSucceeded', async () => {
  const tokens = await initialTokens(server, server.clients.post);
  t.secrets.register(tokens.access_token, tokens.refresh_token);
  const c = await importOAuth2(t, PROVIDER, 'metrics-ok', { ...tokens, expires_at: PAST });
  const input = await inputFor(c, PROVIDER, server.clients.post);
  const records = await emitted(async () => {
    const result = await new RefreshCoordinator().refresh(input);
    expect(result.outcome).toBe('refreshed');
  });
  expect(named(records, METRIC_NAMES.refreshSucceeded).map((r) => r[METRIC_NAMES.refreshSucceeded])).toEqual([1]);
  expect(named(records, METRIC_NAMES.refreshFailed)).toEqual([]);
});

test('a refresh the provider refused publishes CredentialRefreshFailed', async () => {
  const c = await importOAuth2(t, PROVIDER, 'metrics-refused', { access_token: 'stale-access', refresh_token: 'never-issued-refresh-token', expires_at: PAST });
  const input = await inputFor(c, PROVIDER, server.clients.post);
  const records = await emitted(() => new RefreshCoordinator().refresh(input));
  expect(named(records, METRIC_NAMES.refreshFailed).map((r) => r[METRIC_NAMES.refreshFailed])).toEqual([1]);
  expect(named(records, METRIC_NAMES.refreshSucceeded)).toEqual([]);
});
