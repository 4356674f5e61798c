/** Where "now" comes from. Injected so that validity checks and tests do not depend on the wall clock. */
export interface Clock {
  now(): Date;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => new Date(),
};
