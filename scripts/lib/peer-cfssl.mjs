// CFSSL as the bench's peer (`npm run bench -- --peer cfssl`): Debian's `golang-cfssl` serving
// `POST /api/v1/cfssl/sign` from a P-256 CA made for the run, each certificate it signs stored in
// PostgreSQL by its certdb. A reference point on the same machine in the same run, not a
// competitor's best: `cfssl serve` as its README sets it up, issuance only (no chain validation,
// assignment or events). The load itself is in peer-cfssl-load.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { parentPid } from './bench-readings.mjs';
import { aptInstall, fail, portOpen, say } from './infra.mjs';

/**
 * cfssl's certdb tables as its PostgreSQL migration has them in the version Debian ships
 * (1.2.0+git20160825, commit 7fb22c8: certdb/pg/migrations/001_CreateCertificates.sql). cfssl
 * runs no migrations itself, and its signer inserts exactly serial_number, authority_key_identifier,
 * ca_label, status, reason, expiry, revoked_at and pem (certdb/sql/database_accessor.go).
 */
export const CFSSL_CERTDB_SCHEMA = `
CREATE TABLE certificates (
  serial_number            bytea NOT NULL,
  authority_key_identifier bytea NOT NULL,
  ca_label                 bytea,
  status                   bytea NOT NULL,
  reason                   int,
  expiry                   timestamptz,
  revoked_at               timestamptz,
  pem                      bytea NOT NULL,
  PRIMARY KEY (serial_number, authority_key_identifier)
);
CREATE TABLE ocsp_responses (
  serial_number            bytea NOT NULL,
  authority_key_identifier bytea NOT NULL,
  body                     bytea NOT NULL,
  expiry                   timestamptz,
  PRIMARY KEY (serial_number, authority_key_identifier),
  FOREIGN KEY (serial_number, authority_key_identifier) REFERENCES certificates (serial_number, authority_key_identifier)
);`;

/** The profile the load asks for: a TLS server certificate, as certflow issues. */
export const CFSSL_PROFILE = 'server';

const SIGNING_CONFIG = {
  signing: {
    default: { expiry: '2160h', usages: ['digital signature', 'key encipherment', 'server auth'] },
    profiles: { [CFSSL_PROFILE]: { expiry: '2160h', usages: ['digital signature', 'key encipherment', 'server auth'] } },
  },
};

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * The `cfssl` binary: Debian's `golang-cfssl`, installed with apt-get if missing. Checked before
 * certflow starts, so a machine without it fails in seconds, not after the certflow half of the run.
 */
export function ensureCfsslBinary() {
  if (have('cfssl')) return say('cfssl is installed (Debian: golang-cfssl)');
  if (!aptInstall('golang-cfssl') || !have('cfssl')) {
    fail(
      'cfssl is not installed and could not be installed',
      'run `apt-get install -y golang-cfssl` (Debian 12 ships 1.2.0+git20160825), or put a `cfssl` binary of that version on PATH; or run the bench without `--peer cfssl`',
    );
  }
  say('cfssl installed');
}

function psql(sql, db = 'postgres') {
  return spawnSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * A P-256 CA in a temporary directory, a fresh database with the certdb tables, and `cfssl serve`
 * on a free port using both. Returns a handle; `stop()` ends the process, drops the database and
 * removes the directory (the CA key with it).
 */
export async function startCfssl() {
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-cfssl-'));
  const database = `certflow_bench_cfssl_${process.pid}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
  let child = null;
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise((resolve) => {
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
    psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    writeFileSync(join(dir, 'ca-csr.json'), JSON.stringify({ CN: 'certflow bench CFSSL peer CA', key: { algo: 'ecdsa', size: 256 }, names: [{ O: 'certflow bench' }] }));
    const initca = spawnSync('cfssl', ['gencert', '-initca', join(dir, 'ca-csr.json')], { encoding: 'utf8' });
    const ca = initca.status === 0 ? JSON.parse(initca.stdout) : null;
    if (!ca?.cert || !ca?.key) throw new Error(`cfssl gencert -initca failed: ${(initca.stderr || '').slice(-300)}`);
    writeFileSync(join(dir, 'ca.pem'), ca.cert);
    writeFileSync(join(dir, 'ca-key.pem'), ca.key, { mode: 0o600 });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(SIGNING_CONFIG));
    // lib/pq defaults to sslmode=require; the machine's PostgreSQL speaks plain TCP on loopback.
    writeFileSync(join(dir, 'db-config.json'), JSON.stringify({ driver: 'postgres', data_source: `${databaseUrl}?sslmode=disable` }));

    for (const [sql, db] of [
      [`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, 'postgres'],
      [`CREATE DATABASE ${database}`, 'postgres'],
      [CFSSL_CERTDB_SCHEMA, database],
    ]) {
      const r = psql(sql, db);
      if (r.status !== 0) throw new Error(`PostgreSQL refused the CFSSL database setup: ${(r.stderr || '').trim()}`);
    }

    const port = await freePort();
    let log = '';
    // -loglevel 2 (warnings): certflow runs at `warn` in the bench, and at 1 cfssl logs every signature.
    child = spawn('cfssl', ['serve', '-address', '127.0.0.1', '-port', String(port), '-ca', join(dir, 'ca.pem'), '-ca-key', join(dir, 'ca-key.pem'), '-config', join(dir, 'config.json'), '-db-config', join(dir, 'db-config.json'), '-loglevel', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const s of [child.stdout, child.stderr]) s.on('data', (d) => (log = (log + d.toString()).slice(-4_000)));
    for (let i = 0; i < 80 && !(await portOpen(port)); i++) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (child.exitCode !== null || !(await portOpen(port))) throw new Error(`cfssl serve did not start on port ${port}:\n${log}`);
    return {
      url: `http://127.0.0.1:${port}`,
      pid: child.pid,
      databaseUrl,
      caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      log: () => log,
      /** Rows in cfssl's `certificates` table: one per certificate it signed and stored. */
      storedCertificates: () => Number(psql('SELECT count(*) FROM certificates', database).stdout.trim()),
      /** PostgreSQL's postmaster (parent of the checkpointer, as of every backend). */
      postmasterPid: () => {
        const checkpointer = Number(psql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'").stdout.trim());
        return checkpointer ? parentPid(checkpointer) : null;
      },
      /** Connections opened to its database so far (pg_stat_database.sessions, PostgreSQL 14+). */
      sessions: () => Number(psql(`SELECT sessions FROM pg_stat_database WHERE datname = '${database}'`).stdout.trim()) || 0,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
