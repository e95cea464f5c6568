import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { KmsServer } from '../../../local/kms';
import { rejection, type SdkError } from '../../support/rejection';

// Call counters and fault injection (StandInControl), as the SDK's retry strategy sees them.


const failure = (call: Promise<unknown>) => rejection<SdkError>(call);

let server: KmsServer;
let url: string;
let once: KMSClient; // maxAttempts 1: every error surfaces
let retrying: KMSClient; // SDK default (standard retry, 3 attempts)

beforeAll(async () => {
  server = new KmsServer({ aliases: ['alias/latchkey'] });
  url = await server.start();
  const base = { endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  once = new KMSClient({ ...base, maxAttempts: 1 });
  retrying = new KMSClient(base);
});

afterAll(async () => {
  once.destroy();
  retrying.destroy();
  await server.stop();
});

beforeEach(() => {
  server.control.clearFaults();
  server.control.resetStats();
});

const dataKey = (client: KMSClient) => client.send(new GenerateDataKeyCommand({ KeyId: 'alias/latchkey', NumberOfBytes: 16 }));

test('calls are counted per operation', async () => {
  let blob: Uint8Array | undefined;
  for (let i = 0; i < 3; i++) blob = (await dataKey(once)).CiphertextBlob;
  await once.send(new DecryptCommand({ CiphertextBlob: blob }));
  expect(server.control.count('GenerateDataKey')).toBe(3);
  expect(server.control.count('Decrypt')).toBe(1);
  expect(server.control.count('EnableKey')).toBe(0);
  const stats = (await (await fetch(`${url}/__latchkey/stats`)).json()) as { calls: Record<string, number> };
  expect(stats).toEqual({ calls: { GenerateDataKey: 3, Decrypt: 1 } });
});

test('ThrottlingException surfaces by name when the client does not retry', async () => {
  server.control.injectFault({
    operation: 'GenerateDataKey',
    error: { code: 'ThrottlingException', message: 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.', status: 400 },
  });
  const err = await failure(dataKey(once));
  expect(err.name).toBe('ThrottlingException');
  expect(err.message).toBe('You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.');
  expect(err.$metadata.httpStatusCode).toBe(400);
  expect(server.control.count('GenerateDataKey')).toBe(1);
});

test('the standard retry strategy retries one throttle and succeeds on the second call', async () => {
  server.control.injectFault({ operation: 'GenerateDataKey', error: { code: 'ThrottlingException', status: 400 }, times: 1 });
  const out = await dataKey(retrying);
  expect(out.KeyId).toBe(server.keyArn('alias/latchkey'));
  expect(out.$metadata.attempts).toBe(2);
  expect(server.control.count('GenerateDataKey')).toBe(2);
});

test('KMSInternalException is a 500 server fault, retried by default', async () => {
  server.control.injectFault({ operation: 'GenerateDataKey', error: { code: 'KMSInternalException', status: 500 }, times: 1 });
  const err = await failure(dataKey(once));
  expect([err.name, err.$metadata.httpStatusCode, err.$fault]).toEqual(['KMSInternalException', 500, 'server']);

  server.control.injectFault({ operation: 'GenerateDataKey', error: { code: 'KMSInternalException', status: 500 }, times: 1 });
  expect((await dataKey(retrying)).$metadata.attempts).toBe(2);
  expect(server.control.count('GenerateDataKey')).toBe(3);
});

test('faults apply only to their operation', async () => {
  server.control.injectFault({ operation: 'Decrypt', error: { code: 'ThrottlingException' } });
  await dataKey(once);
  expect(server.control.count('GenerateDataKey')).toBe(1);
});

test('injected latency delays the answer', async () => {
  server.control.injectFault({ operation: 'GenerateDataKey', latencyMs: 1_000, times: 1 });
  const finished: string[] = [];
  const before = server.control.count('GenerateDataKey');
  const started = Date.now();
  // The one-time latency delays the first call only: a second one sent meanwhile answers first.
  const delayed = dataKey(once).then(() => finished.push('delayed'));
  // Wait (bounded) until the first call has reached the stand-in and taken the fault.
  for (let i = 0; i < 400 && server.control.count('GenerateDataKey') === before; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  await dataKey(once).then(() => finished.push('plain'));
  await delayed;
  expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  expect(finished).toEqual(['plain', 'delayed']);
});

test('faults can be injected over HTTP on the stand-in port', async () => {
  const res = await fetch(`${url}/__latchkey/faults`, {
    method: 'POST',
    body: JSON.stringify({ operation: 'GenerateDataKey', error: { code: 'KMSInternalException', status: 500 }, times: 1 }),
  });
  expect(res.status).toBe(200);
  const err = await failure(once.send(new GenerateDataKeyCommand({ KeyId: 'alias/latchkey', KeySpec: 'AES_256' })));
  expect(err.name).toBe('KMSInternalException');
  await once.send(new GenerateDataKeyCommand({ KeyId: 'alias/latchkey', KeySpec: 'AES_256' }));
});
