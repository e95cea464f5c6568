/**
 * The API calls of the Connect UI, always to the API base the server embedded in the page, with the
 * session token as a bearer token. Credentials go in JSON bodies, never in a URL.
 */

export interface Session {
  isReconnecting?: boolean;
  allowed_integrations?: string[];
  integrations_config_defaults?: Record<string, { connection_config?: Record<string, unknown> }>;
  connectUISettings?: { defaultTheme?: string };
  websocketsPath?: string;
}

export interface Integration {
  unique_key: string;
  provider: string;
  display_name: string;
}

export interface Field {
  type?: 'string' | 'number' | 'boolean';
  title?: string;
  description?: string;
  example?: string;
  pattern?: string;
  format?: string;
  enum?: string[];
  optional?: boolean;
  automated?: boolean;
  hidden?: boolean;
  default_value?: string;
  prefix?: string;
  suffix?: string;
  secret?: boolean;
}

export interface Provider {
  name: string;
  display_name: string;
  auth_mode: string;
  docs?: string;
  docs_connect?: string;
  setup_guide_url?: string;
  connection_config?: Record<string, Field>;
  credentials?: Record<string, Field>;
}

/** What the API (or the network) answered instead of success: shown to the end user with a fix. */
export class Failure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

export class Api {
  constructor(
    readonly base: string,
    private readonly token: string,
  ) {}

  async session(): Promise<Session> {
    return (await this.call<{ data: Session }>('GET', '/connect/session')).data;
  }

  async integrations(): Promise<Integration[]> {
    return (await this.call<{ data: Integration[] }>('GET', '/integrations')).data;
  }

  async provider(name: string): Promise<Provider> {
    return (await this.call<{ data: Provider }>('GET', `/providers/${encodeURIComponent(name)}`)).data;
  }

  /** The credential POSTs (nango-api.md §3.4): the token in the query as the frontend SDK sends it, the secret in the body. */
  async submitCredentials(kind: 'api-key' | 'basic' | 'client-credentials', integration: string, params: Record<string, string>, body: Record<string, string>): Promise<{ connectionId: string; providerConfigKey: string }> {
    const query = new URLSearchParams({ connect_session_token: this.token });
    for (const [key, value] of Object.entries(params)) query.append(`params[${key}]`, value);
    const path = kind === 'client-credentials' ? '/oauth2/auth' : `/api-auth/${kind}`;
    return this.call('POST', `${path}/${encodeURIComponent(integration)}?${query}`, body, false);
  }

  /** Where the OAuth popup starts; carries the session token but no secret of the end user. */
  oauthUrl(integration: string, wsClientId: string, params: Record<string, string>): string {
    const query = new URLSearchParams({ connect_session_token: this.token, ws_client_id: wsClientId });
    for (const [key, value] of Object.entries(params)) query.append(`params[${key}]`, value);
    return `${this.base}/oauth/connect/${encodeURIComponent(integration)}?${query}`;
  }

  logoUrl(provider: string): string {
    return `${this.base}/images/template-logos/${encodeURIComponent(provider)}.svg`;
  }

  private async call<T>(method: string, path: string, body?: unknown, bearer = true): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (bearer) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
    } catch {
      throw new Failure('network', '');
    }
    const json = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    if (!res.ok) throw new Failure(json?.error?.code ?? `http_${res.status}`, json?.error?.message ?? '', res.status);
    return json as T;
  }
}
