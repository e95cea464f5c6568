import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectSessionError } from '../../../lambdas/connect-sessions/errors';
import { ConnectError, type ConnectFailure } from '../../../lambdas/connect/errors';
import { checkConnectionConfig, clientOverride } from '../../../lambdas/connect/flow-inputs';
import { loadAppPrivateKey } from '../../../lambdas/connections/app-installation-token';
import { AppTokenError, ImportRefusal, UnreadableCredentialsError } from '../../../lambdas/connections/errors';
import {
  RefreshBackoffError,
  RefreshBusyError,
  RefreshConnectionGoneError,
  RefreshExhaustedError,
  RefreshFailedError,
} from '../../../lambdas/connections/refresh/refresh-errors';
import { apiHandler } from '../../../lambdas/http/api-handler';
import { answerFor, ERROR_TABLE, type KnownDomainError } from '../../../lambdas/http/error-table';
import { errorResult } from '../../../lambdas/http/errors';
import { defineRoute } from '../../../lambdas/http/route';
import { IntegrationError } from '../../../lambdas/integrations/errors';
import { DuplicateKeyNameError, KeyLimitError } from '../../../lambdas/keys/errors';
import { DomainError } from '../../../lambdas/platform/domain-error';
import { ProviderRegistryError, RepointRefused } from '../../../lambdas/providers/errors';
import type { Provider } from '../../../lambdas/providers/provider-schema';
import { ProxyError, type ProxyFailure } from '../../../lambdas/proxy/errors';
import { lambdaEnvironment } from '../../../local/environment';
import { createLambdaContext, localFunction } from '../../../local/lambda-context';

// Routes with auth 'none' never reach the database; the settings only have to parse.
Object.assign(process.env, lambdaEnvironment({ dataApiUrl: 'http://127.0.0.1:9', kmsUrl: 'http://127.0.0.1:9', eventBridgeUrl: 'http://127.0.0.1:9', database: 'unused' }));
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

type Domain = KnownDomainError['domain'];
/** One instance per domain/reason pair: the compiler refuses this object when a pair is missing. */
type Samples = { [D in Domain]: { [R in Extract<KnownDomainError, { domain: D }>['reason']]: DomainError } };

const connect = (reason: ConnectFailure) => new ConnectError(reason, `connect failed: ${reason}`);
const SAMPLES: Samples = {
  connect: {
    unknown_connect_session_token: connect('unknown_connect_session_token'),
    integration_not_allowed: connect('integration_not_allowed'),
    invalid_connection: connect('invalid_connection'),
    unknown_provider_config: connect('unknown_provider_config'),
    unknown_provider_template: connect('unknown_provider_template'),
    invalid_auth_mode: connect('invalid_auth_mode'),
    invalid_connection_config: connect('invalid_connection_config'),
    missing_connection_config: connect('missing_connection_config'),
    invalid_query_params: connect('invalid_query_params'),
    host_not_allowed: connect('host_not_allowed'),
    connection_test_failed: connect('connection_test_failed'),
    provider_config_err: connect('provider_config_err'),
    invalid_state: connect('invalid_state'),
    connect_session_expired: connect('connect_session_expired'),
    state_cookie_err: connect('state_cookie_err'),
    callback_err: connect('callback_err'),
    token_exchange_failed: connect('token_exchange_failed'),
  },
  connect_session: {
    unknown_integrations: new ConnectSessionError('unknown_integrations', 'Integration does not exist', [{ code: 'custom', message: 'Integration does not exist', path: ['allowed_integrations', '0'] }]),
    unknown_connection: new ConnectSessionError('unknown_connection', 'ConnectionID or IntegrationId does not exists'),
    invalid_webhook_url: new ConnectSessionError('invalid_webhook_url', 'Invalid request body', [{ code: 'invalid_format', message: 'Must be an http(s) URL', path: ['x'] }]),
  },
  app_token: {
    app_config: new AppTokenError('app_config', 'unusable key'),
    app_refused: new AppTokenError('app_refused', 'refused'),
    app_unavailable: new AppTokenError('app_unavailable', 'unreachable'),
  },
  connection_import: {
    unknown_integration: new ImportRefusal('unknown_integration', 'Integration does not exist'),
    unknown_provider: new ImportRefusal('unknown_provider', 'Provider does not exist'),
    auth_mode_mismatch: new ImportRefusal('auth_mode_mismatch', 'Provider OAUTH2 does not support API_KEY auth'),
    app_id_mismatch: new ImportRefusal('app_id_mismatch', "credentials.app_id does not match the integration's app_id"),
  },
  connection_credentials: { unreadable: new UnreadableCredentialsError('row-1', 'authentication-failed') },
  refresh: {
    connection_refresh_backoff: new RefreshBackoffError(new Date(0)),
    connection_refresh_exhausted: new RefreshExhaustedError(),
    refresh_token_external_error: new RefreshFailedError({ kind: 'server', definitive: false, needsReauthorization: false, retryAt: new Date(0) }),
    connection_refresh_in_progress: new RefreshBusyError(),
    not_found: new RefreshConnectionGoneError(),
  },
  integration: {
    invalid_provider: new IntegrationError('invalid_provider'),
    unique_key_exists: new IntegrationError('unique_key_exists'),
    incompatible_credentials: new IntegrationError('incompatible_credentials'),
    missing_credentials: new IntegrationError('missing_credentials'),
    not_found: new IntegrationError('not_found'),
    unknown_provider: new IntegrationError('unknown_provider'),
    unique_key_taken: new IntegrationError('unique_key_taken'),
    has_connections: new IntegrationError('has_connections'),
  },
  secret_key: { limit_reached: new KeyLimitError('too many'), duplicate_name: new DuplicateKeyNameError('taken') },
  provider_registry: {
    invalid_provider_name: new ProviderRegistryError('invalid_provider_name', 'bad name'),
    provider_name_reserved: new ProviderRegistryError('provider_name_reserved', 'reserved'),
    invalid_provider: new ProviderRegistryError('invalid_provider', 'invalid', [{ code: 'custom', message: 'no', path: ['proxy'] }]),
    provider_too_large: new ProviderRegistryError('provider_too_large', 'too large'),
    too_many_providers: new ProviderRegistryError('too_many_providers', 'too many'),
    provider_in_use: new ProviderRegistryError('provider_in_use', 'in use'),
  },
  provider_repointing: { missing_scopes: new RepointRefused(['environment:connections:read_credentials'], []) },
  proxy: Object.fromEntries(
    (
      [
        'unknown_provider_config',
        'unknown_connection',
        'missing_base_url',
        'base_url_override_not_allowed',
        'missing_connection_config',
        'unsupported_auth_mode',
        'host_not_allowed',
        'request_too_large',
        'response_too_large',
        'upstream_unreachable',
        'upstream_timeout',
      ] as ProxyFailure[]
    ).map((reason) => [reason, new ProxyError(reason, `proxy: ${reason}`)]),
  ) as Samples['proxy'],
};

const samples = Object.entries(SAMPLES).flatMap(([domain, byReason]) => Object.entries(byReason as Record<string, DomainError>).map(([reason, err]) => ({ domain, reason, err })));

describe('the error table', () => {
  test.each(samples)('$domain/$reason: a 4xx/5xx with a Nango code', ({ domain, reason, err }) => {
    expect([err.domain, err.reason]).toEqual([domain, reason]);
    const answer = answerFor(err);
    expect(answer).toBeDefined();
    expect(answer!.statusCode).toBeGreaterThanOrEqual(400);
    expect(answer!.statusCode).toBeLessThan(600);
    expect(answer!.code).toMatch(/^[a-z][a-z_]*[a-z]$/);
    const envelope = JSON.parse(errorResult(answer!).body);
    expect(envelope.error.code).toBe(answer!.code);
  });

  test('covers every pair it declares, and nothing else', () => {
    const declared = Object.entries(ERROR_TABLE).flatMap(([domain, byReason]) => Object.keys(byReason).map((reason) => `${domain}/${reason}`));
    expect(declared.sort()).toEqual(samples.map((s) => `${s.domain}/${s.reason}`).sort());
  });

  test('every DomainError class under lambdas/ is one the table maps', () => {
    const known = readFileSync('lambdas/http/error-table.ts', 'utf8');
    const union = known.slice(known.indexOf('export type KnownDomainError'), known.indexOf('export interface WireAnswer'));
    const files = readdirSync('lambdas', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join('lambdas', f));
    const classes = files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/^export class (\w+) extends (?:DomainError|RefreshError)\b/gm)].map((m) => m[1]));
    expect(classes.length).toBeGreaterThanOrEqual(15);
    for (const name of classes) expect(union).toMatch(new RegExp(`\\| ${name}\\b`));
  });

  test('an unknown pair is not answered (apiHandler makes it a 500 without details)', () => {
    class Stray extends DomainError {
      readonly domain = 'stray';
      readonly reason = 'stray';
    }
    expect(answerFor(new Stray('stray'))).toBeUndefined();
    expect(answerFor(Object.assign(new ImportRefusal('unknown_integration', 'x'), { reason: 'toString' }))).toBeUndefined();
  });

  test('the statuses the wire has always had for one code depend on the data the error carries', () => {
    expect(answerFor(new ConnectError('token_exchange_failed', 'x', true))!.statusCode).toBe(502);
    expect(answerFor(new ConnectError('token_exchange_failed', 'x'))!.statusCode).toBe(400);
    const connection = { connection_id: 'c', credentials: {} } as never;
    expect(answerFor(new RefreshExhaustedError().withConnection(connection))).toMatchObject({ statusCode: 424, code: 'invalid_credentials', extra: { payload: { connection } } });
    expect(answerFor(new RefreshBusyError())).toMatchObject({ statusCode: 503, headers: { 'retry-after': '1' } });
    // Nango's bare invalid_body: field issues and no message.
    expect(JSON.parse(errorResult(answerFor(new IntegrationError('invalid_provider'))!).body)).toEqual({
      error: { code: 'invalid_body', errors: [{ code: 'invalid_string', message: 'Invalid provider', path: ['provider'] }] },
    });
  });
});

describe('apiHandler applies it to every route', () => {
  const route = (path: string, err: Error, page = false) =>
    defineRoute({
      method: 'GET',
      path,
      summary: path,
      tag: 'Test',
      auth: 'none',
      responses: {},
      handle: async () => {
        throw err;
      },
      ...(page ? { renderError: (e) => ({ statusCode: e.statusCode, headers: { 'content-type': 'text/html' }, body: `<p>${e.code}</p>` }) } : {}),
    });
  const handler = apiHandler([
    route('/connect', new ConnectError('unknown_provider_config', 'Integration does not exist')),
    route('/page', new ConnectError('state_cookie_err', 'another browser'), true),
    route('/stray', Object.assign(new ImportRefusal('unknown_integration', 'secret-ish detail'), { domain: 'nowhere' })),
  ]);
  const get = (path: string) =>
    handler(
      {
        httpMethod: 'GET',
        path,
        resource: '/{proxy+}',
        pathParameters: { proxy: path.slice(1) },
        headers: {},
        multiValueHeaders: {},
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        stageVariables: null,
        requestContext: { requestId: 'req-1' } as APIGatewayProxyEvent['requestContext'],
        body: null,
        isBase64Encoded: false,
      },
      createLambdaContext(localFunction('api')),
    );

  test('JSON routes answer the envelope with the mapped status', async () => {
    const res = await get('/connect');
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'unknown_provider_config', message: 'Integration does not exist' } });
  });

  test('page routes render the mapped error', async () => {
    const res = await get('/page');
    expect(res).toMatchObject({ statusCode: 400, body: '<p>state_cookie_err</p>' });
  });

  test('a domain error the table does not know is a 500 without its message', async () => {
    const res = await get('/stray');
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body).error.code).toBe('generic_error_support');
    expect(res.body).not.toContain('secret-ish');
  });
});

describe('no secret-looking input reaches the envelope', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9]{24,64}$/).map((s) => `sk_live_${s}`);
  const envelopeOf = (thrown: () => unknown): string => {
    try {
      thrown();
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      const answer = answerFor(err as DomainError);
      expect(answer).toBeDefined();
      return errorResult(answer!).body;
    }
    throw new Error('nothing thrown');
  };
  const provider = { auth_mode: 'API_KEY', connection_config: { subdomain: { title: 'Subdomain', pattern: '^[a-z]{1,10}$' } } } as unknown as Provider;

  test('in a private key, a client secret or a connection config value (a decryption failure carries only a fixed code: its type)', () => {
    fc.assert(
      fc.property(secret, (value) => {
        const bodies = [
          envelopeOf(() => loadAppPrivateKey(`-----BEGIN RSA PRIVATE KEY-----\n${value}\n-----END RSA PRIVATE KEY-----\n`)),
          envelopeOf(() => clientOverride({ connect_session_token: 't', credentials: { oauth_client_secret_override: value } })),
          envelopeOf(() => checkConnectionConfig(provider, { subdomain: value })),
        ];
        for (const body of bodies) expect(body).not.toContain(value);
      }),
      { numRuns: 50 },
    );
  });
});
