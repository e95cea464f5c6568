import { randomBytes, randomUUID } from 'node:crypto';
import type { AuditBase } from '../audit/audit-event';
import type { ConnectSessionPrincipal } from '../auth/principal';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import type { SqlExecutor } from '../platform/db/data-api';
import { AuthorizeUrlError, buildAuthorizeUrl, newPkcePair } from '../oauth/authorize-url';
import { InterpolationError, MissingInterpolationValueError } from '../providers/interpolation';
import { withConnectContext } from './connect-context';
import type { ConnectContext } from './connect-facts';
import type { ConnectQueryInput } from './connect-query';
import { bindRelayClient, relayClientId } from './browser-relay';
import { ConnectError } from './errors';
import { clientOverride, flowInputs } from './flow-inputs';
import { insertOAuthSession, OAUTH_SESSION_TTL_MS, oauthSessionBinding, sha256, type OAuthSessionSecrets } from './oauth-session-store';

export interface AuthorizeRequest {
  db: SqlExecutor;
  cipher: EnvelopeCipher;
  principal: ConnectSessionPrincipal;
  providerConfigKey: string;
  query: ConnectQueryInput;
  /** Our own `/oauth/callback` at the trusted public base URL (never from the Host header). */
  ownCallbackUrl: string;
  now: Date;
  audit: AuditBase;
}

/** Where to send the popup, and the secret the browser must keep until the callback. */
export interface AuthorizeRedirect {
  /** The provider's authorization URL. */
  url: string;
  /** The one-time state in `url`; the browser binding is kept under a name derived from it. */
  state: string;
  /** Random secret for the browser that starts the flow; the session keeps only its hash. */
  browserBinding: string;
  /** The redirect URI the provider was given (`https:` ones get a Secure binding). */
  redirectUri: string;
}

/**
 * `GET /oauth/connect/:pck`: builds the provider's authorization URL and stores the one-time OAuth
 * session it is bound to (state, PKCE verifier, browser binding); the function sends the popup
 * there with the binding as a cookie. Three statements: authenticate, read the context, write the
 * session (a fourth binds the frontend SDK's socket, when the popup names one). Every input (fields, formats, the host the provider URLs take, protected parameters) is
 * checked before the redirect.
 */
export async function startOAuth(r: AuthorizeRequest): Promise<AuthorizeRedirect> {
  return withConnectContext(r, ['OAUTH2'], 'oauth2', (ctx) => authorize(r, ctx));
}

async function authorize(r: AuthorizeRequest, ctx: ConnectContext): Promise<AuthorizeRedirect> {
  const { integration, session } = ctx;
  const inputs = flowInputs(ctx, r.query);
  const override = clientOverride(r.query);
  const clientId = override?.clientId ?? integration.clientId;
  if (!clientId || (!override && !integration.secrets)) {
    throw new ConnectError('provider_config_err', 'The integration has no OAuth client id and secret: configure them first');
  }

  const id = randomUUID();
  const state = randomBytes(32).toString('base64url');
  const browserBinding = randomBytes(32).toString('base64url');
  const pkce = integration.provider.disable_pkce ? undefined : newPkcePair();
  // The environment's callback_url (a customer page that forwards to ours) wins.
  const redirectUri = session.callbackUrl ?? r.ownCallbackUrl;
  let url: string;
  try {
    url = buildAuthorizeUrl({
      provider: integration.provider,
      integration: { client_id: clientId, scopes: integration.scopes ?? integration.provider.default_scopes },
      connectionConfig: inputs.connectionConfig,
      redirectUri,
      state,
      codeChallenge: pkce?.challenge,
      scopesOverride: inputs.scopesOverride,
      authorizationParams: inputs.authorizationParams,
      userScope: inputs.userScope,
    });
  } catch (err) {
    throw authorizeUrlRefusal(err);
  }

  // The frontend SDK's socket: bound to this session by its first flow; another session's is not used.
  const wsClientId = relayClientId(r.query.ws_client_id);
  const relayed = wsClientId !== undefined && (await bindRelayClient(r.db, wsClientId, session.sessionId, r.now));

  const secrets: OAuthSessionSecrets = {
    ...(pkce ? { code_verifier: pkce.verifier } : {}),
    ...(override ? { client_secret_override: override.clientSecret } : {}),
    ...(r.query.credentials?.oauth_refresh_token_override ? { refresh_token_override: r.query.credentials.oauth_refresh_token_override } : {}),
  };
  await insertOAuthSession(
    r.db,
    {
      id,
      environmentId: session.environmentId,
      stateHash: sha256(state),
      browserBindingHash: sha256(browserBinding),
      connectSessionId: session.sessionId,
      integrationId: integration.id,
      reconnectRowId: session.reconnect?.rowId ?? null,
      secrets: Object.keys(secrets).length ? await r.cipher.encryptJson(secrets, oauthSessionBinding(session.environmentId, id)) : null,
      redirectUri,
      request: { providerConfigKey: integration.uniqueKey, connectionConfig: inputs.connectionConfig, endUserKeys: inputs.endUserKeys, ...(override ? { clientIdOverride: override.clientId } : {}) },
      wsClientId: relayed ? wsClientId : null,
      expiresAt: new Date(r.now.getTime() + OAUTH_SESSION_TTL_MS),
    },
    {
      ...r.audit,
      action: 'connect.oauth.authorize',
      targetType: 'integration',
      targetId: integration.id,
      detail: { provider_config_key: integration.uniqueKey, reconnect: session.reconnect !== null, pkce: pkce !== undefined },
    },
  );
  return { url, state, browserBinding, redirectUri };
}

function authorizeUrlRefusal(err: unknown): unknown {
  if (err instanceof MissingInterpolationValueError) {
    return new ConnectError('missing_connection_config', `Missing connection config: ${err.keys.join(', ')}`);
  }
  if (err instanceof InterpolationError) return new ConnectError('invalid_connection_config', err.message);
  if (err instanceof AuthorizeUrlError) {
    if (err.code === 'protected_parameter') return new ConnectError('invalid_query_params', err.message);
    return new ConnectError('provider_config_err', err.message);
  }
  return err;
}
