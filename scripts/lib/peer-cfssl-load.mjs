// The bench's CSRs through CFSSL (see peer-cfssl.mjs): the same warm-up, the same closed or open
// loop and the same readings as the certflow half of `npm run bench`, so the two read side by side.
import { X509Certificate } from 'node:crypto';
import { jsonPoster } from './bench-poster.mjs';
import { cpuTimes, postgresBackends, processAndEndedChildrenCpuMs } from './bench-readings.mjs';
import { say } from './infra.mjs';
import { CFSSL_PROFILE, startCfssl } from './peer-cfssl.mjs';

/** POST /api/v1/cfssl/sign: the CSR, its host and the profile; resolves to the certificate or null. */
function signer(baseUrl, concurrency) {
  const { post, close } = jsonPoster(new URL('/api/v1/cfssl/sign', baseUrl), { concurrency });
  const sign = async (host, csr) => {
    const { status, body } = await post({ certificate_request: csr, hosts: [host], profile: CFSSL_PROFILE });
    return { status, certificate: body?.success ? (body.result?.certificate ?? null) : null, errors: body?.errors };
  };
  return { sign, close };
}

/**
 * Whether `pem` is a certificate for `host` that the run's CA signed. Checked after the clock
 * stops, so the load generator spends no more during the run than it does against certflow.
 */
function isCertificateFor(pem, host, ca) {
  try {
    const cert = new X509Certificate(pem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey) && cert.checkHost(host) === host;
  } catch {
    return false;
  }
}

/**
 * Starts CFSSL, signs `warmup` CSRs (not measured) and then `csrs` ({host, pem}) with `concurrency`
 * in flight (or at `rate` per second, open loop), reads its CPU and its PostgreSQL backends' CPU
 * from /proc, checks every certificate and the rows stored, stops CFSSL and drops its database.
 */
export async function runCfsslPeer({ warmup, csrs, concurrency, rate }) {
  say('peer: starting CFSSL (cfssl serve, P-256 CA, certdb in a fresh PostgreSQL database)…');
  const cfssl = await startCfssl();
  const client = signer(cfssl.url, concurrency);
  try {
    let firstError = null;
    const note = (res) => (firstError ??= `HTTP ${res.status}${res.errors ? ` ${JSON.stringify(res.errors).slice(0, 200)}` : ''}`);
    let warmFailed = 0;
    if (warmup.length > 0) {
      say(`peer: warming CFSSL up: ${warmup.length} requests, ${concurrency} in flight, not measured…`);
      let w = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (w < warmup.length) {
            const { host, pem } = warmup[w++];
            const res = await client.sign(host, pem);
            if (!res.certificate) {
              warmFailed++;
              note(res);
            }
          }
        }),
      );
    }

    // cfssl sets no pool size, and Go's database/sql then keeps two idle connections: under load most
    // inserts open a connection and close it, so its backends end within the run. Their CPU is read
    // from the postmaster's ended children (which also holds whatever else on this PostgreSQL ended
    // in those seconds), the backends still open from /proc, and the connections opened are counted.
    const postmaster = cfssl.postmasterPid();
    const processes = { cfssl: cfssl.pid, ...postgresBackends(cfssl.databaseUrl) };
    const cpuBefore = cpuTimes(processes);
    const endedBefore = postmaster ? processAndEndedChildrenCpuMs(postmaster) : 0;
    const sessionsBefore = cfssl.sessions();
    const benchCpuBefore = process.cpuUsage();

    say(rate ? `peer: signing ${csrs.length} CSRs with CFSSL at ${rate}/s (open loop, at most ${concurrency} in flight)…` : `peer: signing ${csrs.length} CSRs with CFSSL, ${concurrency} in flight…`);
    const results = new Array(csrs.length);
    let next = 0;
    const begin = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < csrs.length) {
          const i = next++;
          const { host, pem } = csrs[i];
          const due = rate ? begin + (i * 1000) / rate : 0;
          if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
          const at = rate ? due : performance.now();
          const res = await client.sign(host, pem);
          results[i] = { ms: performance.now() - at, certificate: res.certificate };
          if (!res.certificate) note(res);
        }
      }),
    );
    const end = performance.now();
    const cpuAfter = cpuTimes({ ...processes, ...postgresBackends(cfssl.databaseUrl) });
    const endedMs = postmaster ? processAndEndedChildrenCpuMs(postmaster) - endedBefore : 0;
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const sessions = cfssl.sessions() - sessionsBefore;
    const rows = cfssl.storedCertificates();

    const ca = new X509Certificate(cfssl.caPem);
    const issued = results.filter((r) => r.certificate);
    const valid = results.filter((r, i) => r.certificate && isCertificateFor(r.certificate, csrs[i].host, ca)).length;
    const latencies = issued.map((r) => r.ms).sort((a, b) => a - b);
    const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : NaN);
    const per = (ms) => Number((ms / Math.max(1, issued.length)).toFixed(2));
    let cfsslMs = 0;
    let postgresMs = endedMs;
    for (const [name, ms] of Object.entries(cpuAfter)) {
      if (name === 'cfssl') cfsslMs += ms - (cpuBefore.cfssl ?? 0);
      else postgresMs += ms - (cpuBefore[name] ?? 0);
    }
    const seconds = (end - begin) / 1000;
    return {
      peer: 'cfssl',
      version: '1.2.0+git20160825 (Debian golang-cfssl)',
      n: csrs.length,
      warmup: warmup.length,
      concurrency,
      rate: rate ?? null,
      issued: issued.length,
      failed: csrs.length - issued.length,
      warmupFailed: warmFailed,
      firstError,
      // Each response parsed, signed by the run's CA and naming its host.
      validCertificates: valid,
      // Rows cfssl stored in PostgreSQL, warm-up included; expected = every certificate it returned.
      storedRows: rows,
      expectedRows: warmup.length - warmFailed + issued.length,
      seconds,
      certificatesPerSecond: issued.length / seconds,
      latencyMs: { p50: pct(50), p95: pct(95), p99: pct(99), max: latencies.at(-1) },
      cpuMsPerCertificate: { cfssl: per(cfsslMs), postgresql: per(postgresMs), total: per(cfsslMs + postgresMs) },
      // Connections opened to its database during the run (see the comment on `postmaster`).
      postgresSessions: sessions,
      postgresqlEndedBackendsMs: endedMs,
      loadGeneratorCpuMsPerRequest: per((benchCpu.user + benchCpu.system) / 1000),
    };
  } finally {
    client.close();
    await cfssl.stop();
    say('peer: CFSSL stopped, its database dropped');
  }
}

/** The peer's lines in the bench's printout, and a table row set against certflow's figures. */
export function cfsslPeerLines(p, e2e, commit) {
  if (p.error) return `  peer: CFSSL         did not run: ${p.error}\n`;
  const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const ratio = e2e.certificatesPerSecond / p.certificatesPerSecond;
  const load = p.rate ? `${p.rate}/s open loop` : `closed loop C ${p.concurrency}`;
  return `  peer: CFSSL         ${p.version}, cfssl serve + certdb in PostgreSQL, issuance only
  … requests          ${p.n} (${p.rate ? `${p.rate}/s open loop, ` : ''}${p.concurrency} in flight, after ${p.warmup} to warm up), issued ${p.issued}, failed ${p.failed}${p.firstError ? ` (first: ${p.firstError})` : ''}
  … issuance          ${f(p.certificatesPerSecond, 1)} certificates/s   latency p50 ${f(p.latencyMs.p50)} ms   p95 ${f(p.latencyMs.p95)} ms   p99 ${f(p.latencyMs.p99)} ms   max ${f(p.latencyMs.max)} ms
  … CPU per cert      cfssl ${p.cpuMsPerCertificate.cfssl} ms, postgresql ${p.cpuMsPerCertificate.postgresql} ms (${p.postgresSessions} connections opened in the run), total ${p.cpuMsPerCertificate.total} ms; load generator ${p.loadGeneratorCpuMsPerRequest} ms
  … checked           ${p.validCertificates}/${p.issued} responses are certificates for their host from the run's CA; ${p.storedRows} rows in certificates (expected ${p.expectedRows})${p.storedRows === p.expectedRows ? '' : '  MISMATCH'}
  certflow vs CFSSL   | run | certflow certificates/s | CFSSL certificates/s | certflow / CFSSL | CPU ms per certificate, certflow / CFSSL |
                      | ${load}, N ${p.n} (${commit}) | ${f(e2e.certificatesPerSecond, 1)} | ${f(p.certificatesPerSecond, 1)} | ${f(ratio, 3)} × | ${f(e2e.cpuMsPerRequest.total, 2)} / ${f(p.cpuMsPerCertificate.total, 2)} |
`;
}
