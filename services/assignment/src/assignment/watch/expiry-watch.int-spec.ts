import { randomUUID } from 'node:crypto';
import {
  AssignmentRequestedV1,
  CertificateAssignedV1,
  CertificateExpiredV1,
  CertificateExpiringV1,
  CertificateRenewalDueV1,
  CertificateUnassignedV1,
  ChainCompleteV1,
  createEvent,
  type CloudEvent,
  type Usage,
} from '@certflow/contracts';
import { FactProcessor, JobScheduler, OutboxRelay, type FactBatch } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { thumbprintSha1 } from '@certflow/pki';
import { loadConfig } from '@certflow/runtime';
import { fixedClock, runId, sleep, startTestService, testDatabaseUrl, TestPki, TEST_NATS_URL, type IssuedLeaf, type RunningService } from '@certflow/testing';
import type { DataSource } from 'typeorm';
import { AppModule } from '../../app.module';
import { AssignmentConfigSchema } from '../../config';
import { AssignCertificateService, type AssignmentRequested } from '../assign-certificate.service';
import { OnAssignmentRequestedConsumer } from '../consumers/on-assignment-requested.consumer';
import { OnChainCompleteConsumer } from '../consumers/on-chain-complete.consumer';
import { certificatesExpiring, readExpiryBuckets } from '../metrics/expiring-certificates.metrics';
import { DAY_MS } from './expiry-watch.decider';
import { ExpiryWatchJob } from './expiry-watch.job';

jest.setTimeout(180_000);

const ALL: Usage[] = ['Default', 'WebServicesInternal', 'WebServicesExternal'];
const HOUR_MS = 3_600_000;
const quiet = { debug() {}, info() {}, warn: (...a: unknown[]) => console.warn(...a), error: (...a: unknown[]) => console.error(...a) };

/**
 * The expiry watch and binding takeover on real PostgreSQL and NATS. The fact handlers, the bind
 * and two JobSchedulers all run on one fixed clock the test moves (years after the real one, so the
 * service's own watch, on the real clock, finds none of these rows due).
 */
describe('expiry watch and binding takeover', () => {
  const id = runId();
  const service = `assignment-watch-${id}`;
  const clock = fixedClock('2030-06-01T00:00:00Z');
  let svc: RunningService;
  let ds: DataSource;
  let pki: TestPki;
  let processor: FactProcessor;
  let requested: OnAssignmentRequestedConsumer;
  let complete: OnChainCompleteConsumer;
  let schedulers: JobScheduler[];
  const job = new ExpiryWatchJob([30, 14, 7, 1]);

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadConfig(AssignmentConfigSchema, { DATABASE_URL: databaseUrl, NATS_URL: TEST_NATS_URL, CERTFLOW_DB_POOL: '6', CERTFLOW_WATCH_INTERVAL_MS: '3600000' });
    svc = await startTestService({ service, databaseUrl, module: AppModule.forRoot(config, service), subjects: [ChainCompleteV1.subject, AssignmentRequestedV1.subject] });
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    processor = svc.app.get(FactProcessor);
    const assignments = new AssignCertificateService(clock, {});
    requested = new OnAssignmentRequestedConsumer(processor, assignments, clock);
    complete = new OnChainCompleteConsumer(processor, assignments, clock);
    const relay = svc.app.get(OutboxRelay);
    schedulers = [new JobScheduler(ds, relay, quiet, clock), new JobScheduler(ds, relay, quiet, clock)];
    pki = await TestPki.create();
  });

  afterAll(async () => {
    await svc?.close();
  });

  interface Req {
    requestId: string;
    host: string;
    leaf: IssuedLeaf;
    thumbprint: string;
    extra?: Partial<AssignmentRequested>;
  }
  async function newRequest(opts: { host?: string; notBefore: Date; notAfter: Date; extra?: Partial<AssignmentRequested> }): Promise<Req> {
    const host = opts.host ?? `w-${randomUUID().slice(0, 8)}-${id}.example.com`;
    const leaf = await pki.leafFor({ host, eku: ['serverAuth', 'clientAuth'], notBefore: opts.notBefore, notAfter: opts.notAfter });
    return { requestId: randomUUID(), host, leaf, thumbprint: thumbprintSha1(leaf.certificate), extra: opts.extra };
  }
  const meta = (r: Req) => ({ source: 'certflow/test', subject: r.requestId });
  const batchOf = (events: CloudEvent[]): FactBatch => ({ deliveries: events.map((e) => ({ payload: JSON.parse(JSON.stringify(e)), deliveryCount: 1 })) });
  /** Binds `reqs` as the flow does: chain.complete, then assignment.requested, one batch each. */
  async function bind(reqs: Req[], usages: Usage[] = ALL): Promise<void> {
    await processor.process(batchOf(reqs.map((r) => createEvent(ChainCompleteV1, { requestId: r.requestId, thumbprint: r.thumbprint, path: [r.thumbprint] }, meta(r)))), complete);
    const asked = reqs.map((r) =>
      createEvent(AssignmentRequestedV1, { requestId: r.requestId, host: r.host, usages, thumbprint: r.thumbprint, certificate: r.leaf.pem, chain: [pki.intermediate.pem], by: 'auto', ...r.extra }, meta(r)),
    );
    await processor.process(batchOf(asked), requested);
  }
  /** One round of each scheduler, at the same time: they contend for the same due rows. */
  async function concurrentRounds(): Promise<void> {
    await Promise.all(schedulers.map((s) => s.runOnce(job)));
  }
  /** Moves the clock to `until` in steps, with concurrent rounds at each. */
  async function runUntil(until: Date, stepMs = 6 * HOUR_MS): Promise<void> {
    await concurrentRounds();
    while (clock.now().getTime() < until.getTime()) {
      clock.set(new Date(Math.min(until.getTime(), clock.now().getTime() + stepMs)));
      await concurrentRounds();
    }
  }
  const lifecycleOf = (r: Req) => ({
    renewalDue: svc.log.of(CertificateRenewalDueV1, (d) => d.requestId === r.requestId).length,
    expiring: svc.log.of(CertificateExpiringV1, (d) => d.requestId === r.requestId).map((e) => e.data.threshold),
    expired: svc.log.of(CertificateExpiredV1, (d) => d.requestId === r.requestId).length,
  });
  const watchRow = async (r: Req) => (await ds.query(`SELECT usages, released_at, next_due_at FROM certificate_watch WHERE request_id = $1`, [r.requestId]))[0];

  it('sends renewal-due, each expiring threshold reached and expired exactly once per certificate, across two schedulers', async () => {
    const t0 = clock.now();
    const certs = await Promise.all(Array.from({ length: 8 }, () => newRequest({ notBefore: t0, notAfter: new Date(t0.getTime() + 10 * DAY_MS) })));
    await bind(certs);
    const assigned = await svc.log.waitFor(CertificateAssignedV1, (d) => d.requestId === certs[0].requestId);
    // Renew a third of the lifetime before notAfter: 10 days → 3 days 8 hours before.
    expect(assigned.data).toMatchObject({
      notAfter: new Date(t0.getTime() + 10 * DAY_MS).toISOString(),
      renewalDueAt: new Date(t0.getTime() + 10 * DAY_MS - Math.floor((10 * DAY_MS) / 3)).toISOString(),
    });
    expect(assigned.data.replaced).toBeUndefined();

    await runUntil(new Date(t0.getTime() + 12 * DAY_MS), 4 * HOUR_MS);
    for (const c of certs) await svc.log.waitFor(CertificateExpiredV1, (d) => d.requestId === c.requestId);
    await sleep(500);
    // Bound with 10 days left, it is already inside the 14-day window: that one, then 7 and 1; 30 was skipped.
    expect(certs.map(lifecycleOf)).toEqual(certs.map(() => ({ renewalDue: 1, expiring: [14, 7, 1], expired: 1 })));
    for (const c of certs) expect((await watchRow(c)).next_due_at).toBeNull();

    const daysLeft = svc.log.of(CertificateExpiringV1, (d) => d.requestId === certs[0].requestId).map((e) => e.data.daysLeft);
    expect(daysLeft).toEqual([10, 7, 1]);
  });

  it('sends only the 7-day warning (and renewal-due) for a certificate bound inside the 7-day window', async () => {
    const now = clock.now();
    const late = await newRequest({ notBefore: new Date(now.getTime() - 84 * DAY_MS), notAfter: new Date(now.getTime() + 6 * DAY_MS) });
    await bind([late]);
    await runUntil(new Date(now.getTime() + 4 * DAY_MS));
    await svc.log.waitFor(CertificateExpiringV1, (d) => d.requestId === late.requestId);
    await sleep(500);
    expect(lifecycleOf(late)).toEqual({ renewalDue: 1, expiring: [7], expired: 0 });
  });

  it('counts bound certificates by time left in the expiring gauge', async () => {
    const now = clock.now();
    const soon = await newRequest({ notBefore: now, notAfter: new Date(now.getTime() + 20 * DAY_MS) });
    const before = await readExpiryBuckets(ds, now);
    await bind([soon]);
    const after = await readExpiryBuckets(ds, now);
    expect(after['30d']).toBe(before['30d'] + 1);
    expect(after.expired).toBe(before.expired);
  });

  it('serves the gauge from the running service, on the service\'s own clock', async () => {
    // The service's clock is the real one, years before these certificates' notAfter: all are `later`.
    const [{ bound }] = await ds.query(`SELECT count(*)::int AS bound FROM certificate_watch WHERE released_at IS NULL`);
    const values = (await certificatesExpiring.get()).values;
    expect(values.map((v) => v.labels.within).sort()).toEqual(['14d', '1d', '30d', '7d', '90d', 'expired', 'later']);
    expect(values.find((v) => v.labels.within === 'later')?.value).toBe(bound);
    expect(values.filter((v) => v.labels.within !== 'later').every((v) => v.value === 0)).toBe(true);
  });

  it('on a takeover (another request, same host and usages) sends replaced and unassigned, and nothing more for the old one', async () => {
    const now = clock.now();
    const old = await newRequest({ notBefore: now, notAfter: new Date(now.getTime() + 60 * DAY_MS) });
    await bind([old]);
    await concurrentRounds();
    clock.advance(HOUR_MS);
    const next = await newRequest({ host: old.host, notBefore: clock.now(), notAfter: new Date(clock.now().getTime() + 90 * DAY_MS) });
    await bind([next]);

    const assigned = await svc.log.waitFor(CertificateAssignedV1, (d) => d.requestId === next.requestId);
    expect(assigned.data.replaced).toEqual(ALL.map((usage) => ({ usage, thumbprint: old.thumbprint })));
    const unassigned = await svc.log.waitFor(CertificateUnassignedV1, (d) => d.requestId === old.requestId);
    expect(unassigned.data).toEqual({
      requestId: old.requestId,
      host: old.host,
      thumbprint: old.thumbprint,
      usages: ALL,
      reason: 'replaced',
      remaining: [],
      replacedBy: { requestId: next.requestId, thumbprint: next.thumbprint },
    });
    const row = await watchRow(old);
    expect(row.usages).toEqual([]);
    expect(row.released_at).not.toBeNull();

    const sentBefore = lifecycleOf(old);
    await runUntil(new Date(now.getTime() + 61 * DAY_MS), DAY_MS);
    await svc.log.waitFor(CertificateRenewalDueV1, (d) => d.requestId === next.requestId);
    await sleep(500);
    expect(lifecycleOf(old)).toEqual(sentBefore);
    expect(svc.log.of(CertificateUnassignedV1, (d) => d.requestId === old.requestId)).toHaveLength(1);
  });

  it('on a partial takeover says which usages the old certificate keeps, and keeps watching it', async () => {
    const now = clock.now();
    const old = await newRequest({ notBefore: now, notAfter: new Date(now.getTime() + 60 * DAY_MS) });
    await bind([old]);
    const next = await newRequest({ host: old.host, notBefore: now, notAfter: new Date(now.getTime() + 90 * DAY_MS) });
    await bind([next], ['Default']);
    const unassigned = await svc.log.waitFor(CertificateUnassignedV1, (d) => d.requestId === old.requestId);
    expect(unassigned.data).toMatchObject({ usages: ['Default'], remaining: ['WebServicesExternal', 'WebServicesInternal'] });
    const row = await watchRow(old);
    expect(row.usages).toEqual(['WebServicesExternal', 'WebServicesInternal']);
    expect(row.released_at).toBeNull();
  });

  it('releases the first request\'s watch row when one batch binds the same host twice', async () => {
    const now = clock.now();
    const first = await newRequest({ notBefore: now, notAfter: new Date(now.getTime() + 60 * DAY_MS) });
    const second = await newRequest({ host: first.host, notBefore: now, notAfter: new Date(now.getTime() + 90 * DAY_MS) });
    await bind([first, second]);
    const unassigned = await svc.log.waitFor(CertificateUnassignedV1, (d) => d.requestId === first.requestId);
    expect(unassigned.data).toMatchObject({ remaining: [], replacedBy: { requestId: second.requestId } });
    expect((await watchRow(first)).released_at).not.toBeNull();
    expect((await watchRow(second)).released_at).toBeNull();
  });

  it('lets a renewal (renewalOf) take over all bindings of the old request in one transaction', async () => {
    const now = clock.now();
    const old = await newRequest({ notBefore: now, notAfter: new Date(now.getTime() + 30 * DAY_MS) });
    await bind([old]);
    const renewal = await newRequest({
      host: old.host,
      notBefore: now,
      notAfter: new Date(now.getTime() + 90 * DAY_MS),
      extra: { renewalOf: old.requestId, renewBefore: 'P20D', rotationPolicy: 'Never', issuer: 'internal' },
    });
    await bind([renewal]);
    const assigned = await svc.log.waitFor(CertificateAssignedV1, (d) => d.requestId === renewal.requestId);
    expect(assigned.data).toMatchObject({
      renewalOf: old.requestId,
      replaced: ALL.map((usage) => ({ usage, thumbprint: old.thumbprint })),
      renewalDueAt: new Date(now.getTime() + 70 * DAY_MS).toISOString(),
    });
    const unassigned = svc.log.of(CertificateUnassignedV1, (d) => d.requestId === old.requestId);
    expect(unassigned.map((e) => e.data)).toEqual([expect.objectContaining({ usages: ALL, remaining: [], replacedBy: { requestId: renewal.requestId, thumbprint: renewal.thumbprint } })]);
    // One transaction: the bindings, the old row's release and both events' outbox rows committed together.
    const bindings = await ds.query(`SELECT DISTINCT request_id FROM binding WHERE host = $1`, [old.host]);
    expect(bindings).toEqual([{ request_id: renewal.requestId }]);
    expect((await watchRow(old)).released_at).not.toBeNull();
    const [watch] = await ds.query(`SELECT renewal_of, rotation_policy, issuer FROM certificate_watch WHERE request_id = $1`, [renewal.requestId]);
    expect(watch).toEqual({ renewal_of: old.requestId, rotation_policy: 'Never', issuer: 'internal' });
  });
});
