import dns from 'node:dns';

/**
 * A machine without internet, as far as name resolution goes: every name but `localhost` fails the
 * way getaddrinfo fails with no reachable DNS server (EAI_AGAIN). Loopback addresses and localhost
 * still resolve. Returns the function that restores the real resolver.
 */
export function simulateOffline(): () => void {
  const realLookup = dns.lookup;
  const realPromiseLookup = dns.promises.lookup;
  const local = (hostname: string) => hostname === 'localhost' || hostname.endsWith('.localhost') || /^(127\.|::1$|\[::1\]$)/.test(hostname);
  const failure = (hostname: string) => Object.assign(new Error(`getaddrinfo EAI_AGAIN ${hostname}`), { code: 'EAI_AGAIN', errno: -3001, syscall: 'getaddrinfo', hostname });
  dns.lookup = ((hostname: string, ...rest: unknown[]) => {
    if (local(hostname)) return (realLookup as (...args: unknown[]) => void)(hostname, ...rest);
    const callback = rest.at(-1) as (err: Error) => void;
    process.nextTick(() => callback(failure(hostname)));
  }) as typeof dns.lookup;
  dns.promises.lookup = (async (hostname: string, options?: unknown) => {
    if (local(hostname)) return (realPromiseLookup as (...args: unknown[]) => Promise<unknown>)(hostname, options);
    throw failure(hostname);
  }) as typeof dns.promises.lookup;
  return () => {
    dns.lookup = realLookup;
    dns.promises.lookup = realPromiseLookup;
  };
}
