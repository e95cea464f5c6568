import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AwsServiceError, closeEndpointServer, createEndpointServer, listen, readBody, sendAwsJsonError, sendJson } from './aws-http';
import type { StandInControl } from './stand-in-control';

/**
 * The awsJson1.1 wire protocol shared by the KMS and EventBridge stand-ins:
 * `POST /`, `X-Amz-Target: <Prefix>.<Operation>`, JSON in and out, errors as `{__type, message}`.
 * One dispatcher and one validator here so both stand-ins fail the same, AWS-like way.
 */

export type JsonObject = Record<string, unknown>;
export type AwsJsonHandler = (input: JsonObject) => Promise<unknown> | unknown;

export interface AwsJsonServiceOptions {
  /** `TrentService` (KMS), `AWSEvents` (EventBridge). */
  targetPrefix: string;
  operations: Record<string, AwsJsonHandler>;
  control: StandInControl;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
  /** Error name for unexpected failures (`KMSInternalException`, `InternalException`). */
  internalErrorCode: string;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** An HTTP server that speaks awsJson1.1 for one service and serves the /__latchkey control paths. */
export class AwsJsonServer {
  private server: Server | undefined;

  constructor(private readonly options: AwsJsonServiceOptions) {}

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) throw new Error('Server already started');
    const server = createEndpointServer((req, res) => void this.handle(req, res));
    const url = await listen(server, port, host);
    this.server = server;
    return url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await closeEndpointServer(server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (await this.options.control.handleHttp(req, res)) return;
      const result = await this.dispatch(req);
      sendJson(res, 200, result ?? {}, CONTENT_TYPE, { 'x-amzn-requestid': randomUUID() });
    } catch (err) {
      const error =
        err instanceof AwsServiceError
          ? err
          : // Never echo unexpected messages: they could carry request data.
            new AwsServiceError(this.options.internalErrorCode, 'An internal error occurred in the local stand-in.', 500);
      if (!res.headersSent) sendAwsJsonError(res, error);
      else res.destroy();
    }
  }

  private async dispatch(req: IncomingMessage): Promise<unknown> {
    const target = req.headers['x-amz-target'];
    const prefix = `${this.options.targetPrefix}.`;
    const operation = typeof target === 'string' && target.startsWith(prefix) ? target.slice(prefix.length) : undefined;
    const handler = operation !== undefined && Object.hasOwn(this.options.operations, operation) ? this.options.operations[operation] : undefined;
    if (req.method !== 'POST' || operation === undefined || handler === undefined) {
      req.resume();
      throw new AwsServiceError('UnknownOperationException', `Unknown operation ${typeof target === 'string' ? target : '(no X-Amz-Target)'}`, 400);
    }
    const body = await readBody(req, this.options.bodyLimit);
    await this.options.control.enter(operation);
    return handler(parseJsonObject(body));
  }
}

function parseJsonObject(body: Buffer): JsonObject {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AwsServiceError('SerializationException', 'Request body is not valid JSON', 400);
  }
  if (!isPlainObject(parsed)) throw new AwsServiceError('SerializationException', 'Request body must be a JSON object', 400);
  return parsed;
}

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function serializationError(member: string, expected: string): AwsServiceError {
  return new AwsServiceError('SerializationException', `Member '${member}' must be ${expected}`, 400);
}

interface Range {
  min?: number;
  max?: number;
}

/**
 * Collects constraint violations the way AWS reports them ("2 validation errors detected: a; b").
 * Wrong JSON types are SerializationException at once, as in the real services. Values of
 * `sensitive` members (plaintexts) are never quoted in messages.
 */
export class Validator {
  private readonly errors: string[] = [];

  constructor(private readonly input: JsonObject) {}

  /** Records a violation in AWS wording; `value` undefined means the member was absent. */
  fail(member: string, constraint: string, value?: unknown, sensitive = false): void {
    const shown = sensitive ? 'Value' : value === undefined ? 'Value null' : `Value '${String(value)}'`;
    this.errors.push(`${shown} at '${member}' failed to satisfy constraint: ${constraint}`);
  }

  /** A free-form violation (a message AWS phrases differently). */
  failRaw(message: string): void {
    this.errors.push(message);
  }

  string(key: string, opts: Range & { required?: boolean; enum?: readonly string[] } = {}): string | undefined {
    const value = this.input[key];
    const member = lowerFirst(key);
    if (value === undefined || value === null) {
      if (opts.required) this.fail(member, 'Member must not be null');
      return undefined;
    }
    if (typeof value !== 'string') throw serializationError(key, 'a string');
    this.checkLength(member, value, value.length, opts);
    if (opts.enum && !opts.enum.includes(value)) {
      this.fail(member, `Member must satisfy enum value set: [${opts.enum.join(', ')}]`, value);
    }
    return value;
  }

  integer(key: string, opts: Range & { required?: boolean } = {}): number | undefined {
    const value = this.input[key];
    const member = lowerFirst(key);
    if (value === undefined || value === null) {
      if (opts.required) this.fail(member, 'Member must not be null');
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) throw serializationError(key, 'an integer');
    if (opts.min !== undefined && value < opts.min) this.fail(member, `Member must have value greater than or equal to ${opts.min}`, value);
    if (opts.max !== undefined && value > opts.max) this.fail(member, `Member must have value less than or equal to ${opts.max}`, value);
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.input[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw serializationError(key, 'a boolean');
    return value;
  }

  /** A base64 blob member, decoded; its bytes are never quoted in messages. */
  blob(key: string, opts: Range & { required?: boolean } = {}): Buffer | undefined {
    const value = this.input[key];
    const member = lowerFirst(key);
    if (value === undefined || value === null) {
      if (opts.required) this.fail(member, 'Member must not be null');
      return undefined;
    }
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
      throw serializationError(key, 'base64-encoded binary data');
    }
    const bytes = Buffer.from(value, 'base64');
    this.checkLength(member, undefined, bytes.length, opts, true);
    return bytes;
  }

  stringMap(key: string): Record<string, string> | undefined {
    const value = this.input[key];
    if (value === undefined || value === null) return undefined;
    if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
      throw serializationError(key, 'a map of strings to strings');
    }
    return value as Record<string, string>;
  }

  array(key: string, opts: Range & { required?: boolean } = {}): unknown[] | undefined {
    const value = this.input[key];
    const member = lowerFirst(key);
    if (value === undefined || value === null) {
      if (opts.required) this.fail(member, 'Member must not be null');
      return undefined;
    }
    if (!Array.isArray(value)) throw serializationError(key, 'a list');
    // AWS quotes the whole list here; a count is enough and cannot leak entry contents.
    this.checkLength(member, `[${value.length} items]`, value.length, opts);
    return value;
  }

  /** Throws ValidationException if anything was recorded. */
  done(): void {
    if (this.errors.length === 0) return;
    const n = this.errors.length;
    throw new AwsServiceError('ValidationException', `${n} validation error${n === 1 ? '' : 's'} detected: ${this.errors.join('; ')}`, 400);
  }

  private checkLength(member: string, shown: unknown, length: number, opts: Range, sensitive = false): void {
    if (opts.min !== undefined && length < opts.min) this.fail(member, `Member must have length greater than or equal to ${opts.min}`, shown, sensitive);
    if (opts.max !== undefined && length > opts.max) this.fail(member, `Member must have length less than or equal to ${opts.max}`, shown, sensitive);
  }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
