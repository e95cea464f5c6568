/** The `endUser` of Nango's auth webhook. */
export interface WebhookEndUser {
  endUserId: string;
  endUserEmail: string | null;
  organizationId?: string;
  tags: Record<string, string>;
}

/**
 * The body of Nango's `auth` webhook (docs/nango-wire.md §4.1), built once when the event is written to
 * the outbox; delivery sends it as is. `error.description` is ours, never a provider's text.
 */
export interface AuthEventInput {
  environmentName: string;
  connectionId: string;
  providerConfigKey: string;
  provider: string;
  authMode: string;
  operation: 'creation' | 'override' | 'refresh';
  success: boolean;
  error?: { type: string; description: string };
  /** Only when a connection row was involved. */
  tags?: Record<string, string>;
  /** Only for connections made through a connect session. */
  endUser?: WebhookEndUser | null;
}

export function authEventPayload(input: AuthEventInput): Record<string, unknown> {
  const body: Record<string, unknown> = {
    from: 'nango',
    type: 'auth',
    connectionId: input.connectionId,
    providerConfigKey: input.providerConfigKey,
    provider: input.provider,
    authMode: input.authMode,
    environment: input.environmentName,
    operation: input.operation,
    success: input.success,
  };
  if (!input.success && input.error) body.error = input.error;
  if (input.tags) body.tags = input.tags;
  if (input.endUser) body.endUser = input.endUser;
  return body;
}
