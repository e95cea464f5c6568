/**
 * The refresh stampede, shared by its test and `npm run bench -- refresh`: `callers` concurrent
 * `GET /connections/{id}` of one connection whose token has expired, spread round-robin over
 * independent api instances (separate processes), each call timed.
 */

export interface StampedeCall {
  status: number;
  accessToken: string | undefined;
  ms: number;
}

export async function stampede(options: { urls: string[]; key: string; providerConfigKey: string; connectionId: string; callers: number }): Promise<StampedeCall[]> {
  const path = `/connections/${encodeURIComponent(options.connectionId)}?provider_config_key=${encodeURIComponent(options.providerConfigKey)}`;
  return Promise.all(
    Array.from({ length: options.callers }, async (_, i) => {
      const started = performance.now();
      const res = await fetch(`${options.urls[i % options.urls.length]}${path}`, { headers: { authorization: `Bearer ${options.key}` } });
      const body = (await res.json()) as { credentials?: { access_token?: string } };
      return { status: res.status, accessToken: body.credentials?.access_token, ms: performance.now() - started };
    }),
  );
}

/** The q-quantile (0..1) of `values`, nearest rank. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
