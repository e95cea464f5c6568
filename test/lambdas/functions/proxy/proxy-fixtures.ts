import { database } from '../../../support/handles';
import type { TestStack } from '../../../support/local-stack';

/** Set-up shared by the proxy's tests: custom providers on loopback, integrations, imported connections. */

export async function putProvider(t: Pick<TestStack, 'api'>, name: string, definition: Record<string, unknown>): Promise<void> {
  const res = await t.api(`/providers/${name}`, { method: 'PUT', json: { display_name: name, allow_private_network: true, ...definition } });
  if (res.status !== 201 && res.status !== 200) throw new Error(`PUT provider ${name}: ${res.status} ${await res.text()}`);
}

export async function postIntegration(t: Pick<TestStack, 'api'>, provider: string, uniqueKey: string, credentials?: Record<string, unknown>): Promise<void> {
  const res = await t.api('/integrations', { method: 'POST', json: { provider, unique_key: uniqueKey, ...(credentials ? { credentials } : {}) } });
  if (res.status !== 200) throw new Error(`POST integration ${uniqueKey}: ${res.status} ${await res.text()}`);
}

export async function importConnection(t: Pick<TestStack, 'api'>, providerConfigKey: string, connectionId: string, credentials: Record<string, unknown>, connectionConfig?: Record<string, unknown>): Promise<string> {
  const res = await t.api('/connections', {
    method: 'POST',
    json: { provider_config_key: providerConfigKey, connection_id: connectionId, credentials, ...(connectionConfig ? { connection_config: connectionConfig } : {}) },
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`POST /connections ${connectionId}: ${res.status} ${await res.text()}`);
  const [row] = await database().query<{ id: string }>('SELECT id FROM connections WHERE provider_config_key = :pck AND connection_id = :cid AND deleted_at IS NULL', { pck: providerConfigKey, cid: connectionId });
  return row.id;
}

export interface ProxyAuditRow {
  outcome: string;
  actor_type: string;
  target_id: string;
  detail: Record<string, unknown>;
}

export async function proxyEvents(rowId: string): Promise<ProxyAuditRow[]> {
  return database().query<ProxyAuditRow>("SELECT outcome, actor_type, target_id, detail FROM audit_events WHERE action = 'proxy.call' AND target_id = :id ORDER BY occurred_at, id", { id: rowId });
}
