/**
 * /readyz follows the dependencies: two built services (assignment, without HTTP, on its metrics
 * port; request, on its API port) run against a private nats-server and a private PostgreSQL that
 * this test stops and starts again. The machine's NATS and PostgreSQL are never touched.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, NatsProcess, PrivatePostgres } from '@certflow/testing';
import { ensureStream } from '@certflow/messaging';

jest.setTimeout(150_000);

const ROOT = join(__dirname, '..', '..', '..', '..');

/** pg_ctl on the private cluster, as the postgres user (what PrivatePostgres does, split into stop and start). */
function pgCtl(pg: PrivatePostgres, args: string[]): void {
  const base = '/usr/lib/postgresql';
  const version = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a))[0];
  const r = spawnSync('runuser', ['-u', 'postgres', '--', join(base, version, 'bin', 'pg_ctl'), '-D', join(pg.dir, 'data'), ...args], { encoding: 'utf8', cwd: pg.dir });
  if (r.status !== 0) throw new Error(`pg_ctl ${args.join(' ')}: ${r.stdout}${r.stderr}`);
}
const stopPostgres = (pg: PrivatePostgres) => pgCtl(pg, ['-m', 'immediate', '-w', 'stop']);
const startPostgres = (pg: PrivatePostgres) =>
  pgCtl(pg, ['-l', join(pg.dir, 'server.log'), '-o', `-p ${pg.port} -k ${pg.dir} -c listen_addresses=127.0.0.1`, '-w', '-t', '60', 'start']);

interface Readiness {
  status: number;
  checks: Record<string, boolean>;
}

async function readiness(url: string): Promise<Readiness | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, checks: ((await res.json()) as { checks: Record<string, boolean> }).checks };
  } catch {
    return undefined;
  }
}

/** Polls `url` until `ok` holds; fails with the last answer and the services' output. */
async function until(url: string, ok: (r: Readiness) => boolean, what: string, logs: () => string, timeoutMs = 30_000): Promise<Readiness> {
  const end = Date.now() + timeoutMs;
  let last: Readiness | undefined;
  while (Date.now() < end) {
    last = await readiness(url);
    if (last && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: last answer ${JSON.stringify(last)}\n${logs().slice(-4000)}`);
}

describe('/readyz when NATS or PostgreSQL goes away and comes back', () => {
  let nats: NatsProcess;
  let pg: PrivatePostgres;
  let stateDir: string;
  const children: ChildProcess[] = [];
  const output: string[] = [];
  const logs = () => output.join('');
  let assignmentReady: string;
  let requestReady: string;

  beforeAll(async () => {
    nats = await NatsProcess.start();
    const provisioner = await nats.connect('provisioner');
    await ensureStream(provisioner).finally(() => provisioner.close());
    pg = await PrivatePostgres.start();
    stateDir = mkdtempSync(join(tmpdir(), 'certflow-readyz-'));
    const metricsPort = await freePort();
    const httpPort = await freePort();
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NATS_')));
    const env = {
      ...inherited,
      NATS_URL: nats.url,
      DATABASE_URL: pg.url('certflow_readyz'),
      CERTFLOW_METRICS_PORT: String(metricsPort),
      CERTFLOW_HTTP_PORT: String(httpPort),
      CERTFLOW_ADMIN_TOKEN: randomBytes(24).toString('hex'),
      CERTFLOW_STATE_DIR: stateDir,
      CERTFLOW_LOG_LEVEL: 'warn',
    };
    // One after the other: the first creates the database.
    for (const service of ['assignment', 'request']) {
      const own = { ...env, NATS_NKEY_SEED_FILE: nats.seedFile(service) };
      const child = spawn(process.execPath, [join(ROOT, 'services', service, 'dist', 'main.js')], { cwd: ROOT, env: own, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d) => output.push(`${service}: ${d}`));
      child.stderr!.on('data', (d) => output.push(`${service}: ${d}`));
      children.push(child);
      if (service === 'assignment') {
        assignmentReady = `http://127.0.0.1:${metricsPort}/readyz`;
        await until(assignmentReady, (r) => r.status === 200, 'assignment ready at start', logs, 60_000);
      }
    }
    requestReady = `http://127.0.0.1:${httpPort}/readyz`;
    await until(requestReady, (r) => r.checks.postgres && r.checks.nats && r.checks.assignment, 'request reaches its dependencies at start', logs, 60_000);
  });

  afterAll(async () => {
    await Promise.all(
      children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r).kill('SIGKILL')))),
    );
    await nats?.stop();
    await pg?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('is 503 naming nats while the nats-server is down, and 200 again once it is back', async () => {
    await nats.kill('SIGKILL');
    const down = await until(assignmentReady, (r) => r.status === 503, 'assignment sees NATS down', logs);
    expect(down.checks).toEqual({ postgres: true, nats: false });
    const requestDown = await until(requestReady, (r) => r.status === 503 && !r.checks.nats, 'request sees NATS down', logs);
    expect(requestDown.checks).toMatchObject({ postgres: true, nats: false, request: false, assignment: false });

    await nats.restart();
    expect((await until(assignmentReady, (r) => r.status === 200, 'assignment ready after NATS is back', logs)).checks).toEqual({ postgres: true, nats: true });
    await until(requestReady, (r) => r.checks.nats && r.checks.assignment, 'request sees NATS and assignment again', logs);
  });

  it('is 503 naming postgres while PostgreSQL is down, and 200 again once it is back', async () => {
    stopPostgres(pg);
    const down = await until(assignmentReady, (r) => r.status === 503, 'assignment sees PostgreSQL down', logs);
    expect(down.checks).toEqual({ postgres: false, nats: true });
    const requestDown = await until(requestReady, (r) => r.status === 503 && !r.checks.postgres, 'request sees PostgreSQL down', logs);
    expect(requestDown.checks).toMatchObject({ postgres: false, nats: true, request: false });

    startPostgres(pg);
    expect((await until(assignmentReady, (r) => r.status === 200, 'assignment ready after PostgreSQL is back', logs)).checks).toEqual({ postgres: true, nats: true });
    await until(requestReady, (r) => r.checks.postgres && r.checks.request, 'request sees PostgreSQL again', logs);
    for (const c of children) expect({ pid: c.pid, exitCode: c.exitCode }).toEqual({ pid: c.pid, exitCode: null });
  });
});
