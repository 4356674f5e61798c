/**
 * A private nats-server for one test run: JetStream in a temp store, a free port, HTTP monitoring
 * on another. It can be killed hard and started again on the same port and store, the way a crashed
 * NATS comes back, so fault tests never touch the machine's NATS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './process.wait';

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

  private constructor(
    readonly port: number,
    readonly monitorPort: number,
    readonly storeDir: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<NatsProcess> {
    const n = new NatsProcess(await freePort(), await freePort(), mkdtempSync(join(tmpdir(), 'certflow-e2e-nats-')));
    await n.spawn();
    return n;
  }

  private async spawn(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-m', String(this.monitorPort), '-js', '-sd', this.storeDir];
    this.child = spawn(natsBinary(), args, { stdio: 'ignore' });
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
