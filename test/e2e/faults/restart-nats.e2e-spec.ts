/**
 * Issue #8, faults: NATS killed with SIGKILL and started again (same port, same JetStream store)
 * while requests are in flight. The services reconnect on their own; the outbox republishes what
 * it could not publish; afterwards every request is ASSIGNED, none lost, none done twice.
 */
import { startCertflow, type Certflow } from '@certflow/testing';
import { restartMidFlight } from './restart.scenario';

const N = Number(process.env.CERTFLOW_FAULTS_NATS_N ?? 1000);
jest.setTimeout(240_000);

describe('NATS restart while requests are in flight', () => {
  let cf: Certflow;
  beforeAll(async () => {
    cf = await startCertflow();
  });
  afterAll(async () => {
    await cf?.stop();
  });

  it('takes every request to ASSIGNED exactly once after NATS comes back', async () => {
    const { inFlight, seconds } = await restartMidFlight(cf, { n: N, tag: 'nats', restart: () => cf.restartNats() });
    process.stdout.write(`faults/nats: ${N} requests, NATS killed and restarted with ${inFlight} in flight; all final after ${seconds.toFixed(1)} s\n`);
  });
});
