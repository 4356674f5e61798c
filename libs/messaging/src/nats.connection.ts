import { jetstreamManager, JetStreamApiCodes, JetStreamApiError, StorageType } from '@nats-io/jetstream';
import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type Authenticator, type ConnectionOptions } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { nanos, type NatsConnection } from './nats.types';
import { STREAM_NAME, STREAM_SUBJECTS } from '@certflow/contracts';
import { readSeedFile } from './bus-security/bus.identities';

/** How long JetStream remembers a `Nats-Msg-Id` to drop a duplicate publish: 2 minutes. */
export const DUPLICATE_WINDOW_MS = 120_000;

/**
 * How a connection proves who it is, and how it protects the wire. Each field is one environment
 * variable (see `natsAuthFromEnv`); at most one of nkey seed, creds file, user/password, token.
 */
export interface NatsAuth {
  /** `NATS_NKEY_SEED_FILE`: a file holding the identity's nkey seed (SU…), mode 0600. */
  nkeySeedFile?: string;
  /** `NATS_CREDS`: a `.creds` file (user JWT and seed), for servers run with JWT accounts. */
  credsFile?: string;
  /** `NATS_USER` / `NATS_PASSWORD`. */
  user?: string;
  password?: string;
  /** `NATS_TOKEN`. */
  token?: string;
  /** `NATS_TLS_CA` (servers to trust), `NATS_TLS_CERT` and `NATS_TLS_KEY` (this client's certificate). */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** `NATS_INBOX_PREFIX`: where replies arrive; the identity's private prefix by default. */
  inboxPrefix?: string;
}

/** Reads a connection's credentials and TLS files from the environment (names in `NatsAuth`). */
export function natsAuthFromEnv(env: NodeJS.ProcessEnv = process.env): NatsAuth {
  const v = (k: string) => (env[k] && env[k]!.trim() !== '' ? env[k]!.trim() : undefined);
  const tls = { caFile: v('NATS_TLS_CA'), certFile: v('NATS_TLS_CERT'), keyFile: v('NATS_TLS_KEY') };
  return {
    nkeySeedFile: v('NATS_NKEY_SEED_FILE'),
    credsFile: v('NATS_CREDS'),
    user: v('NATS_USER'),
    password: env.NATS_PASSWORD,
    token: v('NATS_TOKEN'),
    tls: tls.caFile || tls.certFile || tls.keyFile ? tls : undefined,
    inboxPrefix: v('NATS_INBOX_PREFIX'),
  };
}

/** What `connectNats` needs: the server URL(s), comma-separated, and a name shown in server monitoring. */
export interface NatsConnectOptions {
  servers: string;
  name: string;
  /** Credentials and TLS; default: from the environment (`natsAuthFromEnv`). */
  auth?: NatsAuth;
  /** The identity's private inbox prefix, used unless `auth.inboxPrefix` names another. */
  inboxPrefix?: string;
  /** How long the first connection may take (default 20 s, the client's). */
  timeoutMs?: number;
  /**
   * Keep trying the first connection until a server answers instead of failing: for a service
   * starting while NATS is down (its start-up has already checked, with `probeNats`, that the
   * identity is let in, so this does not hide a refused login).
   */
  waitForServer?: boolean;
}

/** The client options that carry `auth`: an authenticator, user/password or token, TLS files. */
export function natsClientAuthOptions(auth: NatsAuth): Partial<ConnectionOptions> {
  const authenticators: Authenticator[] = [];
  if (auth.nkeySeedFile) {
    const seed = readSeedFile(auth.nkeySeedFile);
    authenticators.push(nkeyAuthenticator(() => seed));
  }
  if (auth.credsFile) authenticators.push(credsAuthenticator(new Uint8Array(readFileSync(auth.credsFile))));
  return {
    ...(authenticators.length ? { authenticator: authenticators } : {}),
    ...(auth.user ? { user: auth.user, pass: auth.password ?? '' } : {}),
    ...(auth.token ? { token: auth.token } : {}),
    ...(auth.tls ? { tls: { ...auth.tls } } : {}),
  };
}

/**
 * Connects to NATS. Fails at once when no server answers, unless `waitForServer`; once connected
 * it reconnects forever: a NATS restart must not turn into a dead service.
 */
export async function connectNats(opts: NatsConnectOptions): Promise<NatsConnection> {
  const auth = opts.auth ?? natsAuthFromEnv();
  const inboxPrefix = auth.inboxPrefix ?? opts.inboxPrefix;
  return connect({
    servers: opts.servers.split(',').map((s) => s.trim()).filter(Boolean),
    name: opts.name,
    ...natsClientAuthOptions(auth),
    ...(inboxPrefix ? { inboxPrefix } : {}),
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
    ...(opts.waitForServer ? { waitOnFirstConnect: true } : {}),
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
 * window: the provisioning step's work (`npm start`, a job in deployments, a test's set-up), done
 * with the `provisioner` identity. Services cannot create the stream; they wait for it
 * (`waitForStream`). An existing stream is left exactly as it is (operators may have tuned its
 * limits); a stream created concurrently counts as success.
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
    // Another provisioner may have created it between our look and our add.
    const exists = await jsm.streams.info(STREAM_NAME).then(
      () => true,
      () => false,
    );
    if (!exists) throw err;
  }
}

/**
 * Waits until stream `CERTFLOW` exists, saying every 10 s what it waits for. A service may start
 * before the provisioning step has run (both are started together); it must not create the stream
 * itself, which its identity may not do.
 */
export async function waitForStream(nc: NatsConnection, log: { warn(obj: object, msg: string): void }, pollMs = 500): Promise<void> {
  const jsm = await jetstreamManager(nc);
  let lastSaid = 0;
  for (;;) {
    try {
      await jsm.streams.info(STREAM_NAME);
      return;
    } catch (err) {
      if (!isNotFound(err, JetStreamApiCodes.StreamNotFound)) throw err;
    }
    if (Date.now() - lastSaid >= 10_000) {
      lastSaid = Date.now();
      log.warn({ stream: STREAM_NAME }, `waiting for stream ${STREAM_NAME}: it is created by the provisioning step (npm start does it; in a deployment, the provisioning job)`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
