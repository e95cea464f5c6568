import net from 'node:net';

/** A TCP proxy in front of a Data API endpoint that, for the next `n` connections, forwards the request and resets the socket instead of relaying the answer. */
export interface LossyProxy {
  url: string;
  loseAnswers(n: number): void;
  close(): Promise<void>;
}

export async function startLossyProxy(targetPort: number): Promise<LossyProxy> {
  let toLose = 0;
  const sockets = new Set<net.Socket>();
  const proxyServer = net.createServer((client) => {
    sockets.add(client);
    const lose = toLose > 0;
    if (lose) toLose -= 1;
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => (lose ? client.resetAndDestroy() : client.write(chunk)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxyServer.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxyServer.address() as net.AddressInfo).port}`,
    loseAnswers: (n) => (toLose = n),
    close: () => {
      sockets.forEach((s) => s.destroy());
      return new Promise((resolve) => proxyServer.close(() => resolve()));
    },
  };
}
