import { DescribeEventBusCommand, EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EventBridgeServer, type EventBridgeEvent } from '../../../local/eventbridge';
import { rejection, type SdkError } from '../../support/rejection';

// Conformance of the EventBridge stand-in through the real SDK client.


const failure = (call: Promise<unknown>) => rejection<SdkError>(call);

const BUS = 'latchkey-bus';
const BUS_ARN = `arn:aws:events:us-east-1:000000000000:event-bus/${BUS}`;
let server: EventBridgeServer;
let url: string;
let events: EventBridgeClient;
const received: Record<string, EventBridgeEvent[]> = { connections: [], everything: [], onDefault: [] };

beforeAll(async () => {
  server = new EventBridgeServer({ busName: BUS });
  server.addRule({ name: 'connections', pattern: { source: ['latchkey'], 'detail-type': ['connection.created', 'connection.deleted'] }, target: (e) => void received.connections.push(e) });
  server.addRule({ name: 'everything', pattern: { source: ['latchkey'] }, target: (e) => void received.everything.push(e) });
  server.addRule({ name: 'on-default', bus: 'default', pattern: { source: ['latchkey'] }, target: (e) => void received.onDefault.push(e) });
  server.addRule({
    name: 'broken',
    pattern: { detail: { explode: [true] } },
    target: () => {
      throw new Error('target failed');
    },
  });
  url = await server.start();
  events = new EventBridgeClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
});

afterAll(async () => {
  events.destroy();
  await server.stop();
});

beforeEach(async () => {
  await server.idle();
  for (const list of Object.values(received)) list.length = 0;
  server.failures.length = 0;
  server.control.resetStats();
  server.control.clearFaults();
});

const entry = (over: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  EventBusName: BUS,
  Source: 'latchkey',
  DetailType: 'connection.created',
  Detail: JSON.stringify({ connectionId: 'c-1' }),
  ...over,
});

describe('PutEvents', () => {
  test('delivers the Lambda-shaped event to matching rules on that bus', async () => {
    const out = await events.send(new PutEventsCommand({ Entries: [entry({ Resources: ['arn:aws:x:::c-1'], Time: new Date('2030-05-06T07:08:09.123Z') })] }));
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries).toHaveLength(1);
    const id = out.Entries![0].EventId!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await server.idle();
    expect(received.connections).toEqual([
      {
        version: '0',
        id,
        'detail-type': 'connection.created',
        source: 'latchkey',
        account: '000000000000',
        time: '2030-05-06T07:08:09Z',
        region: 'us-east-1',
        resources: ['arn:aws:x:::c-1'],
        detail: { connectionId: 'c-1' },
      },
    ]);
    expect(received.everything).toHaveLength(1);
    expect(received.onDefault).toHaveLength(0);
    expect(server.control.count('PutEvents')).toBe(1);
  });

  test('each target gets its own copy of the event', async () => {
    await events.send(new PutEventsCommand({ Entries: [entry()] }));
    await server.idle();
    received.connections[0].detail.connectionId = 'changed';
    expect(received.everything[0].detail.connectionId).toBe('c-1');
  });

  test('a missing EventBusName is the default bus, and a bus ARN works', async () => {
    await events.send(new PutEventsCommand({ Entries: [entry({ EventBusName: undefined }), entry({ EventBusName: BUS_ARN, DetailType: 'session.started' })] }));
    await server.idle();
    expect(received.onDefault).toHaveLength(1);
    expect(received.connections).toHaveLength(0);
    expect(received.everything.map((e) => e['detail-type'])).toEqual(['session.started']);
    expect(received.everything[0].time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test('per-entry failures are reported in order, next to successes', async () => {
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          entry(),
          entry({ Detail: '{not json' }),
          entry({ Detail: '[1,2]' }),
          entry({ Source: undefined }),
          entry({ DetailType: undefined }),
          entry({ Detail: undefined }),
          entry({ Source: 'aws.kms' }),
          entry({ EventBusName: 'no-such-bus' }),
          entry({ EventBusName: 'arn:aws:events:eu-west-1:000000000000:event-bus/latchkey-bus' }),
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(8);
    expect(out.Entries![0].EventId).toBeDefined();
    expect(out.Entries!.slice(1)).toEqual([
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' },
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' },
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.' },
      { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
      { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus no-such-bus does not exist.' },
      { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus arn:aws:events:eu-west-1:000000000000:event-bus/latchkey-bus does not exist.' },
    ]);
    await server.idle();
    expect(received.everything).toHaveLength(1);
  });

  test('1–10 entries; more or none is a ValidationException for the whole request', async () => {
    const ten = await events.send(new PutEventsCommand({ Entries: Array.from({ length: 10 }, () => entry()) }));
    expect(ten.FailedEntryCount).toBe(0);
    const eleven = await failure(events.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) })));
    expect(eleven.name).toBe('ValidationException');
    expect(eleven.message).toBe("1 validation error detected: Value '[11 items]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10");
    expect((await failure(events.send(new PutEventsCommand({ Entries: [] })))).name).toBe('ValidationException');
  });

  test('entries over 256 KB in total are refused as a whole, as AWS does', async () => {
    const half = JSON.stringify({ blob: 'x'.repeat(130 * 1024) });
    const err = await failure(events.send(new PutEventsCommand({ Entries: [entry({ Detail: half }), entry({ Detail: half })] })));
    expect([err.name, err.message]).toEqual(['ValidationException', 'Total size of the entries in the request is over the limit.']);
    const justUnder = JSON.stringify({ blob: 'x'.repeat(256 * 1024 - 200) });
    expect((await events.send(new PutEventsCommand({ Entries: [entry({ Detail: justUnder })] }))).FailedEntryCount).toBe(0);
  });

  test('a throwing target is recorded in failures and the server keeps serving', async () => {
    const out = await events.send(new PutEventsCommand({ Entries: [entry({ Detail: JSON.stringify({ explode: true }) })] }));
    await server.idle();
    expect(server.failures).toEqual([{ rule: 'broken', eventId: out.Entries![0].EventId, error: 'target failed' }]);
    expect((await events.send(new PutEventsCommand({ Entries: [entry()] }))).FailedEntryCount).toBe(0);
  });

  test('PutEvents answers without waiting for targets', async () => {
    const local = new EventBridgeServer();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let finished = false;
    local.addRule({
      name: 'slow',
      pattern: { source: ['s'] },
      target: async () => {
        await gate;
        finished = true;
      },
    });
    const client = new EventBridgeClient({ endpoint: await local.start(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const out = await client.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] }));
    expect([out.FailedEntryCount, finished]).toEqual([0, false]);
    release();
    await local.idle();
    expect(finished).toBe(true);
    client.destroy();
    await local.stop();
  });

  test('idle() waits for slow targets and for events they put in turn', async () => {
    const local = new EventBridgeServer();
    const order: string[] = [];
    const localUrl = await local.start();
    const client = new EventBridgeClient({ endpoint: localUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    local.addRule({
      name: 'first',
      pattern: { 'detail-type': ['one'] },
      target: async () => {
        await new Promise((r) => setTimeout(r, 50));
        order.push('first');
        await client.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'two', Detail: '{}' }] }));
      },
    });
    local.addRule({ name: 'second', pattern: { 'detail-type': ['two'] }, target: () => void order.push('second') });
    await client.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'one', Detail: '{}' }] }));
    expect(order).toEqual([]);
    await local.idle();
    expect(order).toEqual(['first', 'second']);
    client.destroy();
    await local.stop();
  });
});

describe('rules', () => {
  test('addRule refuses invalid patterns, unknown buses and duplicate names', () => {
    expect(() => server.addRule({ name: 'bad', pattern: { source: 'latchkey' }, target: () => undefined })).toThrow('Event pattern is not valid');
    expect(() => server.addRule({ name: 'x', bus: 'nope', pattern: { source: ['a'] }, target: () => undefined })).toThrow('Event bus nope does not exist.');
    expect(() => server.addRule({ name: 'connections', pattern: { source: ['a'] }, target: () => undefined })).toThrow('already exists');
  });
});

describe('other operations and faults', () => {
  test('DescribeEventBus by name or ARN; unknown → ResourceNotFoundException', async () => {
    expect(await events.send(new DescribeEventBusCommand({ Name: BUS }))).toMatchObject({ Name: BUS, Arn: BUS_ARN });
    expect(await events.send(new DescribeEventBusCommand({ Name: BUS_ARN }))).toMatchObject({ Name: BUS });
    expect(await events.send(new DescribeEventBusCommand({}))).toMatchObject({ Name: 'default', Arn: 'arn:aws:events:us-east-1:000000000000:event-bus/default' });
    const err = await failure(events.send(new DescribeEventBusCommand({ Name: 'nope' })));
    expect([err.name, err.message]).toEqual(['ResourceNotFoundException', 'Event bus nope does not exist.']);
  });

  test('unknown operations are UnknownOperationException', async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'x-amz-target': 'AWSEvents.PutRule', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ __type: 'UnknownOperationException', message: 'Unknown operation AWSEvents.PutRule' });
  });

  test('an injected ThrottlingException surfaces by name and nothing is delivered', async () => {
    server.control.injectFault({ operation: 'PutEvents', error: { code: 'ThrottlingException', message: 'Rate exceeded' }, times: 1 });
    const err = await failure(events.send(new PutEventsCommand({ Entries: [entry()] })));
    expect([err.name, err.message, err.$metadata.httpStatusCode]).toEqual(['ThrottlingException', 'Rate exceeded', 400]);
    await server.idle();
    expect(received.everything).toHaveLength(0);
    expect(server.control.count('PutEvents')).toBe(1);
  });

  test('with the default retry strategy, one injected InternalException is retried', async () => {
    const retrying = new EventBridgeClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    server.control.injectFault({ operation: 'PutEvents', error: { code: 'InternalException', status: 500 }, times: 1 });
    const out = await retrying.send(new PutEventsCommand({ Entries: [entry()] }));
    expect(out.$metadata.attempts).toBe(2);
    expect(server.control.count('PutEvents')).toBe(2);
    await server.idle();
    expect(received.everything).toHaveLength(1);
    retrying.destroy();
  });
});
