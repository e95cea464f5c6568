import type { EndUserInput } from '../../lambdas/end-users/end-user-schema';
import { readJson, type TestStack } from './local-stack';

/**
 * Imports an API_KEY connection of the `openai` integration (which the test creates) for an end
 * user, through POST /connections; its key is registered with the secret scan.
 */
export async function importForEndUser(t: TestStack, connectionId: string, endUser: EndUserInput): Promise<void> {
  const apiKey = `sk-${connectionId}-0000000000`;
  t.secrets.register(apiKey);
  const res = await readJson(
    await t.api('/connections', {
      method: 'POST',
      json: { provider_config_key: 'openai', connection_id: connectionId, end_user: endUser, credentials: { type: 'API_KEY', apiKey } },
    }),
  );
  if (res.status !== 201) throw new Error(`Import of ${connectionId} answered ${res.status}`);
}
