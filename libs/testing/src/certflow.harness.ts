/**
 * Starts certflow for real: a nats-server of its own (JetStream, temp store, free port) so runs
 * never share a stream, a fresh database on the machine's PostgreSQL, and the four built services
 * as processes. Nothing is mocked.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

// libs/testing/{src,dist} → the repository root.
const ROOT = join(__dirname, '..', '..', '..');
export const SERVICES = ['trust-validation', 'assignment', 'ca-gateway', 'request'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** A TCP port free on 127.0.0.1 right now, for a server a test starts. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function natsBinary(): string {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server']) {
    if (spawnSync('test', ['-x', p]).status === 0) return p;
  }
  throw new Error('nats-server is not installed: apt-get install -y nats-server (npm test does this)');
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface Certflow {
  baseUrl: string;
  token: string;
  natsUrl: string;
  databaseUrl: string;
  logs: Map<ServiceName, string[]>;
  api(path: string, init?: RequestInit & { json?: unknown; token?: string | null }): Promise<{ status: number; body: any; headers: Headers }>;
  stopService(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  startService(name: ServiceName): void;
  stop(): Promise<void>;
}

export async function startCertflow(opts: { env?: Record<string, string> } = {}): Promise<Certflow> {
  const natsPort = await freePort();
  const httpPort = await freePort();
  const natsDir = mkdtempSync(join(tmpdir(), 'certflow-e2e-nats-'));
  const nats = spawn(natsBinary(), ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', natsDir], { stdio: 'ignore' });
  const natsUrl = `nats://127.0.0.1:${natsPort}`;
  await waitFor('nats-server', () => new Promise((res) => net.connect(natsPort, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); res(true); }).once('error', () => res(false))), 10_000);

  const dbName = `certflow_e2e_${randomBytes(4).toString('hex')}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${dbName}`;
  const token = randomBytes(24).toString('hex');
  const stateDir = mkdtempSync(join(tmpdir(), 'certflow-e2e-state-'));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NATS_URL: natsUrl,
    DATABASE_URL: databaseUrl,
    CERTFLOW_HTTP_PORT: String(httpPort),
    CERTFLOW_ADMIN_TOKEN: token,
    CERTFLOW_CA_KEY: randomBytes(32).toString('hex'),
    CERTFLOW_STATE_DIR: stateDir,
    CERTFLOW_LOG_LEVEL: 'info',
    ...opts.env,
  };
  const children = new Map<ServiceName, ChildProcess>();
  const logs = new Map<ServiceName, string[]>(SERVICES.map((s) => [s, []]));
  const startService = (name: ServiceName) => {
    const child = spawn(process.execPath, [join(ROOT, 'services', name, 'dist', 'main.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const sink = logs.get(name)!;
    child.stdout!.on('data', (d) => sink.push(d.toString()));
    child.stderr!.on('data', (d) => sink.push(d.toString()));
    children.set(name, child);
  };
  const stopService = async (name: ServiceName, signal: NodeJS.Signals = 'SIGTERM') => {
    const c = children.get(name);
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
      c.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      c.kill(signal);
    });
  };
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const api: Certflow['api'] = async (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (init.token !== null) headers.set('authorization', `Bearer ${init.token ?? token}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    const res = await fetch(baseUrl + path, { ...init, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  const stop = async () => {
    await Promise.all(SERVICES.map((s) => stopService(s)));
    nats.kill('SIGTERM');
    await new Promise((r) => nats.once('exit', r).once('error', r));
    rmSync(natsDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
    const pg = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await pg.connect();
    await pg.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await pg.end();
  };

  for (const s of SERVICES) startService(s);
  try {
    await waitFor('certflow /readyz', async () => (await fetch(`${baseUrl}/readyz`)).ok, 60_000);
  } catch (e) {
    const dump = [...logs].map(([s, l]) => `--- ${s}\n${l.join('').slice(-3000)}`).join('\n');
    await stop();
    throw new Error(`${(e as Error).message}\n${dump}`);
  }
  return { baseUrl, token, natsUrl, databaseUrl, logs, api, stopService, startService, stop };
}

/** Polls a request until `until` holds, or fails with its last view. */
export async function waitForRequest(cf: Certflow, id: string, until: (view: any) => boolean, timeoutMs = 15_000): Promise<any> {
  const end = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < end) {
    last = (await cf.api(`/api/v1/requests/${id}`)).body;
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  const dump = [...cf.logs].map(([s, l]) => `--- ${s}\n${l.join('').split('\n').filter((x) => !x.includes('"level":30')).join('\n').slice(-2500)}`).join('\n');
  throw new Error(`request ${id} did not reach the expected state; last: ${JSON.stringify(last, null, 1).slice(0, 2000)}\n${dump}`);
}

/** A CSR made by `openssl req`, as an operator would on the host. Returns the PEM. */
export function opensslCsr(cn: string, sans: string[], key: 'ec' | 'rsa' = 'ec'): string {
  const dir = mkdtempSync(join(tmpdir(), 'certflow-csr-'));
  const keyArgs = key === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
  const r = spawnSync('openssl', ['req', '-new', ...keyArgs, '-nodes', '-keyout', join(dir, 'key.pem'), '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return r.stdout;
}
