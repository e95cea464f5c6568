// A real OAuth 2.0 authorization server (oidc-provider) for the OAuth client tests. It runs as its
// own process because oidc-provider is ESM-only and Jest (CommonJS) cannot load it.
// Login and consent finish at once for a fixed account, so a client that follows redirects and
// keeps cookies goes from the authorize URL straight to the redirect_uri with ?code=…&state=….
// Usage: node server.mjs '<json config>'  → prints {"issuer": "..."} on stdout when listening.
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2] ?? '{}');
const ACCOUNT_ID = 'test-account';

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    scopes: ['openid', 'offline_access', 'read', 'write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
    },
    pkce: { required: () => true },
    // Every code grant gets a refresh token (by default only with offline_access).
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Rotate on every use, so a reused refresh token is detectable (→ invalid_grant).
    rotateRefreshToken: true,
    ttl: { AccessToken: 3600, AuthorizationCode: 60, ClientCredentials: 600, RefreshToken: 86400, Interaction: 600, Session: 3600, Grant: 86400 },
    cookies: { keys: ['oauth-test-server-cookie-key'] },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  });
  // Quiet: the tests provoke errors on purpose.
  provider.on('server_error', (_ctx, err) => process.stderr.write(`server_error: ${err.message}\n`));

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    if (!req.url.startsWith('/interaction/')) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      const { params } = details;
      const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: params.client_id });
      if (params.scope) grant.addOIDCScope(params.scope);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId: ACCOUNT_ID }, consent: { grantId } }, { mergeWithLastSubmission: false });
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err?.message ?? err));
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

// The parent closes our stdin (or dies): stop with it.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
