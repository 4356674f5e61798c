// certflow's own nats-server, as `npm start` and `npm test` run it: one nkey identity per service
// (plus the provisioner and the subscriber) kept in <dir> (mode 0600), a configuration generated from
// the grant table in libs/contracts, anonymous connections refused, and the stream created by the
// provisioner identity. Needs the libs built (it uses libs/messaging's dist).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { aptInstall, fail, natsServerBinary, portOpen, say, ROOT } from './infra.mjs';

const require = createRequire(import.meta.url);

/** Debian's nats-server, installed if missing. */
export function ensureNatsServerBinary() {
  let bin = natsServerBinary();
  if (!bin && aptInstall('nats-server')) bin = natsServerBinary();
  if (!bin) fail('nats-server is not installed and could not be installed', 'run `apt-get install -y nats-server`, or set NATS_URL (and NATS_NKEY_SEED_FILE or NATS_CREDS) to a NATS server with JetStream you run');
  return bin;
}

/**
 * Writes the identities (`<dir>/<name>.nk`, mode 0600, kept when present) and `<dir>/nats-server.conf`
 * for a server listening on host:port with its JetStream store in `storeDir`. Used by `npm start`,
 * `npm test` and the deployment's init step (scripts/nats-config.mjs).
 */
export function writeNatsConfig({ dir, host, port, storeDir, extraIdentities = [], monitorPort, pidFile, logFile }) {
  const { CERTFLOW_IDENTITIES, ensureBusIdentities, permissionsOf, renderNatsServerConfig } = require(join(ROOT, 'libs/messaging/dist/index.js'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const identities = ensureBusIdentities(dir, [...CERTFLOW_IDENTITIES, ...extraIdentities]);
  const users = identities.map((id) => ({ nkey: id.publicKey, permissions: extraIdentities.includes(id.name) ? undefined : permissionsOf(id.name) }));
  const configFile = join(dir, 'nats-server.conf');
  writeFileSync(configFile, renderNatsServerConfig({ host, port, monitorPort, storeDir, users, pidFile, logFile }), { mode: 0o600 });
  return { identities, configFile };
}

/** True when `pid` is a live nats-server started with `configFile` (ours, from an earlier start). */
function isOurs(pid, configFile) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(configFile);
  } catch {
    return false;
  }
}

async function freePortFrom(first) {
  for (let p = first; p < first + 200; p++) if (!(await portOpen(p))) return p;
  fail(`no free port for nats-server between ${first} and ${first + 199}`, 'free one, or set NATS_URL to a NATS server you run');
}

async function waitPort(port, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await portOpen(port)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/**
 * Starts certflow's own nats-server as a child of this process, on `preferredPort` unless a server
 * certflow did not start holds it (then the next free port, printed). A server of ours left over
 * from an earlier start that was killed is stopped first. `extraIdentities` get no limits (the
 * test runner's own identity); they are never part of `npm start`.
 * Returns { url, seedFile(identity), env(identity), stop() }.
 */
export async function startOwnNats({ dir, preferredPort = 4222, extraIdentities = [], quiet = false }) {
  const bin = ensureNatsServerBinary();
  const { connectNats, ensureStream } = require(join(ROOT, 'libs/messaging/dist/index.js'));
  const { BUS_PROVISIONER } = require(join(ROOT, 'libs/contracts/dist/index.js'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const configFile = join(dir, 'nats-server.conf');
  const pidFile = join(dir, 'nats-server.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (pid > 0 && isOurs(pid, configFile)) {
      say(`stopping certflow's nats-server left over from an earlier start (pid ${pid})…`);
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 40 && isOurs(pid, configFile); i++) await new Promise((r) => setTimeout(r, 250));
    }
  }
  let port = preferredPort;
  if (await portOpen(port)) {
    port = await freePortFrom(preferredPort + 1);
    say(`127.0.0.1:${preferredPort} is taken by a NATS server certflow did not start; certflow's own runs on ${port}`);
  }
  const { identities } = writeNatsConfig({ dir, host: '127.0.0.1', port, storeDir: join(dir, 'jetstream'), extraIdentities, pidFile, logFile: join(dir, 'nats-server.log') });
  if (!quiet) say(`starting certflow's own nats-server (JetStream, nkey authentication, anonymous refused) on 127.0.0.1:${port}…`);
  const child = spawn(bin, ['-c', configFile], { stdio: 'ignore' });
  // However this process ends (an error, Ctrl-C), the server it started ends with it.
  process.once('exit', () => child.kill('SIGTERM'));
  if (!(await waitPort(port, 20))) fail(`nats-server did not start on 127.0.0.1:${port}`, `run \`${bin} -c ${configFile}\` and read ${join(dir, 'nats-server.log')}`);
  const url = `nats://127.0.0.1:${port}`;
  const seedFile = (name) => identities.find((i) => i.name === name)?.seedFile;
  // The provisioning step: only this identity may create or update the stream.
  try {
    const nc = await connectNats({ servers: url, name: 'certflow/provisioner', auth: { nkeySeedFile: seedFile(BUS_PROVISIONER), inboxPrefix: `_INBOX_${BUS_PROVISIONER}` } });
    try {
      await ensureStream(nc);
    } finally {
      await nc.close();
    }
  } catch (e) {
    child.kill('SIGTERM');
    fail(`could not create stream CERTFLOW on certflow's own nats-server: ${e.message}`, `read ${join(dir, 'nats-server.log')}`);
  }
  return {
    url,
    seedFile,
    env: (name) => ({ NATS_URL: url, NATS_NKEY_SEED_FILE: seedFile(name) }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
    child,
  };
}

/**
 * A NATS server the operator runs (NATS_URL set). Its credentials come from the environment: one
 * for all (NATS_NKEY_SEED_FILE, NATS_CREDS, NATS_USER/NATS_PASSWORD, NATS_TOKEN), or, with
 * CERTFLOW_NATS_SEED_DIR, `<dir>/<service>.nk` per service and `<dir>/provisioner.nk` for the stream.
 * The stream is created when the credentials may; otherwise the services wait for it and say so.
 */
export async function externalNats() {
  const { connectNats, ensureStream, natsAuthFromEnv, seedFileOf } = require(join(ROOT, 'libs/messaging/dist/index.js'));
  const { BUS_PROVISIONER } = require(join(ROOT, 'libs/contracts/dist/index.js'));
  const url = process.env.NATS_URL;
  const seedDir = process.env.CERTFLOW_NATS_SEED_DIR;
  const seedFile = (name) => (seedDir ? seedFileOf(seedDir, name) : undefined);
  say(`using the NATS server at ${url} (NATS_URL)${seedDir ? `, identities from ${seedDir}` : ''}`);
  const auth = seedDir ? { nkeySeedFile: seedFile(BUS_PROVISIONER), inboxPrefix: `_INBOX_${BUS_PROVISIONER}` } : natsAuthFromEnv();
  try {
    const nc = await connectNats({ servers: url, name: 'certflow/provisioner', auth });
    try {
      await ensureStream(nc);
    } finally {
      await nc.close();
    }
  } catch (e) {
    say(`WARNING: could not make sure stream CERTFLOW exists (${e.message}); the services wait until your provisioning creates it`);
  }
  return {
    url,
    seedFile,
    env: (name) => (seedDir ? { NATS_URL: url, NATS_NKEY_SEED_FILE: seedFile(name) } : { NATS_URL: url }),
    stop: async () => undefined,
  };
}
