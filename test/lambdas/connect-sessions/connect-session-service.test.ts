import { CreateSessionBody } from '../../../lambdas/connect-sessions/connect-session-schema';
import { toApiConnectSession } from '../../../lambdas/connect-sessions/connect-session-service';
import type { ConnectSessionRow } from '../../../lambdas/connect-sessions/connect-session-store';

const base: ConnectSessionRow = {
  allowed_integrations: null,
  integrations_config_defaults: {},
  overrides: {},
  webhook_url_override: null,
  tags: {},
  connection_id: null,
  expires_at: new Date(),
  end_user: null,
};

describe('toApiConnectSession', () => {
  test('optional fields appear only when set', () => {
    const out = toApiConnectSession(base);
    expect(Object.keys(out).sort()).toEqual(['connectUISettings', 'endUser', 'websocketsPath']);
    expect(out.endUser).toBeNull();
  });

  test('a reconnect session with everything set', () => {
    const out = toApiConnectSession({
      ...base,
      allowed_integrations: ['github'],
      integrations_config_defaults: { github: { user_scopes: 'a' } },
      overrides: { github: { docs_connect: 'https://d.example.com' } },
      connection_id: '7b1e0a52-3a43-4a36-9d3a-0d7e1f5a1c11',
      end_user: { end_user_id: 'u', email: null, display_name: 'U', organization_id: 'o', organization_display_name: null, tags: { a: 'b' } },
    });
    expect(out).toMatchObject({
      allowed_integrations: ['github'],
      integrations_config_defaults: { github: { user_scopes: 'a' } },
      overrides: { github: { docs_connect: 'https://d.example.com' } },
      isReconnecting: true,
      endUser: { id: 'u', email: null, display_name: 'U', tags: { a: 'b' }, organization: { id: 'o', display_name: null } },
    });
  });
});

describe('CreateSessionBody', () => {
  test('end_user is required unless top-level tags are given; tag keys are lowercased', () => {
    expect(CreateSessionBody.safeParse({}).error?.issues.map((i) => i.path)).toEqual([['end_user']]);
    expect(CreateSessionBody.parse({ tags: { Team: 'x' } })).toEqual({ tags: { team: 'x' } });
    expect(CreateSessionBody.safeParse({ end_user: { id: 'u' }, webhook_url_override: '' }).success).toBe(true);
    expect(CreateSessionBody.safeParse({ end_user: { id: 'u' }, overrides: { k: { docs_connect: 'ftp://x.example' } } }).success).toBe(false);
  });
});
