import * as z from 'zod';
import { isHostname } from './interpolation';
import type { ProviderField } from './provider-schema';

/**
 * The `format` a provider declares for a connection config field, checked on the value before
 * anything is built from it: a `hostname` is a DNS name (no scheme, port, path, user or IP
 * literal), a `uri` an absolute https URL without credentials (http too for providers that may
 * reach private networks).
 */

const checks: Record<NonNullable<ProviderField['format']>, (value: string, allowHttp: boolean) => boolean> = {
  hostname: (value) => isHostname(value) && !/^[0-9.]+$/.test(value),
  uri: (value, allowHttp) => {
    if (!URL.canParse(value)) return false;
    const url = new URL(value);
    return (url.protocol === 'https:' || (allowHttp && url.protocol === 'http:')) && !url.username && !url.password && isHostname(url.hostname);
  },
  uuid: (value) => z.uuid().safeParse(value).success,
  ipv4: (value) => z.ipv4().safeParse(value).success,
  ipv6: (value) => z.ipv6().safeParse(value).success,
  email: (value) => z.email().safeParse(value).success,
};

export function matchesFormat(format: ProviderField['format'], value: string, allowHttp = false): boolean {
  return format === undefined || checks[format](value, allowHttp);
}
