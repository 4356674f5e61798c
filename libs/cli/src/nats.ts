import type { NatsConnection } from '@certflow/messaging';
import { BUS_SUBSCRIBER } from '@certflow/contracts';
import { CliError, EXIT } from './exit-codes';

/**
 * Connects to NATS for `events`, as the read-only `subscriber` identity by default: credentials from
 * NATS_NKEY_SEED_FILE (`npm start` prints the file), NATS_CREDS, NATS_USER/NATS_PASSWORD or
 * NATS_TOKEN, TLS from NATS_TLS_CA / NATS_TLS_CERT / NATS_TLS_KEY. Reconnects forever once connected.
 */
export async function connectNats(servers: string, name: string): Promise<NatsConnection> {
  // Loaded here, not at the top: the messaging library brings NestJS with it, which every other
  // command would pay for at start.
  const { connectNats: connect, inboxPrefixOf } = await import('@certflow/messaging');
  try {
    return await connect({ servers, name, inboxPrefix: inboxPrefixOf(BUS_SUBSCRIBER) });
  } catch (e) {
    const message = (e as Error).message;
    if (/Authorization Violation/i.test(message)) {
      throw new CliError(`NATS at ${servers} refused the credentials: ${message}`, EXIT.UNREACHABLE, 'NATS_UNAUTHORIZED', 'set NATS_NKEY_SEED_FILE to the subscriber identity (`npm start` prints its path), or NATS_CREDS for your own NATS');
    }
    throw new CliError(`cannot connect to NATS at ${servers}: ${message}`, EXIT.UNREACHABLE, 'NATS_UNREACHABLE', 'give the server with --nats or NATS_URL (e.g. nats://127.0.0.1:4222)');
  }
}
