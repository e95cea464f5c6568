import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import type { AuditBase } from '../../audit/audit-event';
import { auditFrom, requestInfo } from '../../http/audit-request';
import { ApiKeyBody, BasicBody, ClientCredentialsBody, ConnectQuery, EndUserText, PckParams } from '../../connect/connect-query';
import { connectWithCredentials, type CredentialSubmission } from '../../connect/credential-flows';
import { finishOAuth } from '../../connect/oauth-callback';
import { startOAuth } from '../../connect/oauth-authorize';
import type { ApiError } from '../../http/errors';
import { jsonResult } from '../../http/errors';
import { trustedPublicBaseUrl } from '../../http/public-url';
import { defineRoute, type AnyRoute, type ApiRequest, type FailedRequest, type InvalidInputRequest } from '../../http/route';
import { deliverToRelayClient, errorMessage, relayClientId } from '../../connect/browser-relay';
import { recordRejectedInput } from '../../connect/connect-context';
import type { FlowKind } from '../../connect/flow-connection';
import { callbackPage } from './callback-page';
import { stateCookie } from './state-cookie';
import { connectUiAssetRoute, connectUiRoute, logoRoute } from './ui-routes';

/**
 * The `connect` function's routes: the end user's side of a connection (docs/nango-wire.md §3.4, §5),
 * authenticated by the connect session token the frontend SDK puts in the query string.
 * The OAuth popup's two routes answer with pages, errors included; the others with Nango's JSON.
 */

/** Input that did not validate is still the session's failure, once the session is known. */
function recordInvalidInput(flow: FlowKind) {
  return async (request: InvalidInputRequest, error: ApiError): Promise<void> => {
    if (request.principal.kind !== 'connect_session') return;
    await recordRejectedInput(request.db, request.rawParams.providerConfigKey, flow, error.code, auditFrom(request));
  };
}

/**
 * Every refusal of /oauth/connect (bad or expired session, integration not allowed or unknown, bad
 * input) also reaches the frontend SDK's socket the popup names, so `auth()` settles with it. Read
 * from the raw query: the failure may be the query's. A socket another session holds is not told.
 */
async function reportToSocket(request: FailedRequest, error: ApiError): Promise<void> {
  const query = request.event.queryStringParameters ?? {};
  const session = request.principal?.kind === 'connect_session' ? request.principal : undefined;
  const pck = safeDecode(request.event.pathParameters?.providerConfigKey ?? '');
  const message = errorMessage(pck, '', error.code, error.message);
  await deliverToRelayClient({ db: request.db, poster: request.services.sockets }, relayClientId(query.ws_client_id), session?.sessionId ?? null, message, request.now);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const errorPage = (err: ApiError) => callbackPage(err.statusCode, { ok: false, errorType: err.code, message: err.message });

/** Our own callback URL, from what the caller cannot forge (never the Host header). */
function ownCallbackUrl(event: APIGatewayProxyEvent): string {
  return `${trustedPublicBaseUrl(event)}/oauth/callback`;
}

export const oauthConnectRoute = defineRoute({
  method: 'GET',
  path: '/oauth/connect/{providerConfigKey}',
  summary: 'Starts an OAuth2 authorization: stores a one-time state and redirects the popup to the provider',
  tag: 'Connect',
  auth: 'connect_session_query',
  params: PckParams,
  query: ConnectQuery,
  responses: {
    302: { description: "Redirect to the provider's authorization page" },
    400: { description: 'Error page (integration_not_allowed, invalid_auth_mode, missing_connection_config, …)' },
    404: { description: 'Error page (unknown_provider_config: no such integration)' },
  },
  renderError: errorPage,
  onInvalidInput: recordInvalidInput('oauth2'),
  onError: reportToSocket,
  handle: async (request) => {
    const callbackUrl = ownCallbackUrl(request.event);
    const redirect = await startOAuth({
      db: request.db,
      cipher: request.services.cipher,
      principal: request.principal,
      providerConfigKey: request.params.providerConfigKey,
      query: request.query,
      ownCallbackUrl: callbackUrl,
      now: request.now,
      audit: auditFrom(request),
    });
    // The binding cookie goes to our callback path (also when a customer page forwards to it).
    const cookie = stateCookie.set(redirect.state, redirect.browserBinding, new URL(callbackUrl).pathname, redirect.redirectUri.startsWith('https:'));
    return {
      statusCode: 302,
      headers: { location: redirect.url, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
      // multiValueHeaders is how a REST proxy integration sets cookies; one here.
      multiValueHeaders: { 'set-cookie': [cookie] },
      body: '',
    };
  },
});

/** Whatever the provider appends; only strings (a repeated parameter is refused). */
const CallbackQuery = z.record(z.string().max(128), EndUserText(4096)).refine((q) => Object.keys(q).length <= 50, 'Too many parameters');

export const oauthCallbackRoute = defineRoute({
  method: 'GET',
  path: '/oauth/callback',
  summary: "The provider's redirect back: exchanges the code and stores the connection; answers the popup's closing page",
  tag: 'Connect',
  auth: 'none',
  query: CallbackQuery,
  responses: { 200: { description: 'Success page (posts nango_oauth_callback_success and closes)', media: 'text/html' }, 400: { description: 'Error page (invalid_state, state_cookie_err, callback_err, token_exchange_failed, …)' } },
  renderError: errorPage,
  handle: async (request) => {
    const audit: AuditBase = { environmentId: null, actor: { type: 'system', id: null }, request: requestInfo(request.event, request.requestId), outcome: 'success' };
    const { state } = request.query;
    const browserBinding = state ? stateCookie.read(request.event, state) : undefined;
    const done = await finishOAuth({ db: request.db, cipher: request.services.cipher, query: request.query, browserBinding, now: request.now, audit, sockets: request.services.sockets });
    const clear = stateCookie.clear(done.state, new URL(ownCallbackUrl(request.event)).pathname, done.redirectUri.startsWith('https:'));
    return { ...callbackPage(200, { ok: true }), multiValueHeaders: { 'set-cookie': [clear] } };
  },
});

const Connected = z.object({ connectionId: z.string(), providerConfigKey: z.string() });

function credentialRoute<B>(path: string, summary: string, body: z.ZodType<B>, flow: FlowKind, submission: (body: B) => CredentialSubmission): AnyRoute {
  return defineRoute({
    method: 'POST',
    path,
    summary,
    tag: 'Connect',
    auth: 'connect_session_query',
    params: PckParams,
    query: ConnectQuery,
    body,
    onInvalidInput: recordInvalidInput(flow),
    responses: {
      200: { description: 'Connected', schema: Connected },
      400: { description: 'connection_test_failed, integration_not_allowed, invalid_auth_mode, invalid_body, …' },
      404: { description: 'unknown_provider_config' },
    },
    handle: async (request: ApiRequest<z.output<typeof ConnectQuery>, B, z.output<typeof PckParams>, 'connect_session_query'>) => {
      const outcome = await connectWithCredentials({
        db: request.db,
        cipher: request.services.cipher,
        principal: request.principal,
        providerConfigKey: request.params.providerConfigKey,
        query: request.query,
        submission: submission(request.body),
        now: request.now,
        audit: auditFrom(request),
      });
      return jsonResult(200, { connectionId: outcome.connectionId, providerConfigKey: outcome.providerConfigKey });
    },
  });
}

export const apiKeyRoute = credentialRoute('/api-auth/api-key/{providerConfigKey}', 'Connects with an API key, verified with the provider first', ApiKeyBody, 'api_key', (b) => ({ kind: 'api_key', apiKey: b.apiKey }));
export const basicRoute = credentialRoute('/api-auth/basic/{providerConfigKey}', 'Connects with a username and password, verified with the provider first', BasicBody, 'basic', (b) => ({ kind: 'basic', username: b.username, password: b.password }));
export const clientCredentialsRoute = credentialRoute('/oauth2/auth/{providerConfigKey}', "Connects with the end user's OAuth2 client (client credentials grant)", ClientCredentialsBody, 'oauth2_cc', (b) => ({ kind: 'oauth2_cc', client_id: b.client_id, client_secret: b.client_secret }));

export const CONNECT_ROUTES: AnyRoute[] = [oauthConnectRoute, oauthCallbackRoute, apiKeyRoute, basicRoute, clientCredentialsRoute, connectUiRoute, connectUiAssetRoute, logoRoute];
