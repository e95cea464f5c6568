/**
 * A failure the caller caused or may be told about, raised by domain code. It says WHAT went wrong
 * (`domain` and `reason`, plus any data the answer needs) and never HOW it reaches the wire: no HTTP
 * status, no Nango code. `lambdas/http/error-table.ts` maps every `domain`/`reason` pair to its Nango
 * code and status, so one failure cannot come out differently in two places. The message may be
 * shown to the caller: it must never hold a secret.
 */
export abstract class DomainError extends Error {
  /** The family of failures (one per domain or per error class), the first key of the mapping table. */
  abstract readonly domain: string;
  /** The failure within its family, the second key of the mapping table. */
  abstract readonly reason: string;
}

/** One problem with one field of the input (a path into the body), as Nango lists them in `errors`. */
export interface FieldIssue {
  code: string;
  message: string;
  path: string[];
}
