import type { AuditBase } from '../audit/audit-event';
import type { ConnectSessionPrincipal } from '../auth/principal';
import type { StoredCredentials } from '../connections/credentials';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import type { SqlExecutor } from '../platform/db/data-api';
import { clientCredentials, OAuthConfigError } from '../oauth/token-client';
import { OAuthTokenError } from '../oauth/token-response';
import type { AuthMode } from '../providers/provider-schema';
import { withConnectContext } from './connect-context';
import type { ConnectContext } from './connect-facts';
import type { ConnectQueryInput } from './connect-query';
import { verifyCredentials } from './credential-check';
import { ConnectError } from './errors';
import { saveFlowConnection, type FlowKind, type FlowOutcome } from './flow-connection';
import { flowInputs } from './flow-inputs';

/**
 * The connect flows without a redirect (docs/nango-wire.md §3.4): the end user types credentials, we
 * check them with the provider, and store the connection. API key and basic credentials are
 * verified first; client credentials are verified by obtaining a token with them.
 */

export type CredentialSubmission =
  | { kind: 'api_key'; apiKey: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'oauth2_cc'; client_id: string; client_secret?: string };

export interface CredentialFlowRequest {
  db: SqlExecutor;
  cipher: EnvelopeCipher;
  principal: ConnectSessionPrincipal;
  providerConfigKey: string;
  query: ConnectQueryInput;
  submission: CredentialSubmission;
  now: Date;
  audit: AuditBase;
}

const MODES: Record<CredentialSubmission['kind'], AuthMode> = { api_key: 'API_KEY', basic: 'BASIC', oauth2_cc: 'OAUTH2_CC' };

export async function connectWithCredentials(r: CredentialFlowRequest): Promise<FlowOutcome> {
  const flow: FlowKind = r.submission.kind;
  return withConnectContext(r, [MODES[r.submission.kind]], flow, async (ctx) => {
    // Every input is checked (fields, formats, hosts) before the provider is called.
    const { connectionConfig } = flowInputs(ctx, r.query);
    const obtained = await obtain(ctx, r.submission, connectionConfig, r.now);
    return saveFlowConnection({ db: r.db, cipher: r.cipher }, ctx, flow, { ...obtained, connectionConfig: { ...connectionConfig, ...obtained.connectionConfig } }, r.now, r.audit);
  });
}

async function obtain(ctx: ConnectContext, s: CredentialSubmission, connectionConfig: Record<string, string>, now: Date): Promise<{ credentials: StoredCredentials; expiresAt: Date | null; connectionConfig: Record<string, unknown> }> {
  const { provider } = ctx.integration;
  switch (s.kind) {
    case 'api_key': {
      const credentials = { type: 'API_KEY' as const, apiKey: s.apiKey };
      await verifyCredentials(provider, credentials, connectionConfig);
      return { credentials, expiresAt: null, connectionConfig: {} };
    }
    case 'basic': {
      const credentials = { type: 'BASIC' as const, username: s.username, password: s.password };
      await verifyCredentials(provider, credentials, connectionConfig);
      return { credentials, expiresAt: null, connectionConfig: {} };
    }
    case 'oauth2_cc': {
      const client = { client_id: s.client_id, client_secret: s.client_secret ?? '' };
      try {
        const scopes = ctx.integration.scopes ?? provider.default_scopes;
        const parsed = await clientCredentials({ provider, client, connectionConfig, scopes, now });
        const { credentials } = parsed;
        return { credentials, expiresAt: credentials.expires_at ? new Date(credentials.expires_at) : null, connectionConfig: parsed.connectionConfig };
      } catch (err) {
        if (err instanceof OAuthTokenError) throw new ConnectError('connection_test_failed', `The provider did not issue a token for these client credentials: ${err.kind}${err.providerError ? ` (${err.providerError})` : ''}`);
        if (err instanceof OAuthConfigError) throw new ConnectError('provider_config_err', err.message);
        throw err;
      }
    }
  }
}
