// `node scripts/bench-http.mjs [--n 20000] [--c 64] [--warmup 3000]`: the request service's HTTP
// layer alone. Starts certflow (as the bench does), submits one request, then fires N calls of each
// kind with C in flight and reads the request service's own CPU time (/proc) per call: GET /healthz
// (routing, trace middleware, interceptor, no database) and GET /api/v1/requests/:id (the guard,
// one read). No certificate flows meanwhile, so what differs between two runs is the HTTP layer.
// docs/performance.md ("HTTP layer: express vs fastify") compares two HTTP layers with it.
import http from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { childProcesses, cpuTimes } from './lib/bench-readings.mjs';
import { build, ensureDependencies, ensurePostgres, gitSha, say, ROOT } from './lib/infra.mjs';
import { ensureNatsServerBinary } from './lib/own-nats.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const N = Number(args.n ?? 20000);
const C = Number(args.c ?? 64);
const WARMUP = Number(args.warmup ?? 3000);

ensureDependencies();
await ensurePostgres();
ensureNatsServerBinary();
build();
const require = createRequire(import.meta.url);
const { startCertflow, testCsr } = require(join(ROOT, 'libs/testing/dist/index.js'));

const cf = await startCertflow({ env: { CERTFLOW_LOG_LEVEL: 'warn' } });
try {
  const host = 'bench-http.fleet.example.com';
  const created = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: (await testCsr({ host, keyType: 'ec-p256' })).pem } });
  if (created.status !== 201) throw new Error(`submit answered ${created.status}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: C });
  const base = new URL(cf.baseUrl);
  const call = (path) =>
    new Promise((resolve) => {
      const req = http.request({ host: base.hostname, port: base.port, path, agent, headers: { authorization: `Bearer ${cf.token}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', () => resolve(0));
      req.end();
    });
  const fire = async (path, n) => {
    let next = 0;
    let bad = 0;
    await Promise.all(Array.from({ length: C }, async () => {
      while (next++ < n) if ((await call(path)) !== 200) bad++;
    }));
    return bad;
  };
  const pid = { request: childProcesses().request };
  const out = { commit: gitSha(), n: N, c: C };
  for (const [name, path] of [['healthz', '/healthz'], ['getRequest', `/api/v1/requests/${created.body.id}`]]) {
    await fire(path, WARMUP);
    const before = cpuTimes(pid).request;
    const t0 = performance.now();
    const bad = await fire(path, N);
    const seconds = (performance.now() - t0) / 1000;
    out[name] = { cpuUsPerCall: Math.round(((cpuTimes(pid).request - before) * 1000) / N), callsPerSecond: Math.round(N / seconds), notOk: bad };
  }
  say(JSON.stringify(out));
  agent.destroy();
} finally {
  await cf.stop();
}
