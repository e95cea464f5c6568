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
    ttl: { AccessToken: config.accessTokenTtl ?? 3600, AuthorizationCode: 60, ClientCredentials: 600, RefreshToken: 86400, Interaction: 600, Session: 3600, Grant: 86400 },
    cookies: { keys: ['oauth-test-server-cookie-key'] },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  });
  // Quiet: the tests provoke errors on purpose.
  provider.on('server_error', (_ctx, err) => process.stderr.write(`server_error: ${err.message}\n`));

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    if (req.url.startsWith('/__test/')) return testControl(req, res);
    if (req.method === 'POST' && req.url === '/token') {
      control.tokenRequests += 1;
      if (control.outage) {
        res.writeHead(503, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: 'temporarily_unavailable' }));
      }
    }
    if (!req.url.startsWith('/interaction/')) return callback(req, res);
    if (config.interactive) return interactive(provider, req, res);
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

// Test controls: token request counter, and an outage switch (the token endpoint answers 503).
const control = { tokenRequests: 0, outage: false };

function testControl(req, res) {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/__test/outage') control.outage = url.searchParams.get('on') === '1';
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(control));
}

// Interactive mode: real login and consent pages with HTML forms, as a user would see them.
// The password of every account is PASSWORD; the account id is what was typed as login.
const PASSWORD = 'correct horse';

async function interactive(provider, req, res) {
  try {
    const [, , uid, action] = new URL(req.url, 'http://x').pathname.split('/');
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      const page = details.prompt.name === 'login'
        ? `<h1>Sign in</h1><form method="post" action="/interaction/${uid}/login"><input name="login"><input name="password" type="password"><button>Sign in</button></form>`
        : `<h1>Allow access?</h1><form method="post" action="/interaction/${uid}/confirm"><button>Allow</button></form><form method="post" action="/interaction/${uid}/abort"><button>Deny</button></form>`;
      res.setHeader('content-type', 'text/html');
      return res.end(`<!doctype html><html><body>${page}</body></html>`);
    }
    const form = new URLSearchParams(await readBody(req));
    let result;
    if (action === 'login') {
      if (form.get('password') !== PASSWORD || !form.get('login')) {
        res.statusCode = 401;
        res.setHeader('content-type', 'text/html');
        return res.end('<!doctype html><p>Wrong login or password</p>');
      }
      result = { login: { accountId: form.get('login') } };
    } else if (action === 'confirm') {
      const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      const missing = details.prompt.details.missingOIDCScope;
      if (missing) grant.addOIDCScope(missing.join(' '));
      if (details.prompt.details.missingResourceScopes) {
        for (const [indicator, scopes] of Object.entries(details.prompt.details.missingResourceScopes)) grant.addResourceScope(indicator, scopes.join(' '));
      }
      result = { consent: { grantId: await grant.save() } };
    } else {
      result = { error: 'access_denied', error_description: 'The user denied access' };
    }
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: action !== 'login' });
  } catch (err) {
    res.statusCode = 500;
    res.end(String(err?.message ?? err));
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

// The parent closes our stdin (or dies): stop with it.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
