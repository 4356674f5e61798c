/**
 * Starts certflow for real: a nats-server of its own (JetStream, temp store, free port) so runs
 * never share a stream, a fresh database (on the machine's PostgreSQL, or on a private cluster a
 * test may restart), and the four built services as processes, one or more instances each.
 * Nothing is mocked.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { BUS_PROVISIONER } from '@certflow/contracts';
import { ensureStream, type NatsConnection } from '@certflow/messaging';
import { NatsProcess, TEST_IDENTITY } from './nats.process';
import { PrivatePostgres } from './private-postgres';
import { TcpProxy } from './tcp.proxy';
import { freePort, waitFor } from './process.wait';
import { SERVICES, ServiceProcesses, type ServiceName } from './service.processes';

export { freePort } from './process.wait';
export { SERVICES, type ServiceName } from './service.processes';

// libs/testing/{src,dist} → the repository root.
const ROOT = join(__dirname, '..', '..', '..');
const MACHINE_POSTGRES = 'postgres://postgres@127.0.0.1:5432';

export interface CertflowOptions {
  env?: Record<string, string>;
  /** Instances per service (default 1 each). The request service's instance i > 0 gets its own HTTP port. */
  instances?: Partial<Record<ServiceName, number>>;
  /** Put the database on a private PostgreSQL cluster (see `postgres`) instead of the machine's. */
  privatePostgres?: boolean;
  /**
   * Start the services while these are unreachable, and return without waiting for readiness:
   * NATS is prepared but not running (`startNats()` starts and provisions it); PostgreSQL is
   * reached through `postgresProxy`, not yet listening (`postgresProxy.start()`).
   */
  unavailableAtStart?: ('nats' | 'postgres')[];
}

export interface Certflow {
  /** The first request instance's API; `api()` talks to it. */
  baseUrl: string;
  /** The API of each request instance, by instance number. */
  baseUrls: string[];
  token: string;
  natsUrl: string;
  databaseUrl: string;
  /** Every line of every instance of a service. */
  logs: Map<ServiceName, string[]>;
  nats: NatsProcess;
  /** The private cluster, when started with `privatePostgres`. */
  postgres?: PrivatePostgres;
  /** The relay every service reaches PostgreSQL through, when started with `unavailableAtStart: ['postgres']`. */
  postgresProxy?: TcpProxy;
  /** Starts nats-server (if not running) and creates the stream, as `npm start` does. */
  startNats(): Promise<void>;
  processes: ServiceProcesses;
  api(path: string, init?: RequestInit & { json?: unknown; token?: string | null; instance?: number }): Promise<{ status: number; body: any; headers: Headers }>;
  stopService(name: ServiceName, signal?: NodeJS.Signals, instance?: number): Promise<void>;
  startService(name: ServiceName, opts?: { instance?: number }): void;
  /** The running process of a service instance (for RSS and liveness checks), if started. */
  pid(name: ServiceName, instance?: number): number | undefined;
  /** Kills one instance (default SIGKILL) and waits until it is gone. */
  kill(name: ServiceName, instance?: number, signal?: NodeJS.Signals): Promise<void>;
  /** Waits until a (re)started request instance answers /readyz, or any instance of another service has its consumers up. */
  waitReady(name: ServiceName, instance?: number, timeoutMs?: number): Promise<void>;
  /** Where an instance serves Prometheus metrics (`/readyz` beside it): the API port for request, its own port otherwise. */
  metricsUrl(name: ServiceName, instance?: number): string;
  /** Kills nats-server hard and starts it again on the same port and store. */
  restartNats(): Promise<void>;
  /** A NATS connection as `identity`: a service's, `subscriber`, `provisioner`, or (default) the unrestricted test identity. */
  connectNats(identity?: string): Promise<NatsConnection>;
  /** The environment a process needs to connect as `identity` (NATS_URL and NATS_NKEY_SEED_FILE). */
  natsEnv(identity: string): Record<string, string>;
  /** The last lines of every instance's output that are not info-level, for failure messages. */
  dumpLogs(chars?: number): string;
  stop(): Promise<void>;
}

export async function startCertflow(opts: CertflowOptions = {}): Promise<Certflow> {
  const unavailable = new Set(opts.unavailableAtStart ?? []);
  const nats = await NatsProcess.prepare();
  // The provisioning step `npm start` runs: the stream is created by its own identity, never by a service.
  const startNats = async () => {
    if (!(await nats.accepts())) await nats.startServer();
    const provisioner = await nats.connect(BUS_PROVISIONER);
    await ensureStream(provisioner).finally(() => provisioner.close());
  };
  if (!unavailable.has('nats')) await startNats();
  const postgres = opts.privatePostgres ? await PrivatePostgres.start() : undefined;
  const count = (s: ServiceName) => Math.max(1, opts.instances?.[s] ?? 1);
  const httpPorts: number[] = [];
  for (let i = 0; i < count('request'); i++) httpPorts.push(await freePort());
  // Each instance its own /metrics port, so parallel runs and second instances never collide.
  const metricsPorts = new Map<string, number>();
  for (const s of SERVICES) for (let i = 0; i < count(s); i++) metricsPorts.set(`${s}#${i}`, await freePort());

  const dbName = `certflow_e2e_${randomBytes(4).toString('hex')}`;
  const postgresProxy = unavailable.has('postgres') ? await TcpProxy.reserve({ host: '127.0.0.1', port: postgres?.port ?? 5432 }) : undefined;
  const serverUrl = postgresProxy
    ? `postgres://postgres@127.0.0.1:${postgresProxy.port}`
    : postgres
      ? postgres.url().replace(/\/postgres$/, '')
      : MACHINE_POSTGRES;
  const databaseUrl = `${serverUrl}/${dbName}`;
  const token = randomBytes(24).toString('hex');
  const stateDir = mkdtempSync(join(tmpdir(), 'certflow-e2e-state-'));
  // The test runner's own NATS credentials (npm test sets them) must not reach the services.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NATS_') && k !== 'CERTFLOW_CA_KEY')) as Record<string, string>;
  const env: Record<string, string> = {
    ...inherited,
    NATS_URL: nats.url,
    DATABASE_URL: databaseUrl,
    CERTFLOW_HTTP_PORT: String(httpPorts[0]),
    CERTFLOW_ADMIN_TOKEN: token,
    CERTFLOW_STATE_DIR: stateDir,
    CERTFLOW_LOG_LEVEL: 'info',
    ...opts.env,
  };
  // Only ca-gateway holds the key that opens the internal CA's private keys.
  const caKey = opts.env?.CERTFLOW_CA_KEY ?? randomBytes(32).toString('hex');
  const natsEnv = (identity: string) => ({ NATS_URL: nats.url, NATS_NKEY_SEED_FILE: nats.seedFile(identity) });
  const envFor = (name: ServiceName, instance: number): Record<string, string> => {
    const own: Record<string, string> = { ...env, ...natsEnv(name), CERTFLOW_METRICS_PORT: String(metricsPorts.get(`${name}#${instance}`) ?? 0) };
    delete own.CERTFLOW_CA_KEY;
    if (name === 'ca-gateway') own.CERTFLOW_CA_KEY = caKey;
    return name === 'request' ? { ...own, CERTFLOW_HTTP_PORT: String(httpPorts[instance] ?? httpPorts[0]) } : own;
  };
  const logs = new Map<ServiceName, string[]>(SERVICES.map((s) => [s, []]));
  const processes = new ServiceProcesses(ROOT, envFor, logs);

  const baseUrls = httpPorts.map((p) => `http://127.0.0.1:${p}`);
  const baseUrl = baseUrls[0];
  const api: Certflow['api'] = async (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (init.token !== null) headers.set('authorization', `Bearer ${init.token ?? token}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    const res = await fetch((baseUrls[init.instance ?? 0] ?? baseUrl) + path, { ...init, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };

  const waitReady: Certflow['waitReady'] = async (name, instance = 0, timeoutMs = 60_000) => {
    if (name === 'request') {
      await waitFor(`request#${instance} /readyz`, async () => (await fetch(`${baseUrls[instance]}/readyz`)).ok, timeoutMs);
      return;
    }
    // A service without HTTP logs "<name> consuming events" once every consumer of the process is pulling.
    const started = () => {
      const out = processes.currentLogs(name, instance);
      if (processes.pid(name, instance) === undefined) throw new Error(`${name}#${instance} exited while starting:\n${out.slice(-3000)}`);
      return out.includes(`${name} consuming events`);
    };
    const end = Date.now() + timeoutMs;
    while (!started()) {
      if (Date.now() > end) throw new Error(`${name}#${instance} did not start consuming within ${timeoutMs} ms:\n${processes.currentLogs(name, instance).slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const dumpLogs = (chars = 2500) =>
    SERVICES.flatMap((s) =>
      processes.instances(s).map((i) => `--- ${s}#${i}\n${processes.logsOf(s, i).join('').split('\n').filter((x) => !x.includes('"level":30')).join('\n').slice(-chars)}`),
    ).join('\n');

  const stop = async () => {
    await processes.stopAll();
    await postgresProxy?.stop();
    await nats.stop();
    rmSync(stateDir, { recursive: true, force: true });
    if (postgres) {
      await postgres.stop();
      return;
    }
    const pg = new Client({ connectionString: `${MACHINE_POSTGRES}/postgres` });
    await pg.connect();
    await pg.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await pg.end();
  };

  // The first instance of each service creates the schema and consumers alone; the others start
  // once it is ready, so migrations never race.
  for (const s of SERVICES) processes.start(s, 0);
  try {
    // Nothing can be ready yet: the test watches the services wait, then makes the outage end.
    if (unavailable.size > 0) return certflow();
    await waitFor('certflow /readyz', async () => (await fetch(`${baseUrl}/readyz`)).ok, 60_000);
    for (const s of SERVICES) for (let i = 1; i < count(s); i++) processes.start(s, i);
    for (const s of SERVICES) for (let i = 1; i < count(s); i++) await waitReady(s, i);
  } catch (e) {
    const dump = [...logs].map(([s, l]) => `--- ${s}\n${l.join('').slice(-3000)}`).join('\n');
    await stop();
    throw new Error(`${(e as Error).message}\n${dump}`);
  }
  return certflow();

  function certflow(): Certflow {
    return {
      baseUrl,
      baseUrls,
      token,
      natsUrl: nats.url,
      databaseUrl,
      logs,
      nats,
      postgres,
      processes,
      api,
      stopService: (name, signal = 'SIGTERM', instance = 0) => processes.stop(name, instance, signal),
      startService: (name, o = {}) => void processes.start(name, o.instance ?? 0),
      pid: (name, instance = 0) => processes.pid(name, instance),
      kill: (name, instance = 0, signal = 'SIGKILL') => processes.stop(name, instance, signal),
      waitReady,
      restartNats: () => nats.restart(),
      connectNats: (identity = TEST_IDENTITY) => nats.connect(identity),
      natsEnv,
      metricsUrl: (name, instance = 0) =>
        name === 'request' ? `${baseUrls[instance] ?? baseUrl}/metrics` : `http://127.0.0.1:${metricsPorts.get(`${name}#${instance}`)}/metrics`,
      dumpLogs,
      stop,
      postgresProxy,
      startNats,
    };
  }
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
  throw new Error(`request ${id} did not reach the expected state; last: ${JSON.stringify(last, null, 1).slice(0, 2000)}\n${cf.dumpLogs()}`);
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
