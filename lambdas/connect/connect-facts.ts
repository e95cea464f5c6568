import type { WebhookEndUser } from '../connections/auth-event';
import type { Provider } from '../providers/provider-schema';

/** What a connect-flow request knows of its session and integration (read by connect-context.ts). */

export interface SessionFacts {
  sessionId: string;
  environmentId: string;
  environmentName: string;
  callbackUrl: string | null;
  allowedIntegrations: string[] | null;
  configDefaults: Record<string, { user_scopes?: string; authorization_params?: Record<string, string>; connection_config?: Record<string, unknown> }>;
  tags: Record<string, string>;
  webhookUrlOverride: string | null;
  endUserRowId: string | null;
  endUser: WebhookEndUser | null;
  /** Reconnect sessions: the connection they re-authorize. */
  reconnect: { rowId: string; connectionId: string; providerConfigKey: string } | null;
}

export interface IntegrationFacts {
  id: string;
  uniqueKey: string;
  providerName: string;
  provider: Provider;
  clientId: string | null;
  /** Envelope of {client_secret?, …} bound to the integration row. */
  secrets: Buffer | null;
  scopes: string[] | null;
  /** Hosts end users may choose (providers/host-choice.ts). */
  allowedHosts: string[];
}

export interface ConnectContext {
  session: SessionFacts;
  integration: IntegrationFacts;
}
