import { setTimeout as sleep } from 'node:timers/promises';
import { startDataApi, type DataApiFixture } from '../../support/data-api';

/**
 * Why a burst of reads saw `read ECONNRESET`: Node's server closes an idle keep-alive socket after
 * 5 s by default, and a client that writes its next request onto that socket as it closes is reset.
 * The stand-in keeps idle sockets far longer than any pause of a caller, so the SDK's pooled socket
 * is still the server's when the next statement comes.
 */
let f: DataApiFixture;
beforeAll(async () => {
  f = await startDataApi();
});
afterAll(() => f.stop());

test('a pooled socket idle past Node’s default keep-alive (5 s) is still open: the next statement reuses it', async () => {
  await f.db.query('SELECT 1 AS n');
  const accepted = f.server.acceptedConnections;
  expect(accepted).toBe(1);
  // Past the 5 s default by a clear margin; the outcome does not depend on finer timing.
  await sleep(6_500);
  expect(await f.db.query('SELECT 2 AS n')).toEqual([{ n: 2 }]);
  expect(f.server.acceptedConnections).toBe(accepted);
}, 20_000);
