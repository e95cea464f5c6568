import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AuditBase } from '../audit/audit-event';
import type { ConnectSessionPrincipal } from '../auth/principal';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import type { SqlExecutor } from '../platform/db/data-api';
import { ApiError } from '../http/errors';
import { AuthorizeUrlError, buildAuthorizeUrl, newPkcePair } from '../oauth/authorize-url';
import { InterpolationError, MissingInterpolationValueError } from '../providers/interpolation';
import { withConnectContext } from './connect-context';
import type { ConnectContext } from './connect-facts';
import type { ConnectQueryInput } from './connect-query';
import { clientOverride, flowInputs, oauthCallbackUrl, ownCallbackPath } from './flow-inputs';
import { insertOAuthSession, OAUTH_SESSION_TTL_MS, oauthSessionBinding, sha256, type OAuthSessionSecrets } from './oauth-session-store';
import { stateCookie } from './state-cookie';

export interface AuthorizeRequest {
  db: SqlExecutor;
  cipher: EnvelopeCipher;
  principal: ConnectSessionPrincipal;
  providerConfigKey: string;
  query: ConnectQueryInput;
  event: APIGatewayProxyEvent;
  now: Date;
  audit: AuditBase;
}

/**
 * `GET /oauth/connect/:pck`: builds the provider's authorization URL and stores the one-time OAuth
 * session it is bound to (state, PKCE verifier, browser cookie), then sends the popup there (302).
 * Three statements: authenticate, read the context, write the session. Every input (fields,
 * formats, the host the provider URLs take, protected parameters) is checked before the redirect.
 */
export async function startOAuth(r: AuthorizeRequest): Promise<APIGatewayProxyResult> {
  return withConnectContext(r, ['OAUTH2'], 'oauth2', (ctx) => authorize(r, ctx));
}

async function authorize(r: AuthorizeRequest, ctx: ConnectContext): Promise<APIGatewayProxyResult> {
  const { integration, session } = ctx;
  const inputs = flowInputs(ctx, r.query);
  const override = clientOverride(r.query);
  const clientId = override?.clientId ?? integration.clientId;
  if (!clientId || (!override && !integration.secrets)) {
    throw new ApiError(400, 'provider_config_err', 'The integration has no OAuth client id and secret: configure them first');
  }

  const id = randomUUID();
  const state = randomBytes(32).toString('base64url');
  const browserBinding = randomBytes(32).toString('base64url');
  const pkce = integration.provider.disable_pkce ? undefined : newPkcePair();
  const redirectUri = oauthCallbackUrl(r.event, session.callbackUrl);
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
      wsClientId: r.query.ws_client_id ?? null,
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
  return {
    statusCode: 302,
    // multiValueHeaders is how a REST proxy integration sets cookies; one here.
    headers: { location: url, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
    multiValueHeaders: { 'set-cookie': [stateCookie.set(state, browserBinding, ownCallbackPath(r.event), redirectUri.startsWith('https:'))] },
    body: '',
  };
}

function authorizeUrlRefusal(err: unknown): ApiError {
  if (err instanceof MissingInterpolationValueError) {
    return new ApiError(400, 'missing_connection_config', `Missing connection config: ${err.keys.join(', ')}`);
  }
  if (err instanceof InterpolationError) return new ApiError(400, 'invalid_connection_config', err.message);
  if (err instanceof AuthorizeUrlError) {
    if (err.code === 'protected_parameter') return new ApiError(400, 'invalid_query_params', err.message);
    return new ApiError(400, 'provider_config_err', err.message);
  }
  return err as ApiError;
}
