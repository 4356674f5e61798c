import type { Clock } from '@certflow/pki';

/** A {@link Clock} that stands still until told to move. */
export interface FixedClock extends Clock {
  /** Moves the clock to `iso`. */
  set(iso: string | Date): void;
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
}

/** A clock stopped at `iso` ("2030-01-01T00:00:00Z"); every `now()` returns a fresh Date. */
export function fixedClock(iso: string): FixedClock {
  let at = new Date(iso).getTime();
  if (Number.isNaN(at)) throw new Error(`fixedClock: "${iso}" is not a date`);
  return {
    now: () => new Date(at),
    set: (next) => {
      at = new Date(next).getTime();
    },
    advance: (ms) => {
      at += ms;
    },
  };
}
