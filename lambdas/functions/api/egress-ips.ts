import type { APIGatewayProxyResult } from 'aws-lambda';
import { jsonResult } from '../../http/errors';

/**
 * `GET /meta/egress-ips` (our extension to Nango's API): the addresses outbound calls leave from,
 * one per NAT gateway, for customers' allowlists. Public, like the addresses themselves; the
 * stack sets `LATCHKEY_EGRESS_IPS` (comma-separated), and locally it is usually unset: `[]`.
 */
export async function getEgressIps(): Promise<APIGatewayProxyResult> {
  return jsonResult(200, { data: egressIps() }, { 'cache-control': 'public, max-age=300' });
}

export function egressIps(value = process.env.LATCHKEY_EGRESS_IPS ?? ''): string[] {
  return value
    .split(',')
    .map((ip) => ip.trim())
    .filter(Boolean);
}
