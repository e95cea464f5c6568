import { randomUUID } from 'node:crypto';
import { AwsServiceError } from '../aws-http';
import { AwsJsonServer, isPlainObject, Validator, type JsonObject } from '../aws-json';
import { StandInControl } from '../stand-in-control';
import { matchesEventPattern, validateEventPattern, type EventPattern } from './event-pattern';

/** An event as a Lambda target receives it from EventBridge. */
export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export type EventTarget = (event: EventBridgeEvent) => Promise<unknown> | unknown;

export interface EventBridgeServerOptions {
  region?: string;
  accountId?: string;
  /** A custom bus to create next to 'default' (Latchkey's stack bus). */
  busName?: string;
}

export interface EventRuleOptions {
  name: string;
  pattern: Record<string, unknown>;
  /** Bus name; default: the `busName` option if given, else 'default'. */
  bus?: string;
  target: EventTarget;
}

interface Bus {
  name: string;
  arn: string;
  createdAt: number;
}

interface Rule {
  name: string;
  bus: string;
  pattern: EventPattern;
  target: EventTarget;
}

/** PutEvents limit on the summed entry sizes (eb-putevent-size.html), checked for the whole request as AWS does. */
const MAX_ENTRIES_BYTES = 256 * 1024;

type ResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/**
 * Local stand-in for Amazon EventBridge speaking awsJson1.1 (`X-Amz-Target: AWSEvents.*`), so
 * `@aws-sdk/client-eventbridge` works unchanged. Rules are registered in-process with a target
 * function; matching events are delivered asynchronously after PutEvents has answered, as AWS does.
 * Deliveries are not retried; a throwing target is recorded in `failures`.
 *
 * Deliberate difference from AWS: PutEvents to a bus that does not exist fails that entry with
 * ErrorCode ResourceNotFoundException. Real EventBridge accepts such events and silently drops
 * them (aws/aws-cli#9186, aws/aws-sdk#186); locally a misspelt bus should be loud.
 */
export class EventBridgeServer {
  readonly control = new StandInControl();
  /** Deliveries that threw, with the error message (for tests and the console). */
  readonly failures: Array<{ rule: string; eventId: string; error: string }> = [];
  private readonly region: string;
  private readonly accountId: string;
  private readonly defaultBus: string;
  private readonly buses = new Map<string, Bus>();
  private readonly rules: Rule[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly http: AwsJsonServer;

  constructor(options: EventBridgeServerOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    for (const name of new Set(['default', options.busName ?? 'default'])) {
      if (!/^[/.\-_A-Za-z0-9]{1,256}$/.test(name)) throw new Error(`Invalid event bus name: ${name}`);
      this.buses.set(name, { name, arn: this.busArn(name), createdAt: Date.now() / 1000 });
    }
    this.defaultBus = options.busName ?? 'default';
    this.http = new AwsJsonServer({
      targetPrefix: 'AWSEvents',
      operations: {
        PutEvents: (input) => this.putEvents(input),
        DescribeEventBus: (input) => this.describeEventBus(input),
      },
      control: this.control,
      bodyLimit: 2 * 1024 * 1024,
      internalErrorCode: 'InternalException',
    });
  }

  /** Routes events on `bus` matching `pattern` to `target`. Throws on an invalid pattern or unknown bus. */
  addRule(rule: EventRuleOptions): void {
    const bus = rule.bus ?? this.defaultBus;
    if (!this.buses.has(bus)) throw new Error(`Event bus ${bus} does not exist.`);
    if (!rule.name) throw new Error('A rule needs a name');
    if (this.rules.some((r) => r.bus === bus && r.name === rule.name)) throw new Error(`Rule ${rule.name} already exists on bus ${bus}.`);
    validateEventPattern(rule.pattern);
    this.rules.push({ name: rule.name, bus, pattern: structuredClone(rule.pattern), target: rule.target });
  }

  start(port?: number, host?: string): Promise<string> {
    return this.http.start(port, host);
  }

  /** Stops listening once in-flight deliveries have settled (targets may still put events while draining). */
  async stop(): Promise<void> {
    await this.idle();
    await this.http.stop();
    await this.idle();
  }

  /** Resolves when every delivery started so far (and any they started) has settled. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private busArn(name: string): string {
    return `arn:aws:events:${this.region}:${this.accountId}:event-bus/${name}`;
  }

  /** A bus by name or ARN. */
  private findBus(ref: string): Bus | undefined {
    const arn = /^arn:aws:events:([^:]*):([^:]*):event-bus\/(.+)$/.exec(ref);
    if (arn) return arn[1] === this.region && arn[2] === this.accountId ? this.buses.get(arn[3]) : undefined;
    return this.buses.get(ref);
  }

  private describeEventBus(input: JsonObject) {
    const v = new Validator(input);
    const name = v.string('Name', { min: 1, max: 1600 }) ?? 'default';
    v.done();
    const bus = this.findBus(name);
    if (!bus) throw new AwsServiceError('ResourceNotFoundException', `Event bus ${name} does not exist.`, 400);
    return { Name: bus.name, Arn: bus.arn, CreationTime: bus.createdAt, LastModifiedTime: bus.createdAt };
  }

  private putEvents(input: JsonObject) {
    const v = new Validator(input);
    const entries = v.array('Entries', { required: true, min: 1, max: 10 });
    v.done();
    const parsed = entries!.map((entry) => {
      if (!isPlainObject(entry)) throw new AwsServiceError('SerializationException', 'Each member of Entries must be an object', 400);
      return entry;
    });
    if (parsed.reduce((sum, e) => sum + entrySize(e), 0) > MAX_ENTRIES_BYTES) {
      throw new AwsServiceError('ValidationException', 'Total size of the entries in the request is over the limit.', 400);
    }
    const results = parsed.map((entry) => this.putEntry(entry));
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  private putEntry(entry: JsonObject): ResultEntry {
    const v = new Validator(entry);
    const source = v.string('Source');
    const detailType = v.string('DetailType');
    const detailText = v.string('Detail');
    const busRef = v.string('EventBusName') ?? 'default';
    const resources = v.array('Resources') ?? [];
    if (!resources.every((r) => typeof r === 'string')) throw new AwsServiceError('SerializationException', 'Resources must be a list of strings', 400);

    const required = (name: string) => ({ ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${name} is not valid. Reason: ${name} is a required argument.` });
    if (!source) return required('Source');
    if (!detailType) return required('DetailType');
    if (detailText === undefined) return required('Detail');
    if (source.startsWith('aws.')) return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    let detail: unknown;
    try {
      detail = JSON.parse(detailText);
    } catch {
      detail = undefined;
    }
    if (!isPlainObject(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const time = eventTime(entry.Time);
    if (time === undefined) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Time is not valid.' };
    const bus = this.findBus(busRef);
    if (!bus) return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busRef} does not exist.` };

    const event: EventBridgeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account: this.accountId,
      time,
      region: this.region,
      resources: resources as string[],
      detail,
    };
    for (const rule of this.rules) {
      if (rule.bus === bus.name && matchesEventPattern(rule.pattern, event)) this.deliver(rule, event);
    }
    return { EventId: event.id };
  }

  /** Runs the target after the current response is written; each target gets its own copy. */
  private deliver(rule: Rule, event: EventBridgeEvent): void {
    const copy = structuredClone(event);
    const delivery: Promise<void> = new Promise((resolve) => setImmediate(resolve))
      .then(() => rule.target(copy))
      .then(
        () => undefined,
        (err: unknown) => {
          this.failures.push({ rule: rule.name, eventId: event.id, error: err instanceof Error ? err.message : String(err) });
        },
      )
      .finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }
}

/** Entry size as EventBridge counts it: Time 14 bytes, UTF-8 bytes of Source, DetailType, Detail and each resource. */
function entrySize(entry: JsonObject): number {
  const bytes = (v: unknown) => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : 0);
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [];
  return (entry.Time != null ? 14 : 0) + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail) + resources.reduce<number>((n, r) => n + bytes(r), 0);
}

/** The SDK sends Time as epoch seconds; AWS events carry it as ISO-8601 without milliseconds. */
function eventTime(raw: unknown): string | undefined {
  let ms: number;
  if (raw === undefined || raw === null) ms = Date.now();
  else if (typeof raw === 'number') ms = raw * 1000;
  else if (typeof raw === 'string') ms = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
  else return undefined;
  if (!Number.isFinite(ms)) return undefined;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
