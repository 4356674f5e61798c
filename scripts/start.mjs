// `npm start`: installs what is missing, starts PostgreSQL and NATS if they are not running,
// builds, starts the four services (each runs its migrations), and prints where to go.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, ensureDependencies, ensureNats, ensurePostgres, fail, say, ROOT } from './lib/infra.mjs';
import { metricsUrls, startServices, waitReady } from './lib/services.mjs';

const stateDir = resolve(ROOT, process.env.CERTFLOW_STATE_DIR ?? '.certflow');
const port = Number(process.env.CERTFLOW_HTTP_PORT ?? 8080);
const host = process.env.CERTFLOW_HTTP_HOST ?? '127.0.0.1';

ensureDependencies();
if (!process.env.DATABASE_URL) await ensurePostgres();
if (!process.env.NATS_URL) await ensureNats(join(stateDir, 'nats'));
build();

// The key that encrypts the internal CA's private keys at rest. Generated once, kept beside the
// admin token; set CERTFLOW_CA_KEY to keep it elsewhere (a secret store, an HSM-wrapped file…).
mkdirSync(stateDir, { recursive: true, mode: 0o700 });
const caKeyFile = join(stateDir, 'ca.key');
if (!process.env.CERTFLOW_CA_KEY && !existsSync(caKeyFile)) {
  writeFileSync(caKeyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  say(`generated the internal CA's key-encryption key in ${caKeyFile} (mode 0600)`);
}
const env = {
  CERTFLOW_STATE_DIR: stateDir,
  CERTFLOW_CA_KEY: process.env.CERTFLOW_CA_KEY ?? readFileSync(caKeyFile, 'utf8').trim(),
};

say('starting trust-validation, assignment, ca-gateway and request…');
const verbose = process.env.CERTFLOW_VERBOSE === '1';
const services = startServices(env, (name, line) => {
  // Services log JSON; show warnings and errors here, everything with CERTFLOW_VERBOSE=1.
  let level = 30;
  try {
    level = JSON.parse(line).level ?? 30;
  } catch {
    level = 50;
  }
  if (verbose || level >= 40) process.stdout.write(`${name.padEnd(16)} | ${line}\n`);
});
let stopping = false;
for (const [name, child] of services.children) {
  child.on('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`[certflow] ${name} exited (${signal ?? code}); stopping the others\n`);
    void shutdown(1);
  });
}
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  say('stopping services…');
  await services.stop();
  say('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

const base = `http://${host}:${port}`;
const { ready, last } = await waitReady(base, 90, () => !stopping);
if (!ready) {
  await shutdown(1);
  fail(`certflow did not become ready at ${base}/readyz (last answer: ${JSON.stringify(last)})`, 'run with CERTFLOW_VERBOSE=1 to see every service log');
}
const tokenFile = process.env.CERTFLOW_ADMIN_TOKEN ? '(CERTFLOW_ADMIN_TOKEN)' : join(stateDir, 'admin.token');
say(`certflow is ready at ${base}`);
say(`API docs (Swagger UI): ${base}/api/docs   OpenAPI: ${base}/api/openapi.json`);
say(`admin token: ${tokenFile}    e.g.  curl -H "Authorization: Bearer $(cat ${tokenFile})" ${base}/api/v1/requests`);
say(`metrics (Prometheus): ${Object.entries(metricsUrls(base)).map(([s, u]) => `${s} ${u}`).join('   ')}   (docs/observability.md)`);
say('press Ctrl-C to stop');
