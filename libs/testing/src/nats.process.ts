/**
 * A private nats-server for one test run: JetStream in a temp store, a free port, HTTP monitoring
 * on another, and the same authentication as `npm start` generates: one nkey identity per service,
 * the provisioner and the subscriber with their permissions, plus a `test` identity that may do
 * anything (the test's own hands: publishing a poison message, reading the stream). Anonymous
 * connections are refused. It can be killed hard and started again on the same port and store,
 * the way a crashed NATS comes back, so fault tests never touch the machine's NATS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CERTFLOW_IDENTITIES,
  connectNats,
  ensureBusIdentities,
  inboxPrefixOf,
  permissionsOf,
  renderNatsServerConfig,
  type BusIdentity,
  type NatsAuth,
  type NatsConnection,
} from '@certflow/messaging';
import { freePort, waitFor } from './process.wait';

/** The identity a test uses for its own hands; it has no permission limits. */
export const TEST_IDENTITY = 'test';

/** What a test may add to the server's configuration. */
export interface NatsProcessOptions {
  /** Server TLS (client certificates required when `caFile` is set). */
  tls?: { certFile: string; keyFile: string; caFile?: string };
}

function natsBinary(): string {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server']) {
    if (spawnSync('test', ['-x', p]).status === 0) return p;
  }
  throw new Error('nats-server is not installed: apt-get install -y nats-server (npm test does this)');
}

function accepts(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/** One client connection as the server's monitoring (`/connz`) reports it. */
export interface NatsConnectionStats {
  cid: number;
  name?: string;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
}

export class NatsProcess {
  private child?: ChildProcess;
  private readonly identities = new Map<string, BusIdentity>();
  private readonly configFile: string;

  private constructor(
    readonly port: number,
    readonly monitorPort: number,
    readonly storeDir: string,
    private readonly options: NatsProcessOptions,
  ) {
    for (const id of ensureBusIdentities(join(storeDir, 'identities'), [...CERTFLOW_IDENTITIES, TEST_IDENTITY])) this.identities.set(id.name, id);
    this.configFile = join(storeDir, 'nats-server.conf');
    const users = [...this.identities.values()].map((id) => ({ nkey: id.publicKey, permissions: id.name === TEST_IDENTITY ? undefined : permissionsOf(id.name) }));
    writeFileSync(
      this.configFile,
      renderNatsServerConfig({ host: '127.0.0.1', port, monitorPort, storeDir: join(storeDir, 'js'), users, tls: options.tls }),
      { mode: 0o600 },
    );
  }

  get url(): string {
    return `${this.options.tls ? 'tls' : 'nats'}://127.0.0.1:${this.port}`;
  }

  static async start(options: NatsProcessOptions = {}): Promise<NatsProcess> {
    const n = await NatsProcess.prepare(options);
    await n.spawn();
    return n;
  }

  /** Port, store and identities, with no server running yet (a test of services started before NATS); `startServer()` starts it. */
  static async prepare(options: NatsProcessOptions = {}): Promise<NatsProcess> {
    return new NatsProcess(await freePort(), await freePort(), mkdtempSync(join(tmpdir(), 'certflow-e2e-nats-')), options);
  }

  /** True when something accepts TCP connections on the server's port. */
  accepts(): Promise<boolean> {
    return accepts(this.port);
  }

  /** Starts the server of a prepared (or killed) NatsProcess and waits until JetStream answers. */
  async startServer(): Promise<void> {
    await this.spawn();
    await waitFor('nats-server JetStream', async () => (await fetch(`http://127.0.0.1:${this.monitorPort}/healthz`)).ok, 30_000);
  }

  /** The nkey seed file of a certflow identity (a service, `provisioner`, `subscriber`) or `test`. */
  seedFile(identity: string): string {
    const id = this.identities.get(identity);
    if (!id) throw new Error(`this NATS server has no identity "${identity}"`);
    return id.seedFile;
  }

  /** Connection settings of an identity, as a service would take them from NATS_NKEY_SEED_FILE. */
  auth(identity: string = TEST_IDENTITY): NatsAuth {
    return { nkeySeedFile: this.seedFile(identity), inboxPrefix: identity === TEST_IDENTITY ? undefined : inboxPrefixOf(identity) };
  }

  /** A connection as `identity` (default: the unrestricted test identity). */
  connect(identity: string = TEST_IDENTITY, name = `test/${identity}`): Promise<NatsConnection> {
    return connectNats({ servers: this.url, name, auth: this.auth(identity) });
  }

  private async spawn(): Promise<void> {
    this.child = spawn(natsBinary(), ['-c', this.configFile], { stdio: 'ignore' });
    await waitFor('nats-server', () => accepts(this.port), 15_000);
  }

  /** SIGKILL (a crash), then a new server on the same port and store: streams and consumers survive on disk. */
  async restart(): Promise<void> {
    await this.kill('SIGKILL');
    await this.spawn();
    // JetStream recovers its store before it answers API calls; /healthz?js-enabled-only says when.
    await waitFor('nats-server JetStream after restart', async () => (await fetch(`http://127.0.0.1:${this.monitorPort}/healthz`)).ok, 30_000);
  }

  /** Current and recently closed client connections, with their message counters. */
  async connections(): Promise<NatsConnectionStats[]> {
    const res = await fetch(`http://127.0.0.1:${this.monitorPort}/connz?state=all&limit=100000`);
    return ((await res.json()) as { connections?: NatsConnectionStats[] }).connections ?? [];
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
