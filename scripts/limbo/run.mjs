// x509-limbo harness (C2SP/x509-limbo protocol): reads limbo.json on stdin, writes
// {version, harness, results, timing} on stdout. Uses libs/pki's build, so build first:
//   npx nx run-many -t build && node scripts/limbo/run.mjs < ../shared/conformance/limbo.json > limbo-results.json
// A summary line (cases/s, slowest case) goes to stderr.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// Load the runner alone (not libs/pki's index): it needs neither reflect-metadata nor @peculiar/x509.
const { runLimboCase } = require(path.join(ROOT, 'libs/pki/dist/conformance/limbo-case.runner.js'));

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const limbo = JSON.parse(await readStdin());
const now = new Date();
const started = process.hrtime.bigint();
const results = [];
let slowest = { id: null, ms: 0 };
for (const tc of limbo.testcases) {
  const t0 = process.hrtime.bigint();
  let result;
  try {
    result = runLimboCase(tc, now);
  } catch (error) {
    result = { id: tc?.id, actual_result: 'FAILURE', context: `harness error: ${error?.message ?? error}` };
  }
  results.push(result);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (ms > slowest.ms) slowest = { id: tc.id, ms };
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const timing = {
  cases: results.length,
  seconds_wall: Number(seconds.toFixed(3)),
  cases_per_sec_wall: Math.round(results.length / seconds),
  max_case_ms: Number(slowest.ms.toFixed(2)),
  slowest_case: slowest.id,
};
process.stdout.write(JSON.stringify({ version: 1, harness: 'certflow-pki', results, timing }));
process.stderr.write(`[limbo] ${timing.cases} cases in ${timing.seconds_wall} s (${timing.cases_per_sec_wall} cases/s); slowest ${timing.slowest_case} ${timing.max_case_ms} ms\n`);
