import type { Provider } from '@nestjs/common';
import { systemClock, type Clock } from '@certflow/pki';

/**
 * Injection token of a service's Clock. ServicePlatformModule binds the system clock; a test binds
 * a fixed one (libs/testing fixedClock) with `overrideProvider(CLOCK)`.
 */
export const CLOCK = 'CERTFLOW_CLOCK';
export const clockProvider: Provider<Clock> = { provide: CLOCK, useValue: systemClock };
