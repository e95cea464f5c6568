import { renderTimestamp, toPublicConnection, toPublicConnectionFull, type ConnectionRow } from '../../../lambdas/connections/connection-format';

const row: ConnectionRow = {
  id: '6f1c7d2e-8a51-4c1e-9f0e-2b7d1c3a4e5f',
  seq: 42,
  connection_id: 'c-1',
  provider_config_key: 'github',
  provider: 'github',
  credentials: null,
  connection_config: {},
  metadata: {},
  tags: {},
  webhook_url_override: null,
  auth_error: null,
  last_fetched_at: null,
  created_at: new Date('2030-01-02T03:04:05.678Z'),
  updated_at: new Date('2030-01-02T03:04:06.000Z'),
  eu_end_user_id: null,
  eu_email: null,
  eu_display_name: null,
  eu_organization_id: null,
  eu_organization_display_name: null,
  eu_tags: null,
};

test('timestamps: ISO Z, or +00:00 with the same instant', () => {
  const date = new Date('2030-01-02T03:04:05.678Z');
  expect(renderTimestamp(date, 'iso')).toBe('2030-01-02T03:04:05.678Z');
  expect(renderTimestamp(date, 'offset')).toBe('2030-01-02T03:04:05.678+00:00');
  expect(new Date(renderTimestamp(date, 'offset')).getTime()).toBe(date.getTime());
});

test('list entry: numeric id, no end user, no errors', () => {
  expect(toPublicConnection(row)).toEqual({
    id: 42,
    connection_id: 'c-1',
    provider_config_key: 'github',
    provider: 'github',
    errors: [],
    end_user: null,
    tags: {},
    metadata: {},
    created: '2030-01-02T03:04:05.678Z',
  });
});

test('an auth error is listed; an end user comes from the eu_* columns', () => {
  const full = toPublicConnectionFull(
    { ...row, auth_error: { log_id: 'log-1' }, eu_end_user_id: 'u1', eu_organization_id: 'o1', eu_tags: { a: 'b' }, last_fetched_at: new Date(0) },
    {},
    'offset',
  );
  expect(full.errors).toEqual([{ type: 'auth', log_id: 'log-1' }]);
  expect(full.end_user).toEqual({ id: 'u1', display_name: null, email: null, tags: { a: 'b' }, organization: { id: 'o1', display_name: null } });
  expect(full.last_fetched_at).toBe('1970-01-01T00:00:00.000+00:00');
  expect(full).not.toHaveProperty('created');
});
