import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase, withDatabase } from '../../local/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  adminUrl: string;
  drop(): Promise<void>;
}

export function testAdminUrl(): string {
  const url = process.env.LATCHKEY_TEST_ADMIN_URL;
  if (!url) throw new Error('LATCHKEY_TEST_ADMIN_URL is not set: run the tests through jest (global setup starts PostgreSQL)');
  return url;
}

/** A fresh, empty database for one test file (optionally copied from a template). */
export async function createTestDatabase(template?: string): Promise<TestDatabase> {
  const adminUrl = testAdminUrl();
  const name = `t_${randomBytes(6).toString('hex')}`;
  await ensureDatabase(adminUrl, name, template);
  return { name, adminUrl, url: withDatabase(new URL(adminUrl), name), drop: () => dropDatabase(adminUrl, name) };
}
