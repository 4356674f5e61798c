import { RequestTables1700000001000 } from './1700000001000-request-tables';
import { Access1700000003000 } from './1700000003000-access';
import { DeadLetters1700000004000 } from './1700000004000-dead-letters';
import { RequestVersion1700000005000 } from './1700000005000-request-version';
import { HostEvents1700000006400 } from './1700000006400-host-events';
import { Renewal1700000007000 } from './1700000007000-renewal';
import { Revocation1700000008000 } from './1700000008000-revocation';

/** The request service's schema migrations, oldest first: what AppModule runs and what specs migrate to. */
export const REQUEST_MIGRATIONS = [RequestTables1700000001000, Access1700000003000, DeadLetters1700000004000, RequestVersion1700000005000, HostEvents1700000006400, Renewal1700000007000, Revocation1700000008000];
