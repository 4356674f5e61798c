// `npm test`: everything a fresh machine needs, then every test: unit, integration (real
// PostgreSQL, and certflow's own authenticated NATS as `npm start` runs it) and end-to-end (all
// four services as processes, each run on an authenticated nats-server of its own).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build, ensureChromium, ensureDependencies, ensurePebble, ensurePostgres, say, ROOT } from './lib/infra.mjs';
import { startOwnNats } from './lib/own-nats.mjs';

ensureDependencies();
await ensurePostgres();
ensurePebble();
ensureChromium();
build();
// Integration tests connect as `test`, an identity with no limits that only test servers have.
const natsDir = mkdtempSync(join(tmpdir(), 'certflow-test-nats-'));
const nats = await startOwnNats({ dir: natsDir, extraIdentities: ['test'] });
say(`integration tests use ${nats.url} as identity "test"`);
say('type-checking (tsc --noEmit)…');
if (spawnSync('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit', cwd: ROOT }).status !== 0) {
  await nats.stop();
  process.stderr.write('[certflow] ERROR: type errors above\n');
  process.exit(1);
}
say('running jest: unit, integration, e2e…');
const results = join(ROOT, 'artifacts', 'jest-results.json');
mkdirSync(dirname(results), { recursive: true });
const args = ['jest', '--runInBand', '--forceExit', '--json', `--outputFile=${results}`, ...process.argv.slice(2)];
const r = spawnSync('npx', args, { stdio: 'inherit', cwd: ROOT, env: { ...process.env, ...nats.env('test') } });
await nats.stop();
rmSync(natsDir, { recursive: true, force: true });
// One plain closing line, whatever reads the log: N passed, N failed.
try {
  const j = JSON.parse(readFileSync(results, 'utf8'));
  console.log(`tests: ${j.numPassedTests} passed, ${j.numFailedTests} failed, ${j.numPendingTests} skipped`);
} catch {
  console.log('tests: 0 passed, 1 failed (jest wrote no results; see its output above)');
}
process.exit(r.status ?? 1);
