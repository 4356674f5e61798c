// `npm start`: installs what is missing, starts PostgreSQL if it is not running, builds, starts
// certflow's own authenticated nats-server (unless NATS_URL names one), creates the stream with the
// provisioner identity, starts the four services (each runs its migrations, each with its own NATS
// identity), and prints where to go.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, ensureDependencies, ensurePostgres, fail, say, ROOT } from './lib/infra.mjs';
import { externalNats, startOwnNats } from './lib/own-nats.mjs';
import { metricsUrls, startServices, waitReady } from './lib/services.mjs';

const stateDir = resolve(ROOT, process.env.CERTFLOW_STATE_DIR ?? '.certflow');
const port = Number(process.env.CERTFLOW_HTTP_PORT ?? 8080);
const host = process.env.CERTFLOW_HTTP_HOST ?? '127.0.0.1';

ensureDependencies();
if (!process.env.DATABASE_URL) await ensurePostgres();
build();
mkdirSync(stateDir, { recursive: true, mode: 0o700 });
const nats = process.env.NATS_URL ? await externalNats() : await startOwnNats({ dir: join(stateDir, 'nats') });

// The key that encrypts the internal CA's private keys at rest. Generated once, kept beside the
// admin token; set CERTFLOW_CA_KEY to keep it elsewhere (a secret store, an HSM-wrapped file…).
const caKeyFile = join(stateDir, 'ca.key');
if (!process.env.CERTFLOW_CA_KEY && !existsSync(caKeyFile)) {
  writeFileSync(caKeyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  say(`generated the internal CA's key-encryption key in ${caKeyFile} (mode 0600)`);
}
const caKey = process.env.CERTFLOW_CA_KEY ?? readFileSync(caKeyFile, 'utf8').trim();
// Each service its own NATS identity; the CA key to ca-gateway alone.
const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => process.env.NATS_URL || !k.startsWith('NATS_')));
const envOf = (name) => {
  const own = { ...inherited, CERTFLOW_STATE_DIR: stateDir, ...nats.env(name) };
  delete own.CERTFLOW_CA_KEY;
  return name === 'ca-gateway' ? { ...own, CERTFLOW_CA_KEY: caKey } : own;
};

say('starting trust-validation, assignment, ca-gateway and request…');
const verbose = process.env.CERTFLOW_VERBOSE === '1';
const services = startServices(envOf, (name, line) => {
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
// A service waits out NATS or PostgreSQL outages (at start too), so one that exits has a
// configuration error or crashed: stopping everything makes that visible rather than half-running.
for (const [name, child] of services.children) {
  child.on('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`[certflow] ${name} exited (${signal ?? code}); stopping the others\n`);
    void shutdown(1);
  });
}
nats.child?.on('exit', (code, signal) => {
  if (stopping) return;
  process.stderr.write(`[certflow] nats-server exited (${signal ?? code}); see ${join(stateDir, 'nats', 'nats-server.log')}; stopping the services\n`);
  void shutdown(1);
});
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  say('stopping services…');
  await services.stop();
  await nats.stop();
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
say(`NATS: ${nats.url}${nats.seedFile('subscriber') ? `   read-only identity for other services and \`certflow events\`: NATS_NKEY_SEED_FILE=${nats.seedFile('subscriber')}` : ''}`);
say(`metrics (Prometheus): ${Object.entries(metricsUrls(base)).map(([s, u]) => `${s} ${u}`).join('   ')}   (docs/observability.md)`);
say('press Ctrl-C to stop');
