import { z } from 'zod';
import { defineEvent } from '../envelope';

/** Added to the contract. Published by a consumer that gave up on a message after N deliveries. */
export const DeadLetterV1 = defineEvent(
  'certflow.deadletter.v1',
  z.object({
    consumer: z.string(),
    originalSubject: z.string(),
    originalId: z.string().optional(),
    deliveries: z.number().int(),
    error: z.string(),
    /** The original message body, as text. */
    payload: z.string(),
  }),
  'A message that failed every delivery was set aside, so it no longer blocks the others.',
);
