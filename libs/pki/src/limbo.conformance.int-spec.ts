import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runLimboCase, type LimboResult, type LimboTestCase } from './conformance/limbo-case.runner';

/**
 * CI gate on x509-limbo (../shared/conformance, beside the repository): every non-BetterTLS case
 * plus every 10th BetterTLS case by sorted id, scored as summarize.py --core --exclude-ids does
 * (cases with optional features and BetterTLS's failure-is-warning ids left out; SKIPPED counts as
 * disagreeing). Each sampled BetterTLS case stands for 10, so the agreement is an estimate of the
 * whole suite's (unweighted, the 1-in-10 sample would make each non-BetterTLS case count 10x).
 * Fails below 99.9 %, on any wrongly accepted case not in scripts/limbo/exceptions.json, or on any
 * case slower than 1 s.
 */
const REPO = path.resolve(__dirname, '..', '..', '..');
const CONFORMANCE = path.join(REPO, '..', 'shared', 'conformance');
const TARGET = 0.999;
const BETTERTLS_STRIDE = 10;

interface Score {
  total: number;
  agree: number;
  /** Weighted as the whole suite: a sampled BetterTLS case counts {@link BETTERTLS_STRIDE} times. */
  weightedTotal: number;
  weightedAgree: number;
  wronglyAccepted: string[];
  wronglyRejected: string[];
  skipped: string[];
  slowest: { id: string; ms: number };
}

function sample(cases: LimboTestCase[]): LimboTestCase[] {
  const better = cases.filter((c) => c.id.startsWith('bettertls::')).sort((a, b) => (a.id < b.id ? -1 : 1));
  return [...cases.filter((c) => !c.id.startsWith('bettertls::')), ...better.filter((_, i) => i % BETTERTLS_STRIDE === 0)];
}

function score(cases: LimboTestCase[], excluded: Set<string>): Score {
  const s: Score = { total: 0, agree: 0, weightedTotal: 0, weightedAgree: 0, wronglyAccepted: [], wronglyRejected: [], skipped: [], slowest: { id: '', ms: 0 } };
  for (const tc of cases) {
    const started = performance.now();
    const result: LimboResult = runLimboCase(tc);
    const ms = performance.now() - started;
    if (ms > s.slowest.ms) s.slowest = { id: tc.id, ms };
    if (tc.features.length > 0 || excluded.has(tc.id)) continue;
    const weight = tc.id.startsWith('bettertls::') ? BETTERTLS_STRIDE : 1;
    s.total++;
    s.weightedTotal += weight;
    if (result.actual_result === 'SKIPPED') s.skipped.push(tc.id);
    else if (result.actual_result === tc.expected_result) {
      s.agree++;
      s.weightedAgree += weight;
    }
    else if (result.actual_result === 'SUCCESS') s.wronglyAccepted.push(tc.id);
    else s.wronglyRejected.push(`${tc.id}: ${result.context}`);
  }
  return s;
}

describe('x509-limbo conformance (core set, sampled)', () => {
  it('agrees on at least 99.9 % of cases, accepts nothing wrongly outside the exceptions, and stays under 1 s per case', () => {
    const limboPath = path.join(CONFORMANCE, 'limbo.json');
    expect(existsSync(limboPath)).toBe(true);
    const limbo = JSON.parse(readFileSync(limboPath, 'utf8')) as { testcases: LimboTestCase[] };
    const excluded = new Set(readFileSync(path.join(CONFORMANCE, 'bettertls-failure-is-warning.txt'), 'utf8').split(/\s+/).filter(Boolean));
    const exceptions = JSON.parse(readFileSync(path.join(REPO, 'scripts', 'limbo', 'exceptions.json'), 'utf8')) as { wronglyAccepted: { id: string }[] };
    const allowed = new Set(exceptions.wronglyAccepted.map((e) => e.id));

    const s = score(sample(limbo.testcases), excluded);

    expect(s.total).toBeGreaterThan(900);
    expect(s.wronglyAccepted.filter((id) => !allowed.has(id))).toEqual([]);
    const agreement = s.weightedAgree / s.weightedTotal;
    if (agreement < TARGET) throw new Error(`agreement ${(agreement * 100).toFixed(2)} % < ${TARGET * 100} %; wrongly rejected: ${s.wronglyRejected.join('; ')}; skipped: ${s.skipped.join(', ')}`);
    expect(s.slowest.ms).toBeLessThan(1000);
  }, 120_000);
});
