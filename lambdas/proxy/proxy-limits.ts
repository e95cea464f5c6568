/**
 * What one proxied call may take. API Gateway accepts 10 MB but Lambda's synchronous payload is
 * 6 MB for the whole event or result, and bodies travel base64-encoded (4/3 of their size) beside
 * the headers: 4 MiB each way fits with room for them.
 */
export const PROXY_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
export const PROXY_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * Time for every attempt and pause of one call: API Gateway ends the request at 29 s, and the
 * statements before and after the upstream calls need some of it.
 */
export const PROXY_BUDGET_MS = 25_000;
/** One attempt's deadline (DNS, connect, TLS, the whole response), within what the budget has left. */
export const PROXY_ATTEMPT_TIMEOUT_MS = 20_000;
/** Most retries a caller may ask for with `Retries`. */
export const PROXY_MAX_RETRIES = 10;
/** Most redirects followed when the caller asks for it. */
export const PROXY_MAX_REDIRECTS = 5;
