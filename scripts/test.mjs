// `npm test`: everything a fresh machine needs, then every test: unit, integration (real
// PostgreSQL and NATS) and end-to-end (all four services as processes).
import { spawnSync } from 'node:child_process';
import { build, ensureDependencies, ensureNats, ensurePebble, ensurePostgres, say, ROOT } from './lib/infra.mjs';

ensureDependencies();
await ensurePostgres();
await ensureNats();
ensurePebble();
build();
say('type-checking (tsc --noEmit)…');
if (spawnSync('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit', cwd: ROOT }).status !== 0) {
  process.stderr.write('[certflow] ERROR: type errors above\n');
  process.exit(1);
}
say('running jest: unit, integration, e2e…');
const args = ['jest', '--runInBand', '--forceExit', ...process.argv.slice(2)];
const r = spawnSync('npx', args, { stdio: 'inherit', cwd: ROOT });
process.exit(r.status ?? 1);
