import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the receiver answers: a status (with headers), or `down` (the connection is dropped, as by a dead host). */
export type ReceiverMode = { status: number; headers?: Record<string, string>; body?: string } | 'down';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status it was answered with (undefined when dropped). */
  answered?: number;
}

/** A real local HTTP webhook receiver whose behaviour tests switch at will. */
export class WebhookReceiver {
  readonly requests: ReceivedWebhook[] = [];
  mode: ReceiverMode = { status: 200, body: 'ok' };
  /** Per-path modes (the path without its query), taking precedence over `mode`. */
  readonly modeByPath = new Map<string, ReceiverMode>();
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record: ReceivedWebhook = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      this.requests.push(record);
      const mode = this.modeByPath.get(record.path.split('?')[0]) ?? this.mode;
      if (mode === 'down') {
        req.socket.destroy();
        return;
      }
      record.answered = mode.status;
      res.writeHead(mode.status, { 'content-type': 'text/plain', ...mode.headers });
      res.end(mode.body ?? '');
    });
  });
  private port = 0;

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.url('/');
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests that were answered 2xx. */
  delivered(): ReceivedWebhook[] {
    return this.requests.filter((r) => r.answered !== undefined && r.answered >= 200 && r.answered < 300);
  }

  reset(): void {
    this.requests.length = 0;
    this.modeByPath.clear();
    this.mode = { status: 200, body: 'ok' };
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
