import * as z from 'zod';
import { setting } from '../../../platform/config';
import { jsonResult } from '../../../http/errors';
import { defineRoute } from '../../../http/route';

/**
 * `GET /meta/egress-ips` (our extension to Nango's API): the addresses outbound calls leave from,
 * one per NAT gateway, for customers' allowlists. Public, like the addresses themselves; the
 * stack sets `LATCHKEY_EGRESS_IPS` (comma-separated), and locally it is usually unset: `[]`.
 */
export const getEgressIps = defineRoute({
  method: 'GET',
  path: '/meta/egress-ips',
  summary: 'Addresses outbound calls leave from, for allowlists',
  tag: 'Meta',
  auth: 'none',
  responses: { 200: { description: 'The egress IPs', schema: z.object({ data: z.array(z.string()) }) } },
  handle: async () => jsonResult(200, { data: egressIps() }, { 'cache-control': 'public, max-age=300' }),
});

export function egressIps(value = setting('LATCHKEY_EGRESS_IPS')): string[] {
  return value
    .split(',')
    .map((ip) => ip.trim())
    .filter(Boolean);
}
