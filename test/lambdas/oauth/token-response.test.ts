import { classifyErrorResponse, mergeRefreshed, OAuthTokenError, parseTokenResponse, safeErrorCode, type OAuth2Credentials } from '../../../lambdas/oauth/token-response';
import { CATALOG } from '../../../lambdas/providers/catalog';

const now = new Date('2025-01-01T00:00:00.000Z');
const plain = { provider: {}, now, host: 'auth.example.com' };

describe('parseTokenResponse', () => {
  it('access and refresh token, expires_in as a number or a numeric string', () => {
    const body = { access_token: 'at', refresh_token: 'rt', expires_in: 3600, token_type: 'Bearer' };
    expect(parseTokenResponse(body, plain)).toEqual({
      credentials: { type: 'OAUTH2', access_token: 'at', refresh_token: 'rt', expires_at: '2025-01-01T01:00:00.000Z', raw: body },
      connectionConfig: {},
    });
    expect(parseTokenResponse({ access_token: 'at', expires_in: '60' }, plain).credentials.expires_at).toBe('2025-01-01T00:01:00.000Z');
  });

  it('absolute expires_at: ISO, epoch seconds, epoch milliseconds; nothing when absent or junk', () => {
    const at = (expires_at: unknown) => parseTokenResponse({ access_token: 'a', expires_at }, plain).credentials.expires_at;
    expect(at('2025-02-01T00:00:00Z')).toBe('2025-02-01T00:00:00.000Z');
    expect(at(1738368000)).toBe('2025-02-01T00:00:00.000Z');
    expect(at(1738368000000)).toBe('2025-02-01T00:00:00.000Z');
    expect(at('nonsense')).toBeUndefined();
    expect(parseTokenResponse({ access_token: 'a', expires_in: -5 }, plain).credentials.expires_at).toBeUndefined();
    expect(parseTokenResponse({ access_token: 'a' }, plain).credentials).not.toHaveProperty('expires_at');
  });

  it('slack: user token at authed_user.access_token, its siblings and token_response_metadata', () => {
    const body = {
      ok: true,
      authed_user: { id: 'U1', access_token: 'xoxp-user', refresh_token: 'xoxe-user', expires_in: 43200 },
      team: { id: 'T1', name: 'Acme' },
      enterprise: null,
    };
    const parsed = parseTokenResponse(body, { provider: CATALOG.slack, now, host: 'slack.com' });
    expect(parsed.credentials).toEqual({ type: 'OAUTH2', access_token: 'xoxp-user', refresh_token: 'xoxe-user', expires_at: '2025-01-01T12:00:00.000Z', raw: body });
    expect(parsed.connectionConfig).toEqual({ 'team.id': 'T1', 'team.name': 'Acme', 'authed_user.id': 'U1' });
  });

  it('slack with a bot token: the top-level token wins', () => {
    const body = { ok: true, access_token: 'xoxb-bot', authed_user: { id: 'U1', access_token: 'xoxp-user' }, team: { id: 'T1' }, bot_user_id: 'B1' };
    const parsed = parseTokenResponse(body, { provider: CATALOG.slack, now, host: 'slack.com' });
    expect(parsed.credentials.access_token).toBe('xoxb-bot');
    expect(parsed.connectionConfig).toEqual({ 'team.id': 'T1', bot_user_id: 'B1', 'authed_user.id': 'U1' });
  });

  it('salesforce instance_url becomes connection config', () => {
    const parsed = parseTokenResponse({ access_token: 'a', instance_url: 'https://acme.my.salesforce.com' }, { provider: CATALOG.salesforce, now, host: 'h' });
    expect(parsed.connectionConfig).toEqual({ instance_url: 'https://acme.my.salesforce.com' });
  });

  it.each([[null], ['text'], [[]], [{}], [{ access_token: '' }], [{ access_token: 42 }], [{ access_token: 'x'.repeat(20_000) }]])('no usable access token → invalid_response (%#)', (body) => {
    expect(() => parseTokenResponse(body, plain)).toThrow(expect.objectContaining({ kind: 'invalid_response' }));
  });
});

describe('classifyErrorResponse', () => {
  it.each([
    [400, { error: 'invalid_grant', error_description: 'refresh token rt-secret is revoked' }, 'invalid_grant'],
    [200, { error: 'bad_verification_code' }, 'invalid_grant'], // GitHub answers 200
    [200, { ok: false, error: 'invalid_refresh_token' }, 'invalid_grant'], // Slack answers 200
    [401, { error: 'invalid_client' }, 'invalid_client'],
    [400, { error: 'unauthorized_client' }, 'invalid_client'],
    [401, undefined, 'invalid_client'],
    [400, { error: 'invalid_scope' }, 'other_4xx'],
    [429, undefined, 'server'],
    [403, undefined, 'other_4xx'],
    [503, { error: 'temporarily_unavailable' }, 'server'],
    [500, undefined, 'server'],
    [302, undefined, 'invalid_response'],
  ])('HTTP %d %j → %s', (status, body, kind) => {
    const err = classifyErrorResponse(status, body, 'auth.example.com');
    expect(err).toBeInstanceOf(OAuthTokenError);
    expect(err.kind).toBe(kind);
    expect(err.status).toBe(status);
    expect(String(err)).not.toContain('rt-secret');
    expect(JSON.stringify(err)).not.toContain('rt-secret');
  });

  it('keeps only code-like error values', () => {
    expect(safeErrorCode('invalid_grant')).toBe('invalid_grant');
    expect(safeErrorCode('the code abc123 is invalid')).toBeUndefined();
    expect(safeErrorCode('x'.repeat(65))).toBeUndefined();
    expect(safeErrorCode({ nested: true })).toBeUndefined();
    expect(classifyErrorResponse(400, { error: 'code c0de-secret is bad' }, 'h').providerError).toBeUndefined();
  });
});

describe('mergeRefreshed', () => {
  const old: OAuth2Credentials = { type: 'OAUTH2', access_token: 'old-at', refresh_token: 'old-rt', config_override: { client_id: 'override' }, raw: {} };
  it('keeps the old refresh token and client override when the answer has none', () => {
    const fresh: OAuth2Credentials = { type: 'OAUTH2', access_token: 'new-at', expires_at: '2025-01-01T01:00:00.000Z', raw: { access_token: 'new-at' } };
    expect(mergeRefreshed(old, fresh)).toEqual({ ...fresh, refresh_token: 'old-rt', config_override: { client_id: 'override' } });
  });
  it('a rotated refresh token replaces the old one', () => {
    const fresh: OAuth2Credentials = { type: 'OAUTH2', access_token: 'new-at', refresh_token: 'new-rt', raw: {} };
    expect(mergeRefreshed(old, fresh).refresh_token).toBe('new-rt');
  });
});
