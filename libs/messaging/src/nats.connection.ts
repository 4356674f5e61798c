import { jetstreamManager, JetStreamApiCodes, JetStreamApiError, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { nanos, type NatsConnection } from './nats.types';
import { STREAM_NAME, STREAM_SUBJECTS } from '@certflow/contracts';

/** How long JetStream remembers a `Nats-Msg-Id` to drop a duplicate publish: 2 minutes. */
export const DUPLICATE_WINDOW_MS = 120_000;

/** What `connectNats` needs: the server URL(s), comma-separated, and a name shown in server monitoring. */
export interface NatsConnectOptions {
  servers: string;
  name: string;
}

/**
 * Connects to NATS. Fails at once when no server answers (a service must not start half-wired),
 * but once connected it reconnects forever: a NATS restart must not turn into a dead service.
 */
export async function connectNats(opts: NatsConnectOptions): Promise<NatsConnection> {
  return connect({
    servers: opts.servers.split(',').map((s) => s.trim()).filter(Boolean),
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    // Otherwise the client builds an Error (with its stack) up front for every request, JetStream
    // publish and ack, in case it times out: 7 % of the request service's CPU under load. Our own
    // errors name the subject, which is what a timeout needs.
    noAsyncTraces: true,
  });
}

/** True when a JetStream API call failed because the stream or consumer does not exist. */
export function isNotFound(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

/**
 * Makes sure stream `CERTFLOW` exists, holding `certflow.>` in files with a 2-minute duplicate
 * window. An existing stream is left exactly as it is (operators may have tuned its limits); a
 * stream created concurrently by another service counts as success.
 */
export async function ensureStream(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(STREAM_NAME);
    return;
  } catch (err) {
    if (!isNotFound(err, JetStreamApiCodes.StreamNotFound)) throw err;
  }
  try {
    await jsm.streams.add({
      name: STREAM_NAME,
      subjects: [...STREAM_SUBJECTS],
      storage: StorageType.File,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    });
  } catch (err) {
    // Another service may have created it between our look and our add.
    const exists = await jsm.streams.info(STREAM_NAME).then(
      () => true,
      () => false,
    );
    if (!exists) throw err;
  }
}
