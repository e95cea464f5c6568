import { database, envelopeCipher } from '../../../support/handles';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { uuid } from '../../../../lambdas/platform/db/parameters';
import { buildAuthorizeUrl, newPkcePair } from '../../../../lambdas/oauth/authorize-url';
import { exchangeCode } from '../../../../lambdas/oauth/token-client';
import type { RefreshConnectionInput } from '../../../../lambdas/connections/refresh/refresh-coordinator';
import { ProviderRegistry } from '../../../../lambdas/providers/provider-registry';
import { CustomProviderSchema } from '../../../../lambdas/providers/provider-schema';
import type { TestStack } from '../../../support/local-stack';
import { followAuthorize, REDIRECT_URI, type OAuthServer, type TestClient } from '../../../support/oauth-server';

/** Shared setup of the refresh tests: custom providers, integrations, imported connections. */

export const PAST = '2020-01-01T00:00:00.000Z';

/** PUT a custom OAUTH2 provider pointing at `tokenUrl`, and POST an integration of it. */
export async function oauthIntegration(
  t: Pick<TestStack, 'api'>,
  name: string,
  tokenUrl: string,
  client: { client_id: string; client_secret: string },
  extra: Record<string, unknown> = {},
  scopes?: string,
) {
  const put = await t.api(`/providers/${name}`, {
    method: 'PUT',
    json: { display_name: name, auth_mode: 'OAUTH2', allow_private_network: true, authorization_url: tokenUrl.replace(/\/token$/, '/auth'), token_url: tokenUrl, ...extra },
  });
  if (put.status !== 201 && put.status !== 200) throw new Error(`PUT provider: ${put.status} ${await put.text()}`);
  const integ = await t.api('/integrations', { method: 'POST', json: { provider: name, unique_key: name, credentials: { type: 'OAUTH2', client_id: client.client_id, client_secret: client.client_secret, ...(scopes ? { scopes } : {}) } } });
  if (integ.status !== 200) throw new Error(`POST integration: ${integ.status} ${await integ.text()}`);
}

export interface Imported {
  rowId: string;
  environmentId: string;
  connectionId: string;
  providerConfigKey: string;
}

/** Imports an OAUTH2 connection through POST /connections. */
export async function importOAuth2(
  t: Pick<TestStack, 'api'>,
  providerConfigKey: string,
  connectionId: string,
  credentials: { access_token: string; refresh_token?: string; expires_at?: string },
): Promise<Imported> {
  const res = await t.api('/connections', { method: 'POST', json: { provider_config_key: providerConfigKey, connection_id: connectionId, credentials: { type: 'OAUTH2', ...credentials } } });
  if (res.status !== 201 && res.status !== 200) throw new Error(`POST /connections: ${res.status} ${await res.text()}`);
  const [row] = await database().query<{ id: string; environment_id: string }>(
    'SELECT id, environment_id FROM connections WHERE provider_config_key = :pck AND connection_id = :cid AND deleted_at IS NULL',
    { pck: providerConfigKey, cid: connectionId },
  );
  return { rowId: row.id, environmentId: row.environment_id, connectionId, providerConfigKey };
}

/** What the coordinator needs to refresh `c` (the provider is resolved as a route would). */
export async function inputFor(c: Imported, providerName: string, client: { client_id: string; client_secret: string }, now = new Date()): Promise<RefreshConnectionInput> {
  const resolved = await new ProviderRegistry().get(database(), c.environmentId, providerName);
  if (!resolved) throw new Error(`no provider ${providerName}`);
  return {
    db: database(),
    cipher: envelopeCipher(),
    provider: { ...resolved.provider, name: providerName },
    integrationSecrets: client,
    row: { id: c.rowId, environmentId: c.environmentId, providerConfigKey: c.providerConfigKey, connectionId: c.connectionId },
    now,
  };
}

export interface RefreshColumns {
  credentials: Buffer;
  credentials_version: number;
  credentials_expires_at: Date | null;
  refresh_lease_holder: string | null;
  refresh_lease_until: Date | null;
  refresh_failure_count: number;
  refresh_backoff_until: Date | null;
  last_refresh_success_at: Date | null;
  last_refresh_failure_at: Date | null;
  refresh_check_after: Date | null;
  auth_error: Record<string, unknown> | null;
  updated_at: Date;
}

export async function columns(c: Imported): Promise<RefreshColumns> {
  const [row] = await database().query<RefreshColumns>('SELECT * FROM connections WHERE id = :id', { id: uuid(c.rowId) });
  return row;
}

export async function auditActions(c: Imported): Promise<Array<{ action: string; outcome: string; detail: Record<string, unknown> }>> {
  return database().query("SELECT action, outcome, detail FROM audit_events WHERE target_id = :id AND action LIKE 'connection.refresh.%' ORDER BY occurred_at", { id: c.rowId });
}

/** A code → token pair from the real authorization server. */
export async function initialTokens(server: OAuthServer, client: TestClient): Promise<{ access_token: string; refresh_token: string }> {
  const pkce = newPkcePair();
  const provider = CustomProviderSchema.parse({ display_name: 'x', auth_mode: 'OAUTH2', allow_private_network: true, authorization_url: server.authorizationUrl, token_url: server.tokenUrl });
  const url = buildAuthorizeUrl({ provider, integration: { client_id: client.client_id, scopes: ['openid', 'read'] }, redirectUri: client.redirect_uri, state: 's', codeChallenge: pkce.challenge });
  const code = (await followAuthorize(url)).searchParams.get('code');
  if (!code) throw new Error('no code');
  const { credentials } = await exchangeCode({ provider, client, code, redirectUri: REDIRECT_URI, codeVerifier: pkce.verifier, now: new Date() });
  return { access_token: credentials.access_token, refresh_token: credentials.refresh_token! };
}

/** A tiny token endpoint whose answer each test sets; it counts and records requests. */
export interface RawTokenServer {
  url: string;
  requests: URLSearchParams[];
  answer: (form: URLSearchParams) => { status: number; body: unknown };
  stop(): Promise<void>;
}

export async function startRawTokenServer(): Promise<RawTokenServer> {
  const state: RawTokenServer = {
    url: '',
    requests: [],
    answer: () => ({ status: 500, body: { error: 'not_configured' } }),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      state.requests.push(form);
      const { status, body: answer } = state.answer(form);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return state;
}

/**
 * A virtual monotonic clock for a coordinator: only its own waits move it, so load cannot change an
 * outcome. It starts far from zero, as performance.now() does, so only differences of readings count.
 */
export function virtualTimer(origin = 1_000_000) {
  const timer = {
    elapsed: 0,
    sleeps: [] as number[],
    now: () => origin + timer.elapsed,
    sleep: async (ms: number) => {
      timer.sleeps.push(ms);
      timer.elapsed += ms;
    },
  };
  return timer;
}

/** Calls the stack's Data API answered since its stats were last reset: statements, as no refresh opens a transaction. */
export const dataApiCalls = (t: Pick<TestStack, 'stack'>): number => Object.values(t.stack.dataApi.control.stats().calls).reduce((a, b) => a + b, 0);

/** The error a promise rejects with, and that error's whole text (message, stack, JSON) for leak checks. */
export async function rejection(promise: Promise<unknown>): Promise<{ error: Error; text: string }> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
  return { error, text: `${String(error)} ${JSON.stringify(error)} ${error.stack ?? ''}` };
}
