import { timingSafeEqual } from 'node:crypto';
import type { AuditBase } from '../audit/audit-event';
import type { OAuth2Credentials } from '../oauth/token-response';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import type { SqlExecutor } from '../platform/db/data-api';
import type { SocketPoster } from '../platform/websocket/connections-api';
import { openSecrets } from '../integrations/integration-service';
import { OAuthConfigError, exchangeCode } from '../oauth/token-client';
import { OAuthTokenError, safeErrorCode } from '../oauth/token-response';
import { sessionFacts, toConnectContext } from './connect-context';
import type { ConnectContext } from './connect-facts';
import { deliverToRelayClient, errorMessage, relayClientId, successMessage } from './browser-relay';
import { ConnectError } from './errors';
import { checkHostChoice } from './flow-inputs';
import { recordFlowFailure, saveFlowConnection, type FlowOutcome } from './flow-connection';
import { consumeOAuthSession, oauthSessionBinding, sha256, type ConsumedOAuthSession, type OAuthSessionSecrets } from './oauth-session-store';

export interface CallbackSuccess extends FlowOutcome {
  /** The state the flow was bound to (its browser binding can be cleared now). */
  state: string;
  /** The redirect URI the flow used (an `https:` one had a Secure binding cookie). */
  redirectUri: string;
}

export interface CallbackRequest {
  db: SqlExecutor;
  cipher: EnvelopeCipher;
  /** The callback's query, as the provider sent it (strings only). */
  query: Record<string, string>;
  /** The browser binding the request carries for this state (the function reads it from the state's cookie). */
  browserBinding: string | undefined;
  now: Date;
  audit: AuditBase;
  /** Posts the outcome to the frontend SDK's socket the flow named; undefined: no relay deployed. */
  sockets: SocketPoster | undefined;
}

/**
 * `GET /oauth/callback`: spends the state (once, whatever happens next), checks it came back to
 * the browser that started the flow and in time, exchanges the code with the PKCE verifier, and
 * stores the connection with its `auth` event. Two statements on success; every failure after the
 * state is known is audited and reported as a failed `auth` event, and shown on the error page.
 * When the flow named a ws_client_id, its outcome is also posted to that socket (one statement more).
 */
export async function finishOAuth(r: CallbackRequest): Promise<CallbackSuccess> {
  const state = r.query.state;
  if (!state) throw new ConnectError('invalid_state', 'The callback has no state: start the connection again.');
  const row = await consumeOAuthSession(r.db, sha256(state), r.now);
  if (!row) throw new ConnectError('invalid_state', 'This authorization is unknown, expired or already used: start the connection again.');

  const audit: AuditBase = { ...r.audit, environmentId: row.environment_id, actor: { type: 'connect_session', id: row.connect_session_id } };
  const pck = row.request.providerConfigKey;
  const relay = { db: r.db, poster: r.sockets };
  const wsClientId = relayClientId(row.ws_client_id);
  let ctx: ConnectContext | undefined;
  try {
    ctx = toConnectContext({ sessionId: row.connect_session_id, environmentId: row.environment_id }, row, pck, ['OAUTH2']);
    if (row.expires_at.getTime() <= r.now.getTime()) throw new ConnectError('invalid_state', 'This authorization took longer than 10 minutes: start the connection again.');
    if (row.connect_session_expired) throw new ConnectError('connect_session_expired', 'The connect session expired before the authorization finished: start the connection again.');
    if (!bindingMatches(r.browserBinding, row.browser_binding_hash)) {
      throw new ConnectError('state_cookie_err', 'This authorization was started in another browser: start the connection again from this one.');
    }
    const saved = await exchangeAndSave(r, row, ctx, audit);
    await deliverToRelayClient(relay, wsClientId, row.connect_session_id, successMessage(saved.providerConfigKey, saved.connectionId), r.now);
    return { ...saved, state, redirectUri: row.redirect_uri };
  } catch (err) {
    if (err instanceof ConnectError) {
      // A failure before the context checked out (the integration was deleted) still has the session's facts.
      const session = ctx?.session ?? sessionFacts({ sessionId: row.connect_session_id, environmentId: row.environment_id }, row);
      await recordFlowFailure(r.db, { session, integration: ctx?.integration }, pck, 'oauth2', err, audit);
    }
    const { type, message } = relayedFailure(err);
    await deliverToRelayClient(relay, wsClientId, row.connect_session_id, errorMessage(pck, ctx?.session.reconnect?.connectionId ?? '', type, message), r.now);
    throw err;
  }
}

/** What the socket is told of a failure: a connect error as the page shows it; anything else, our fault, without details. */
function relayedFailure(err: unknown): { type: string; message: string } {
  if (err instanceof ConnectError) return { type: err.reason, message: err.message };
  return { type: 'unknown_err', message: 'An unexpected error occurred; the connection was not made.' };
}

async function exchangeAndSave(r: CallbackRequest, row: ConsumedOAuthSession, ctx: ConnectContext, audit: AuditBase) {
  const { provider } = ctx.integration;
  const providerError = r.query.error ?? r.query.error_message;
  if (providerError !== undefined) throw providerRefusal(r.query);
  const code = r.query[provider.authorization_code_param_in_callback ?? 'code'];
  if (!code) throw new ConnectError('callback_err', 'The provider did not return an authorization code.');

  // The allowlist may have changed since the redirect: the exchange sends the client secret to this host.
  // Sessions stored before provenance was recorded count every value as the end user's; the
  // callback's query passes through the browser, so redirect metadata is the end user's too.
  const fromRedirect = redirectMetadata(r.query, provider.redirect_uri_metadata);
  const endUserKeys = [...(row.request.endUserKeys ?? Object.keys(row.request.connectionConfig)), ...Object.keys(fromRedirect)];
  checkHostChoice(ctx, { ...row.request.connectionConfig, ...fromRedirect }, endUserKeys);
  const secrets = row.secrets ? await r.cipher.decryptJson<OAuthSessionSecrets>(row.secrets, oauthSessionBinding(row.environment_id, row.id)) : {};
  const client = await clientOf(r.cipher, ctx, row, secrets);
  let credentials: OAuth2Credentials;
  let metadata: Record<string, unknown>;
  try {
    const parsed = await exchangeCode({ provider, client, connectionConfig: row.request.connectionConfig, code, redirectUri: row.redirect_uri, codeVerifier: secrets.code_verifier, now: r.now });
    credentials = parsed.credentials;
    metadata = parsed.connectionConfig;
  } catch (err) {
    throw exchangeRefusal(err);
  }
  if (secrets.refresh_token_override) credentials.refresh_token = secrets.refresh_token_override;
  // Refreshes must use the client that obtained the grant.
  if (secrets.client_secret_override && row.request.clientIdOverride) credentials.config_override = { client_id: row.request.clientIdOverride, client_secret: secrets.client_secret_override };
  const connectionConfig = { ...row.request.connectionConfig, ...metadata, ...fromRedirect };
  return saveFlowConnection(
    { db: r.db, cipher: r.cipher },
    ctx,
    'oauth2',
    { credentials, expiresAt: credentials.expires_at ? new Date(credentials.expires_at) : null, connectionConfig },
    r.now,
    audit,
  );
}

async function clientOf(cipher: EnvelopeCipher, ctx: ConnectContext, row: ConsumedOAuthSession, secrets: OAuthSessionSecrets): Promise<{ client_id: string; client_secret: string }> {
  if (row.request.clientIdOverride && secrets.client_secret_override) return { client_id: row.request.clientIdOverride, client_secret: secrets.client_secret_override };
  const { integration } = ctx;
  const integrationSecrets = integration.secrets ? await openSecrets(cipher, ctx.session.environmentId, integration.id, integration.secrets) : {};
  if (!integration.clientId || !integrationSecrets.client_secret) throw new ConnectError('provider_config_err', 'The integration has no OAuth client id and secret.');
  return { client_id: integration.clientId, client_secret: integrationSecrets.client_secret };
}

/** The provider said no (the end user denied, a bad scope…): its code and description, bounded and printable. */
function providerRefusal(query: Record<string, string>): ConnectError {
  const code = safeErrorCode(query.error) ?? 'error';
  const description = [query.error_description, query.error_reason, query.error_message]
    .find((v) => typeof v === 'string' && v !== '')
    ?.replace(/[\x00-\x1f\x7f]/g, ' ')
    .slice(0, 300);
  return new ConnectError('callback_err', `The provider refused the authorization: ${code}${description ? ` (${description})` : ''}`);
}

function exchangeRefusal(err: unknown): unknown {
  if (err instanceof OAuthTokenError) {
    const unavailable = err.kind === 'network' || err.kind === 'timeout' || err.kind === 'server';
    return new ConnectError('token_exchange_failed', `The provider did not exchange the authorization code: ${err.kind}${err.providerError ? ` (${err.providerError})` : ''}`, unavailable);
  }
  if (err instanceof OAuthConfigError) return new ConnectError('provider_config_err', err.message);
  return err;
}

/** Whether `value` is the browser binding whose hash the OAuth session keeps (in constant time). */
function bindingMatches(value: string | undefined, expectedHash: Buffer): boolean {
  if (!value) return false;
  const actual = sha256(value);
  return actual.length === expectedHash.length && timingSafeEqual(actual, expectedHash);
}

/** redirect_uri_metadata: callback parameters the provider puts there for the connection (QuickBooks' realmId). */
function redirectMetadata(query: Record<string, string>, keys: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys ?? []) {
    const value = query[key];
    if (typeof value === 'string' && value.length <= 1024) out[key] = value;
  }
  return out;
}
