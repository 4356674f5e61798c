import { OutboxMessage } from './outbox-message.entity';

/** The entity behind the outbox (the inbox is reached by SQL only, inbox.guard.ts); add it to the service's `entities`. */
export const MESSAGING_ENTITIES = [OutboxMessage];
