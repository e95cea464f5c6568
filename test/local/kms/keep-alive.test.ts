import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { KmsServer } from '../../../local/kms';

/**
 * The awsJson stand-ins (KMS, EventBridge) keep an idle client connection past Node's 5 s default,
 * as the Data API stand-in does: otherwise a client writing its next request as the server closes
 * the socket is reset (`read ECONNRESET`), which a KMS client without retries surfaces.
 */
test('an idle pooled connection is still open after 6.5 s: the next request reuses it', async () => {
  const server = new KmsServer({ aliases: ['alias/latchkey'] });
  const url = new URL(await server.start());
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call = () =>
    new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: '/', agent, headers: { 'x-amz-target': 'TrentService.GenerateDataKey', 'content-type': 'application/x-amz-json-1.1' } });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ KeyId: 'alias/latchkey', KeySpec: 'AES_256' }));
    });
  try {
    expect(await call()).toEqual({ status: 200, reused: false });
    // Past the 5 s default by a clear margin; the outcome does not depend on finer timing.
    await sleep(6_500);
    expect(await call()).toEqual({ status: 200, reused: true });
  } finally {
    agent.destroy();
    await server.stop();
  }
}, 20_000);
