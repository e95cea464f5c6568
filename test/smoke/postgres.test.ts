import { Client } from 'pg';
import { createTestDatabase } from '../support/databases';

test('global setup gives each file its own database', async () => {
  const db = await createTestDatabase();
  const client = new Client({ connectionString: db.url });
  await client.connect();
  const { rows } = await client.query('SELECT current_database() AS name, current_setting($1) AS tz', ['TimeZone']);
  await client.end();
  await db.drop();
  expect(rows[0]).toEqual({ name: db.name, tz: 'UTC' });
});
