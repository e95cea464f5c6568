import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';

export interface OpenConnection {
  socket: WebSocket;
  connectedAt: Date;
  lastActiveAt: Date;
  sourceIp: string;
  userAgent: string;
}

/** The local WebSocket API's open connections, shared by its front (the sockets) and its management API stand-in. */
export class WebSocketConnections {
  private readonly open = new Map<string, OpenConnection>();

  /** An id shaped like API Gateway's (base64 of 11 random bytes, e.g. `L0SM9cOFvHcCIhw=`). */
  static newId(): string {
    return randomBytes(11).toString('base64');
  }

  add(id: string, connection: OpenConnection): void {
    this.open.set(id, connection);
  }

  get(id: string): OpenConnection | undefined {
    return this.open.get(id);
  }

  remove(id: string): void {
    this.open.delete(id);
  }

  size(): number {
    return this.open.size;
  }

  closeAll(): void {
    for (const { socket } of this.open.values()) socket.terminate();
    this.open.clear();
  }
}
