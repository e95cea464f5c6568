/** Time, injected wherever expiry, retention or refresh is decided, so tests run "as of" any instant. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
