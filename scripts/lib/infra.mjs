// Brings up what certflow needs on this machine: dependencies, PostgreSQL, the tools tests use.
// certflow's own NATS is started by own-nats.mjs.
// Used by `npm start`, `npm test` and .ci/run so a fresh machine works the same as a dev one.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function say(msg) {
  process.stdout.write(`[certflow] ${msg}\n`);
}

export function fail(msg, fix) {
  process.stderr.write(`[certflow] ERROR: ${msg}\n${fix ? `[certflow] What to do: ${fix}\n` : ''}`);
  process.exit(1);
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
  return r.status === 0;
}

export function portOpen(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

async function waitPort(port, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await portOpen(port)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

let aptUpdated = false;
export function aptInstall(pkg) {
  if (!have('apt-get')) return false;
  say(`installing ${pkg} from Debian's packages (apt-get install -y ${pkg})…`);
  if (!aptUpdated) {
    run('apt-get', ['update', '-qq']);
    aptUpdated = true;
  }
  return run('apt-get', ['install', '-y', '-qq', pkg], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** npm install when node_modules is missing or older than package-lock.json. */
export function ensureDependencies() {
  const marker = join(ROOT, 'node_modules', '.package-lock.json');
  const lock = join(ROOT, 'package-lock.json');
  if (existsSync(marker) && (!existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs)) return;
  say('installing npm dependencies (npm install --no-audit --no-fund)…');
  // `npm ci` cannot be used with this registry (see ../shared/STACK.md): other platforms' binaries are not served.
  if (!run('npm', ['install', '--no-audit', '--no-fund'])) {
    fail('npm install failed', 'check that the npm registry is reachable, then run `npm install` yourself and read its error');
  }
}

/** Builds every lib and service to dist/ (swc), in dependency order, via Nx. */
export function build() {
  say('building libs and services (nx run-many -t build)…');
  if (!run('npx', ['nx', 'run-many', '-t', 'build', '--output-style=static'], { env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } })) {
    fail('the build failed', 'read the compiler output above');
  }
}

/** PostgreSQL on 127.0.0.1:5432: started with pg_ctlcluster if installed but stopped; installed if absent. */
export async function ensurePostgres() {
  if (await portOpen(5432)) return say('PostgreSQL is up on 127.0.0.1:5432');
  say('PostgreSQL is not running on 127.0.0.1:5432; starting it…');
  const clusters = () => (existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : []);
  if (clusters().length === 0) aptInstall('postgresql');
  for (const version of clusters()) {
    run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
  }
  if (!(await waitPort(5432, 30))) {
    fail(
      'PostgreSQL is not reachable on 127.0.0.1:5432',
      'start it (`pg_ctlcluster --skip-systemctl-redirect <version> main start`) or set DATABASE_URL to a PostgreSQL you have',
    );
  }
  say('PostgreSQL started');
}

export function natsServerBinary() {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server']) if (existsSync(p)) return p;
  if (have('nats-server')) return 'nats-server';
  return null;
}

/** Pebble (Let's Encrypt's ACME test CA, Debian package) for the ACME end-to-end tests. */
export function ensurePebble() {
  if (existsSync('/usr/bin/pebble') && existsSync('/usr/bin/pebble-challtestsrv')) return say('Pebble is installed');
  if (!aptInstall('pebble')) fail('Pebble is not installed and could not be installed', 'run `apt-get install -y pebble` (the ACME end-to-end tests start it)');
  say('Pebble installed');
}

/**
 * Debian's chromium, driven by playwright-core in the console's browser tests (test/e2e/console-*).
 * Never a browser downloaded by Playwright.
 */
export function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return say('chromium is installed (/usr/bin/chromium)');
  if (!aptInstall('chromium') || !existsSync('/usr/bin/chromium')) {
    fail('chromium is not installed and could not be installed', 'run `apt-get install -y chromium` (the console tests drive it with playwright-core)');
  }
  say('chromium installed');
}

export function gitSha() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
  } catch {
    return 'unknown';
  }
}
