/** The error `call` rejects with; fails the test when it resolves instead. */
export async function rejection<E = Error>(call: Promise<unknown>): Promise<E> {
  try {
    await call;
  } catch (err) {
    return err as E;
  }
  throw new Error('expected the call to fail');
}

/** An AWS SDK error, with the HTTP status the stand-in answered. */
export interface SdkError extends Error {
  $metadata: { httpStatusCode?: number; attempts?: number };
  $fault?: string;
  $retryable?: unknown;
}
