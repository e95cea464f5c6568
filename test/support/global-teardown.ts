import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__latchkeyPostgres?.stop();
  const dir = process.env.LATCHKEY_TEST_DATA_DIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
