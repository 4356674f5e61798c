import { CreateMessagingTables1700000000000 } from './create-messaging-tables.migration';
import { InboxMessage } from './inbox-message.entity';
import { OutboxMessage } from './outbox-message.entity';

/** The entities behind the outbox and the inbox; add them to the service's `entities`. */
export const MESSAGING_ENTITIES = [OutboxMessage, InboxMessage];

/** The migration that creates their tables; add it to the service's `migrations`. */
export const MESSAGING_MIGRATIONS = [CreateMessagingTables1700000000000];
