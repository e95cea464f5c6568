import { database } from '../support/handles';
import fc from 'fast-check';
import { encodeKeysetCursor } from '../../lambdas/platform/db/keyset-cursor';
import { readJson, startTestStack, type TestStack } from '../support/local-stack';
import { insertIntegration } from '../lambdas/connections/fixtures';

/**
 * Bad input is the caller's fault: text PostgreSQL cannot store (NUL, lone surrogates), cursors
 * that look like ours but hold no real instant or UUID, and absurdly deep JSON each answer 400 in
 * Nango's envelope — never a 5xx — and change nothing, on every route.
 */

let t: TestStack;

beforeAll(async () => {
  t = await startTestStack();
  await insertIntegration('dev', 'openai', 'openai');
  const imported = await t.api('/connections', {
    method: 'POST',
    json: { provider_config_key: 'openai', connection_id: 'c-1', end_user: { id: 'user-1' }, credentials: { type: 'API_KEY', apiKey: 'sk-bad-input-0123456789' } },
  });
  expect(imported.status).toBe(201);
});
afterAll(() => t.stop());

/** A digest of every table's rows (but a key's last use, which authentication records): equal digests mean the request changed nothing. */
async function snapshot(): Promise<Record<string, string>> {
  const db = database();
  const tables = await db.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1");
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await db.query<{ digest: string | null }>(`SELECT md5(string_agg(md5((to_jsonb(t) - 'last_used_at')::text), '' ORDER BY md5((to_jsonb(t) - 'last_used_at')::text))) AS digest FROM "${name}" t`);
    out[name] = row.digest ?? 'empty';
  }
  return out;
}

type Call = { path: string; method?: string; json?: unknown; headers?: Record<string, string> };

async function expectRejected(call: Call): Promise<void> {
  const res = await readJson(await t.api(call.path, { method: call.method ?? 'GET', json: call.json, headers: call.headers }));
  expect({ call: `${call.method ?? 'GET'} ${call.path}`, status: res.status }).toEqual({ call: `${call.method ?? 'GET'} ${call.path}`, status: 400 });
  expect(res.body).toEqual({ error: expect.objectContaining({ code: expect.stringMatching(/^invalid_/), message: expect.any(String) }) });
}

const RECORDS_HEADERS = { 'Connection-Id': 'c-1', 'Provider-Config-Key': 'openai' };
const cursor = (at: string, id: string) => encodeURIComponent(encodeKeysetCursor({ at, id }));
const VALID_UUID = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

describe('cursors that match the format but hold no real position', () => {
  const bad = [
    ['an id of dashes', cursor('2024-01-01T00:00:00.000Z', '-'.repeat(36))],
    ['an id with misplaced dashes', cursor('2024-01-01T00:00:00.000Z', '3f1b2c4d5e6f-4a7b-8c9d-0e1f-2a3b4c5d')],
    ['month 13', cursor('2024-13-01T00:00:00.000Z', VALID_UUID)],
    ['30 February', cursor('2024-02-30T00:00:00.000Z', VALID_UUID)],
    ['hour 25', cursor('2024-01-01T25:00:00.000Z', VALID_UUID)],
    ['year 0', cursor('0000-01-01T00:00:00.000Z', VALID_UUID)],
    ['three fields', encodeURIComponent(Buffer.from(`2024-01-01T00:00:00.000Z|${VALID_UUID}|x`).toString('base64url'))],
  ];
  test.each(bad)('%s: 400 on /audit-events and /webhooks/deliveries', async (_name, text) => {
    await expectRejected({ path: `/audit-events?cursor=${text}` });
    await expectRejected({ path: `/webhooks/deliveries?cursor=${text}` });
  });

  test('a real cursor still pages', async () => {
    const res = await t.api(`/audit-events?cursor=${cursor('2024-02-29T23:59:59.999999Z', VALID_UUID)}`);
    expect(res.status).toBe(200);
  });
});

describe('NUL in query and path values', () => {
  test.each([
    '/providers?search=a%00b',
    '/connections?search=%00',
    '/connections?endUserId=user%00',
    '/connections/c-1?provider_config_key=openai%00',
    '/connections/c%00-1?provider_config_key=openai',
    '/audit-events?target_id=%00',
    '/audit-events?target_type=connection%00',
    '/audit-events?actor_id=%00',
  ])('GET %s → 400', async (path) => {
    const before = await snapshot();
    await expectRejected({ path });
    expect(await snapshot()).toEqual(before);
  });

  test('GET /records?ids=… with NUL → 400', async () => {
    await expectRejected({ path: '/records?model=Contact&ids=a%00', headers: RECORDS_HEADERS });
  });
});

describe('NUL and lone surrogates in bodies', () => {
  const bodies = (bad: string): Array<[string, Call]> => [
    ['metadata value', { method: 'POST', path: '/connections/metadata', json: { connection_id: 'c-1', provider_config_key: 'openai', metadata: { note: `x${bad}y` } } }],
    ['metadata key', { method: 'PATCH', path: '/connections/metadata', json: { connection_id: 'c-1', provider_config_key: 'openai', metadata: { [`k${bad}`]: 'v' } } }],
    ['nested metadata', { method: 'POST', path: '/connections/metadata', json: { connection_id: 'c-1', provider_config_key: 'openai', metadata: { a: [{ b: { c: bad } }] } } }],
    ['tags', { method: 'PATCH', path: '/connections/c-1?provider_config_key=openai', json: { tags: { team: bad } } }],
    ['end user display name', { method: 'PATCH', path: '/connections/c-1?provider_config_key=openai', json: { end_user: { id: 'user-1', display_name: bad } } }],
    ['end user id', { method: 'POST', path: '/connect/sessions', json: { end_user: { id: `u${bad}` } } }],
    ['session tags', { method: 'POST', path: '/connect/sessions', json: { end_user: { id: 'u' }, tags: { [bad]: 'v' } } }],
    ['organization name', { method: 'POST', path: '/connect/sessions', json: { end_user: { id: 'u' }, organization: { id: 'o', display_name: bad } } }],
    ['record id', { method: 'POST', path: '/records', json: { connection_id: 'c-1', provider_config_key: 'openai', model: 'Contact', sync_name: 'contacts', records: [{ id: bad, name: 'n' }] } }],
    ['deleted record id', { method: 'POST', path: '/records', json: { connection_id: 'c-1', provider_config_key: 'openai', model: 'Contact', sync_name: 'contacts', deleted: [`d${bad}`] } }],
    ['provider display name', { method: 'PUT', path: '/providers/bad-input', json: { display_name: `P${bad}`, categories: ['dev-tools'], auth_mode: 'OAUTH2', authorization_url: 'http://127.0.0.1:9/auth', token_url: 'http://127.0.0.1:9/token', allow_private_network: true } }],
    ['integration display name', { method: 'POST', path: '/integrations', json: { provider: 'openai', unique_key: 'openai-2', display_name: `I${bad}` } }],
    ['api key name', { method: 'POST', path: '/environment/api-keys', json: { display_name: `K${bad}` } }],
    ['imported connection id', { method: 'POST', path: '/connections', json: { provider_config_key: 'openai', connection_id: `c${bad}`, credentials: { type: 'API_KEY', apiKey: 'sk-0123456789' } } }],
  ];
  describe.each([
    ['NUL', '\u0000'],
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate', '\udc00'],
    ['a reversed pair', '\udc00\ud800'],
  ])('%s', (_what, bad) => {
    test.each(bodies(bad))('in the %s → 400, nothing changed', async (_field, call) => {
      const before = await snapshot();
      await expectRejected(call);
      expect(await snapshot()).toEqual(before);
    });
  });

  test('a well-formed surrogate pair (emoji) is fine', async () => {
    const res = await t.api('/connections/metadata', { method: 'POST', json: { connection_id: 'c-1', provider_config_key: 'openai', metadata: { mood: 'ok \ud83d\ude00' } } });
    expect(res.status).toBe(201);
  });
});

describe('JSON nesting depth', () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  test('5,000 levels of metadata → 400 invalid_json, nothing changed', async () => {
    const before = await snapshot();
    const body = `{"connection_id":"c-1","provider_config_key":"openai","metadata":{"deep":${nested(5_000)}}}`;
    const res = await readJson(await t.api('/connections/metadata', { method: 'POST', body, headers: { 'content-type': 'application/json' } }));
    expect([res.status, res.body.error.code]).toEqual([400, 'invalid_json']);
    expect(await snapshot()).toEqual(before);
  });

  test('brackets inside strings do not count', async () => {
    const res = await t.api('/connections/metadata', { method: 'POST', json: { connection_id: 'c-1', provider_config_key: 'openai', metadata: { text: '[{'.repeat(500) } } });
    expect(res.status).toBe(201);
  });
});

/** Valid requests across routes; the property spoils one string (value or key) in each. */
const VALID_CALLS: Call[] = [
  { method: 'POST', path: '/connections/metadata', json: { connection_id: 'c-1', provider_config_key: 'openai', metadata: { a: 'b', list: ['x', { y: 'z' }] } } },
  { method: 'PATCH', path: '/connections/c-1?provider_config_key=openai', json: { tags: { team: 'core' }, end_user: { id: 'user-1', display_name: 'Ada', email: 'ada@example.com' } } },
  { method: 'POST', path: '/connect/sessions', json: { end_user: { id: 'u', display_name: 'U', tags: { k: 'v' } }, organization: { id: 'o', display_name: 'O' }, tags: { a: 'b' } } },
  { method: 'POST', path: '/records', json: { connection_id: 'c-1', provider_config_key: 'openai', model: 'Contact', sync_name: 'contacts', records: [{ id: 'r', name: 'n', nested: { k: 'v' } }] } },
  { method: 'PUT', path: '/providers/prop-provider', json: { display_name: 'Prop', categories: ['dev-tools'], auth_mode: 'OAUTH2', authorization_url: 'http://127.0.0.1:9/auth', token_url: 'http://127.0.0.1:9/token', allow_private_network: true } },
  { method: 'POST', path: '/environment/api-keys', json: { display_name: 'prop key' } },
];

describe('property: any route, any field, any unstorable text → 400 and no change', () => {
  const unstorable = fc
    .tuple(fc.string({ maxLength: 5 }), fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff'), fc.string({ maxLength: 5 }))
    .map(([a, bad, b]) => a + bad + b)
    .filter((s) => s.includes('\u0000') || /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s));

  /** Every string slot of a JSON value (values and keys), as functions that return a copy with it replaced. */
  function slots(value: unknown): Array<(text: string) => unknown> {
    if (typeof value === 'string') return [(text) => text];
    if (Array.isArray(value)) return value.flatMap((item, i) => slots(item).map((set) => (text: string) => value.map((v, j) => (j === i ? set(text) : v))));
    if (value && typeof value === 'object') {
      const entries = Object.entries(value);
      return entries.flatMap(([key, item]) => [
        (text: string) => Object.fromEntries(entries.map(([k, v]) => (k === key ? [`${k}${text}`, v] : [k, v]))),
        ...slots(item).map((set) => (text: string) => Object.fromEntries(entries.map(([k, v]) => (k === key ? [k, set(text)] : [k, v])))),
      ]);
    }
    return [];
  }

  test('bodies', async () => {
    const before = await snapshot();
    const cases = VALID_CALLS.flatMap((call) => slots(call.json).map((set) => ({ call, set })));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...cases), unstorable, async ({ call, set }, bad) => {
        const res = await readJson(await t.api(call.path, { method: call.method, json: set(bad) }));
        expect([res.status, res.body.error?.code]).toEqual([400, 'invalid_body']);
      }),
      { numRuns: 60, endOnFailure: true },
    );
    expect(await snapshot()).toEqual(before);
  });

  test('query values and path parameters', async () => {
    const before = await snapshot();
    const gets = [
      (bad: string) => `/providers?search=${bad}`,
      (bad: string) => `/connections?search=${bad}`,
      (bad: string) => `/connections?endUserId=${bad}`,
      (bad: string) => `/connections/c-1?provider_config_key=${bad}`,
      (bad: string) => `/connections/${bad}?provider_config_key=openai`,
      (bad: string) => `/integrations/${bad}`,
      (bad: string) => `/providers/${bad}`,
      (bad: string) => `/audit-events?target_id=${bad}`,
      (bad: string) => `/audit-events?target_type=${bad}`,
      (bad: string) => `/audit-events?actor_id=${bad}`,
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...gets), fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), async (path, a, b) => {
        const res = await readJson(await t.api(path(`${encodeURIComponent(a)}%00${encodeURIComponent(b)}`)));
        expect([res.status, res.body.error?.code]).toEqual([400, expect.stringMatching(/^invalid_(query|uri)_params$/)]);
      }),
      { numRuns: 40, endOnFailure: true },
    );
    expect(await snapshot()).toEqual(before);
  });
});

test('the property’s requests are valid as they stand (so only the spoiled text is refused)', async () => {
  for (const call of VALID_CALLS) {
    const res = await t.api(call.path, { method: call.method, json: call.json });
    expect({ call: call.path, status: res.status < 300 }).toEqual({ call: call.path, status: true });
  }
});
