import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@certflow/messaging';
import { CliError, EXIT } from './exit-codes';

/** Connects to NATS for `events`; reconnects forever once connected. */
export async function connectNats(servers: string, name: string): Promise<NatsConnection> {
  try {
    return (await connect({ servers: servers.split(',').map((s) => s.trim()).filter(Boolean), name, maxReconnectAttempts: -1, reconnectTimeWait: 1000 })) as unknown as NatsConnection;
  } catch (e) {
    throw new CliError(`cannot connect to NATS at ${servers}: ${(e as Error).message}`, EXIT.UNREACHABLE, 'NATS_UNREACHABLE', 'give the server with --nats or NATS_URL (e.g. nats://127.0.0.1:4222)');
  }
}
