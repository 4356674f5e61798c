import { systemClock, type Clock } from '@certflow/pki';

/** Injection token for the service's clock; tests bind a fixed one. */
export const CLOCK = 'CLOCK';
export const clockProvider = { provide: CLOCK, useValue: systemClock as Clock };
