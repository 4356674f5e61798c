/**
 * Issue #8, faults: PostgreSQL stopped like a crash (`pg_ctl -m immediate`) and started again while
 * requests are in flight — on a private cluster of the test's own, never the machine's. Handlers
 * whose transaction broke are redelivered; afterwards every request is ASSIGNED exactly once.
 */
import { startCertflow, type Certflow } from '@certflow/testing';
import { restartMidFlight } from './restart.scenario';

const N = Number(process.env.CERTFLOW_FAULTS_PG_N ?? 1000);
jest.setTimeout(240_000);

describe('PostgreSQL restart while requests are in flight', () => {
  let cf: Certflow;
  beforeAll(async () => {
    cf = await startCertflow({ privatePostgres: true });
  });
  afterAll(async () => {
    await cf?.stop();
  });

  it('takes every request to ASSIGNED exactly once after PostgreSQL comes back', async () => {
    const { inFlight, seconds } = await restartMidFlight(cf, { n: N, tag: 'pg', restart: () => cf.postgres!.restart('immediate') });
    expect((await cf.api('/readyz', { token: null })).status).toBe(200);
    process.stdout.write(`faults/postgres: ${N} requests, PostgreSQL crashed and restarted with ${inFlight} in flight; all final after ${seconds.toFixed(1)} s\n`);
  });
});
