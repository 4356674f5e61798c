import { CreateMessagingTables1700000000000 } from './create-messaging-tables.migration';
import { OutboxMessage } from './outbox-message.entity';

/** The entity behind the outbox (the inbox is reached by SQL only, inbox.guard.ts); add it to the service's `entities`. */
export const MESSAGING_ENTITIES = [OutboxMessage];

/** The migration that creates the outbox and inbox tables; add it first to the service's `migrations`. */
export const MESSAGING_MIGRATIONS = [CreateMessagingTables1700000000000];
