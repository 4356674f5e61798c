import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  CertificateAssignedV1,
  CertificateIssuedV1,
  CertificateRenewalDueV1,
  CertificateUnassignedV1,
  ChainCompleteV1,
  RequestFailedV1,
  RequestSubmittedV1,
  createEvent,
  type CloudEvent,
  type RotationPolicy,
} from '@certflow/contracts';
import { JobScheduler, type OutboxRelay } from '@certflow/messaging';
import { thumbprintSha1 } from '@certflow/pki';
import { fixedClock, runId, testCsr, TestPki, type IssuedLeaf, type TestCsr } from '@certflow/testing';
import { CertificateCatalogService } from '../../edge/catalog/certificate-catalog.service';
import { RequestCommandService } from '../commands/request-command.service';
import { openRequestTestDatabase, requestFactsKit, type RequestFactsKit } from '../consumers/request-facts.test-kit';
import { RequestQueryService } from '../http/request-query.service';
import { RenewRequestHandler } from './renew-request.handler';
import { RenewalRetryJob } from './renewal-retry.job';

jest.setTimeout(60_000);

const T0 = Date.UTC(2030, 4, 1, 8, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000);
const DUE = new Date(T0 + 30 * 86_400_000);

// Renewals on real PostgreSQL: the request service's fact handlers as the transport hands them
// batches (the facts test kit), the renew route's handler, and the view's renewal state.
describe('renewals (real PostgreSQL)', () => {
  let ds: DataSource;
  let drop: () => Promise<void>;
  let pki: TestPki;
  let kit: RequestFactsKit;
  let renew: RenewRequestHandler;
  let queries: RequestQueryService;
  const clock = fixedClock(new Date(T0).toISOString());
  const commands = new RequestCommandService();
  const relay = { publishCommitted() {}, kick() {} } as unknown as OutboxRelay;

  beforeAll(async () => {
    ({ ds, drop } = await openRequestTestDatabase());
    pki = await TestPki.create();
    kit = requestFactsKit(ds, { clock });
    renew = new RenewRequestHandler(ds, commands, relay, clock);
    queries = new RequestQueryService(ds, new CertificateCatalogService(ds, {} as never), clock);
  });
  afterAll(async () => {
    await drop?.();
  });

  interface Bound {
    id: string;
    host: string;
    csr: TestCsr;
    leaf: IssuedLeaf;
    thumbprint: string;
  }

  /** A request taken through issued, chain.complete (auto-assign) and certificate.assigned, with its due date. */
  async function assignedRequest(rotationPolicy: RotationPolicy): Promise<Bound> {
    const host = `renew-${runId()}.example.com`;
    const csr = await testCsr({ host });
    const { request } = await commands.submit(
      ds.manager,
      { type: 'Submit', at: at(0), id: randomUUID(), host, usages: ['Default'], autoAssign: true, issuer: 'internal', friendlyName: 'web', csr: csr.pem, renewBefore: 'P10D', rotationPolicy },
      { idempotencyKey: null, bodyHash: null },
    );
    const leaf = await pki.leafFor({ host, keys: csr.keys });
    const thumbprint = thumbprintSha1(leaf.certificate);
    const chain = [pki.intermediate.pem];
    const path = [thumbprint, thumbprintSha1(pki.intermediate.certificate), thumbprintSha1(pki.root.certificate)];
    const id = request.id;
    await kit.deliver([createEvent(CertificateIssuedV1, { requestId: id, issuer: 'internal', certificate: leaf.pem, chain, thumbprint }, { source: 't', subject: id, time: at(1) })]);
    await kit.deliver([createEvent(ChainCompleteV1, { requestId: id, thumbprint, path }, { source: 't', subject: id, time: at(2) })]);
    await kit.deliver([
      createEvent(
        CertificateAssignedV1,
        { requestId: id, host, usages: ['Default'], thumbprint, certificate: leaf.pem, chain, notAfter: leaf.certificate.notAfter.toISOString(), renewalDueAt: DUE.toISOString() },
        { source: 't', subject: id, time: at(3) },
      ),
    ]);
    return { id, host, csr, leaf, thumbprint };
  }

  const due = (r: Bound, rotationPolicy: RotationPolicy) =>
    createEvent(
      CertificateRenewalDueV1,
      { requestId: r.id, host: r.host, thumbprint: r.thumbprint, notAfter: r.leaf.certificate.notAfter.toISOString(), usages: ['Default'], issuer: 'internal', rotationPolicy, dueAt: DUE.toISOString() },
      { source: 'certflow/assignment', subject: r.id, time: DUE },
    );
  const renewalsOf = async (id: string): Promise<{ id: string; state: string; csr: string; rotation_policy: string; renew_before: string; auto_assign: boolean }[]> =>
    ds.query(`SELECT id, state, csr, rotation_policy, renew_before, auto_assign FROM certificate_request WHERE renewal_of = $1 ORDER BY created_at`, [id]);
  const submittedFor = (renewalId: string): CloudEvent[] => kit.published.filter((e) => e.type === RequestSubmittedV1.subject && (e.data as { requestId: string }).requestId === renewalId);
  const fail = (id: string, s: number) =>
    kit.deliver([createEvent(RequestFailedV1, { requestId: id, stage: 'issuance', code: 'CaUnreachable', message: 'the CA did not answer' }, { source: 't', subject: id, time: at(s) })]);

  describe("when renewal falls due for a 'Never' request", () => {
    it('submits exactly one renewal with the stored CSR, even when the fact is delivered twice', async () => {
      const r = await assignedRequest('Never');
      clock.set(DUE.toISOString());
      const fact = due(r, 'Never');
      await kit.deliver([fact]);
      await kit.deliver([fact], 2);
      // The same window announced again under another event id (a second watch instance, say).
      await kit.deliver([{ ...fact, id: randomUUID() }]);
      const renewals = await renewalsOf(r.id);
      expect(renewals).toEqual([{ id: expect.any(String), state: 'SUBMITTED', csr: r.csr.pem, rotation_policy: 'Never', renew_before: 'P10D', auto_assign: true }]);
      expect(submittedFor(renewals[0].id)).toHaveLength(1);
      expect(submittedFor(renewals[0].id)[0].data).toMatchObject({ renewalOf: r.id, rotationPolicy: 'Never', renewBefore: 'P10D', host: r.host });
      expect(await queries.get(r.id)).toMatchObject({ state: 'ASSIGNED', renewal: { dueAt: DUE.toISOString(), requestId: renewals[0].id, state: 'in-progress' } });
    });

    it('submits exactly one renewal when the fact arrives twice at once, and twice in one batch', async () => {
      const r = await assignedRequest('Never');
      const fact = due(r, 'Never');
      await Promise.all([kit.deliver([fact]), kit.deliver([{ ...fact, id: randomUUID() }]), kit.deliver([{ ...fact, id: randomUUID() }])]);
      expect(await renewalsOf(r.id)).toHaveLength(1);
      const s = await assignedRequest('Never');
      await kit.deliver([due(s, 'Never'), { ...due(s, 'Never'), id: randomUUID() }]);
      expect(await renewalsOf(s.id)).toHaveLength(1);
    });

    it('the partial unique index refuses a second open renewal whoever writes it', async () => {
      const r = await assignedRequest('Never');
      await kit.deliver([due(r, 'Never')]);
      const insert = `INSERT INTO certificate_request (id, host, state, usages, auto_assign, issuer, csr, created_at, updated_at, renewal_of) SELECT $1, host, 'SUBMITTED', usages, true, issuer, csr, now(), now(), id FROM certificate_request WHERE id = $2`;
      await expect(ds.query(insert, [randomUUID(), r.id])).rejects.toThrow(/duplicate key|unique/);
    });
  });

  describe("when renewal falls due for an 'Always' request", () => {
    it('submits nothing, records the due date, and the view waits for the host', async () => {
      const r = await assignedRequest('Always');
      await ds.query(`UPDATE certificate_request SET renewal_due_at = NULL WHERE id = $1`, [r.id]);
      clock.set(new Date(DUE.getTime() + 3_600_000).toISOString());
      await kit.deliver([due(r, 'Always')]);
      expect(await renewalsOf(r.id)).toEqual([]);
      expect(await queries.get(r.id)).toMatchObject({ state: 'ASSIGNED', rotationPolicy: 'Always', renewBefore: 'P10D', renewal: { dueAt: DUE.toISOString(), state: 'waiting-for-host' } });
      expect((await queries.get(r.id)).renewal).not.toHaveProperty('requestId');
    });
  });

  describe('when bindings are released (certificate.unassigned)', () => {
    const unassigned = (r: Bound, remaining: ('Default' | 'WebServicesExternal')[], by: string) =>
      createEvent(
        CertificateUnassignedV1,
        { requestId: r.id, host: r.host, thumbprint: r.thumbprint, usages: ['Default'], reason: 'replaced', remaining, replacedBy: { requestId: by, thumbprint: 'C'.repeat(40) } },
        { source: 'certflow/assignment', subject: r.id, time: at(100) },
      );
    it('makes the old request SUPERSEDED by the new one when nothing remains bound', async () => {
      const r = await assignedRequest('Always');
      const by = randomUUID();
      await kit.deliver([unassigned(r, [], by)]);
      const view = await queries.get(r.id);
      expect(view).toMatchObject({ state: 'SUPERSEDED', supersededBy: by });
      expect(view).not.toHaveProperty('renewal');
      expect(view.history.at(-1)).toMatchObject({ state: 'SUPERSEDED', reason: `superseded by ${by}` });
    });
    it('leaves it ASSIGNED while a usage remains bound', async () => {
      const r = await assignedRequest('Always');
      await kit.deliver([unassigned(r, ['WebServicesExternal'], randomUUID())]);
      expect((await queries.get(r.id)).state).toBe('ASSIGNED');
    });
  });

  describe('POST /api/v1/requests/{id}/renew', () => {
    it("starts a renewal with a new key (201), then answers with the open one (200)", async () => {
      const r = await assignedRequest('Always');
      const fresh = await testCsr({ host: r.host });
      const first = await renew.execute(r.id, { csr: fresh.pem });
      expect(first.created).toBe(true);
      if (!first.created) return;
      expect(first.request).toMatchObject({ renewalOf: r.id, host: r.host, usages: ['Default'], issuer: 'internal', friendlyName: 'web', autoAssign: true, csr: fresh.pem, rotationPolicy: 'Always', renewBefore: 'P10D' });
      expect(queries.viewSubmitted(first.request)).toMatchObject({ renewalOf: r.id, state: 'SUBMITTED' });
      const again = await renew.execute(r.id, { csr: (await testCsr({ host: r.host })).pem });
      expect(again).toEqual({ created: false, openId: first.request.id });
    });

    it("re-uses the stored CSR without a csr for 'Never'", async () => {
      const r = await assignedRequest('Never');
      const out = await renew.execute(r.id, {});
      expect(out.created && out.request.csr).toBe(r.csr.pem);
    });

    it("answers CSR_REQUIRED without a csr for 'Always', KEY_NOT_ROTATED with the old key", async () => {
      const r = await assignedRequest('Always');
      await expect(renew.execute(r.id, undefined)).rejects.toMatchObject({ status: 400, code: 'CSR_REQUIRED' });
      await expect(renew.execute(r.id, { csr: r.csr.pem })).rejects.toMatchObject({ status: 400, code: 'KEY_NOT_ROTATED' });
      expect(await renewalsOf(r.id)).toEqual([]);
    });

    it('answers NOT_RENEWABLE unless ASSIGNED, and REQUEST_NOT_FOUND for no request', async () => {
      const host = `renew-${runId()}.example.com`;
      const { request } = await commands.submit(
        ds.manager,
        { type: 'Submit', at: at(0), id: randomUUID(), host, usages: ['Default'], autoAssign: true, issuer: 'internal', friendlyName: null, csr: (await testCsr({ host })).pem },
        { idempotencyKey: null, bodyHash: null },
      );
      await expect(renew.execute(request.id, {})).rejects.toMatchObject({ status: 409, code: 'NOT_RENEWABLE', details: { state: 'SUBMITTED' } });
      await expect(renew.execute(randomUUID(), {})).rejects.toMatchObject({ status: 404, code: 'REQUEST_NOT_FOUND' });
    });

    it('starts a new renewal after the last one FAILED', async () => {
      const r = await assignedRequest('Never');
      const first = await renew.execute(r.id, {});
      if (!first.created) throw new Error('expected a new renewal');
      await fail(first.request.id, 200);
      clock.set(new Date(DUE.getTime() + 3_600_000).toISOString());
      expect((await queries.get(r.id)).renewal).toMatchObject({ requestId: first.request.id, state: 'failed' });
      const second = await renew.execute(r.id, {});
      expect(second.created).toBe(true);
      expect((await renewalsOf(r.id)).map((x) => x.state)).toEqual(['FAILED', 'SUBMITTED']);
    });

    it("refuses a host-scoped caller a CSR naming a host outside its patterns", async () => {
      const r = await assignedRequest('Always');
      const csr = await testCsr({ host: r.host, names: ['elsewhere.example.org'] });
      const caller = { name: 'agent-1', role: 'agent' as const, hosts: [r.host] };
      await expect(renew.execute(r.id, { csr: csr.pem }, caller)).rejects.toMatchObject({ status: 403, code: 'HOST_NOT_ALLOWED' });
    });

    it('refuses a body with an unknown field', async () => {
      const r = await assignedRequest('Never');
      await expect(renew.execute(r.id, { csr: 'x', host: 'y' })).rejects.toMatchObject({ status: 400, code: 'UNKNOWN_FIELD' });
    });
  });

  describe('the retry job, for failed automatic renewals', () => {
    const MIN = 300_000;
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    // random() = 0.9: the factor 1.4, inside [0.5, 1.5]; the wait is known in advance.
    const job = new RenewalRetryJob({ minMs: MIN, maxMs: 8 * MIN }, () => 0.9);
    const retry = async (id: string) => (await ds.query(`SELECT attempts, next_attempt_at, last_error FROM renewal_retry WHERE renewal_of = $1`, [id]))[0];

    it("re-submits a failed 'Never' renewal after the backoff with jitter, with the stored CSR, and backs off longer after the next failure", async () => {
      const r = await assignedRequest('Never');
      clock.set(DUE.toISOString());
      await kit.deliver([due(r, 'Never')]);
      const [first] = await renewalsOf(r.id);
      await fail(first.id, 300);
      const scheduler = new JobScheduler(ds, { publishCommitted() {} }, silent, clock);

      await scheduler.runOnce(job);
      expect(await retry(r.id)).toEqual({ attempts: 1, next_attempt_at: new Date(DUE.getTime() + 1.4 * MIN), last_error: 'CaUnreachable: the CA did not answer' });
      clock.advance(1.4 * MIN - 1);
      await scheduler.runOnce(job);
      expect(await renewalsOf(r.id)).toHaveLength(1);

      clock.advance(1);
      const work = await scheduler.runOnce(job);
      const renewals = await renewalsOf(r.id);
      expect(renewals.map((x) => x.state)).toEqual(['FAILED', 'SUBMITTED']);
      expect(renewals[1].csr).toBe(r.csr.pem);
      expect(work.publish).toEqual([expect.objectContaining({ type: RequestSubmittedV1.subject, data: expect.objectContaining({ requestId: renewals[1].id, renewalOf: r.id }) })]);
      expect(await retry(r.id)).toBeUndefined();

      // Nothing more while that attempt is open.
      clock.advance(10 * MIN);
      await scheduler.runOnce(job);
      expect(await renewalsOf(r.id)).toHaveLength(2);

      await fail(renewals[1].id, 400);
      const before = clock.now().getTime();
      await scheduler.runOnce(job);
      expect(await retry(r.id)).toMatchObject({ attempts: 2, next_attempt_at: new Date(before + 2 * 1.4 * MIN) });
    });

    it("leaves a failed 'Always' renewal to the host, and a request renewed meanwhile alone", async () => {
      const a = await assignedRequest('Always');
      const out = await renew.execute(a.id, { csr: (await testCsr({ host: a.host })).pem });
      if (!out.created) throw new Error('expected a renewal');
      await fail(out.request.id, 500);
      const scheduler = new JobScheduler(ds, { publishCommitted() {} }, silent, clock);
      await scheduler.runOnce(job);
      expect(await retry(a.id)).toBeUndefined();

      const n = await assignedRequest('Never');
      const first = await renew.execute(n.id, {});
      if (!first.created) throw new Error('expected a renewal');
      await fail(first.request.id, 600);
      await scheduler.runOnce(job);
      expect(await retry(n.id)).toMatchObject({ attempts: 1 });
      // An operator renews before the retry falls due: the retry then submits nothing.
      await renew.execute(n.id, {});
      clock.advance(2 * MIN);
      await scheduler.runOnce(job);
      expect((await renewalsOf(n.id)).map((x) => x.state)).toEqual(['FAILED', 'SUBMITTED']);
      expect(await retry(n.id)).toBeUndefined();
    });
  });
});
