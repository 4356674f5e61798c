import { systemClock, type Clock } from '@certflow/pki';
import type { Provider } from '@nestjs/common';

/** Injection token of the service's Clock: the system clock in production, a fixed one in tests. */
export const CLOCK = 'CA_GATEWAY_CLOCK';

export const clockProvider: Provider<Clock> = { provide: CLOCK, useValue: systemClock };
