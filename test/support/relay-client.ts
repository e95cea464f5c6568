import WebSocket from 'ws';

/** The frontend SDK's socket, played by the `ws` client: it only listens, as the SDK does. */
export class RelayClient {
  readonly messages: Array<Record<string, unknown>> = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as Record<string, unknown>);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Opens `ws(s)://` at `new URL(websocketsPath, host)`, as the SDK computes it. */
  static async open(host: string, websocketsPath = '/'): Promise<RelayClient> {
    const url = new URL(websocketsPath, host).toString().replace(/^http/, 'ws');
    const socket = new WebSocket(url);
    const client = new RelayClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return client;
  }

  /** The first message of `type` (waits up to `timeoutMs`: it bounds a hang; a cold relay on a loaded machine takes seconds). */
  async next(type: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find((m) => m.message_type === type);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} message within ${timeoutMs} ms (got ${JSON.stringify(this.messages)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The ack's ws_client_id. */
  async ack(): Promise<string> {
    return (await this.next('connection_ack')).ws_client_id as string;
  }

  /** Whether any message arrives within `ms` beyond those already seen. */
  async quietFor(ms: number): Promise<boolean> {
    const before = this.messages.length;
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.messages.length === before;
  }

  close(): void {
    this.socket.close();
  }
}
