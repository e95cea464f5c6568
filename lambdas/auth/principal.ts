/** Who is calling: a backend with a secret key, or a browser holding a connect session token. */
export type Principal = SecretKeyPrincipal | ConnectSessionPrincipal;

export interface SecretKeyPrincipal {
  kind: 'secret_key';
  keyId: string;
  environmentId: string;
  environmentName: string;
  scopes: string[];
}

export interface ConnectSessionPrincipal {
  kind: 'connect_session';
  sessionId: string;
  environmentId: string;
  environmentName: string;
}

/** Which credentials a route accepts. */
export type AuthMode =
  | 'none'
  | 'secret_key'
  | 'connect_session'
  | 'secret_key_or_connect_session'
  /**
   * A connect session token in the `connect_session_token` query parameter (or the header): the
   * frontend SDK's popup and its direct auth calls put it there, since a popup cannot send headers.
   */
  | 'connect_session_query';
