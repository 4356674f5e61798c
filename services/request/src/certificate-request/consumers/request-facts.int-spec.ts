import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  AssignmentRequestedV1,
  CertificateAssignedV1,
  CertificateIssuedV1,
  ChainCompleteV1,
  ChainIncompleteV1,
  createEvent,
  DeadLetterV1,
  RequestFailedV1,
  RequestPendingV1,
  STREAM_NAME,
  TrustUpdatedV1,
  type CloudEvent,
  type RequestView,
} from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import { consumerName } from '@certflow/messaging';
import { jetstreamManager } from '@nats-io/jetstream';
import { thumbprintSha1 } from '@certflow/pki';
import { publishAgain, runId, sleep, startTestService, testCsr, testDatabaseUrl, TestPki, TEST_NATS_URL, waitUntilConsumed, type IssuedLeaf, type RunningService } from '@certflow/testing';
import { AppModule } from '../../app.module';
import { loadRequestConfig } from '../../config';
import { SubmitRequestHandler } from '../commands/submit-request/submit-request.handler';
import { RequestQueryService } from '../http/request-query.service';

jest.setTimeout(60_000);

const FACTS = [RequestPendingV1, CertificateIssuedV1, ChainCompleteV1, ChainIncompleteV1, CertificateAssignedV1, RequestFailedV1];
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
/** Fact times are their own (the event's `time`), so the stored instants are known in advance. */
const at = (s: number) => new Date(T0 + s * 1000);

// The request service's fact consumer as it runs (real PostgreSQL, real JetStream): facts go on
// the stream, and the test reads what the service stored and what it published.
describe('request fact handlers (real PostgreSQL and NATS JetStream)', () => {
  const id = runId();
  const service = `request-facts-test-${id}`;
  let svc: RunningService;
  let ds: DataSource;
  let pki: TestPki;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadRequestConfig({ DATABASE_URL: databaseUrl, NATS_URL: TEST_NATS_URL, CERTFLOW_DB_POOL: '4', CERTFLOW_LOG_LEVEL: 'error' });
    svc = await startTestService({
      service,
      databaseUrl,
      module: AppModule.forRoot(config, 'a'.repeat(32)),
      subjects: [...FACTS.map((f) => f.subject), TrustUpdatedV1.subject, DeadLetterV1.subject],
    });
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    pki = await TestPki.create();
  });
  afterAll(async () => {
    await svc?.close();
  });

  const view = (requestId: string): Promise<RequestView> => svc.app.get(RequestQueryService).get(requestId);

  async function waitForState(requestId: string, state: string, timeoutMs = 10_000): Promise<RequestView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await view(requestId);
      if (v.state === state) return v;
      if (Date.now() > deadline) throw new Error(`request ${requestId} is ${v.state}, not ${state}, after ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Publishes `event` and waits until this service's consumer of its subject has settled it. */
  async function deliver(event: CloudEvent): Promise<void> {
    const { seq } = await svc.publisher.publish(event);
    await waitUntilConsumed(svc.nc, service, event.type, seq);
  }

  async function submitted(opts: { autoAssign?: boolean } = {}): Promise<{ requestId: string; host: string; leaf: IssuedLeaf; thumbprint: string }> {
    const host = `facts-${runId()}.example.com`;
    const csr = await testCsr({ host });
    const { request } = await svc.app.get(SubmitRequestHandler).execute({ host, csr: csr.pem, autoAssign: opts.autoAssign ?? true }, undefined);
    const leaf = await pki.leafFor({ host, eku: ['serverAuth', 'clientAuth'] });
    return { requestId: request.id, host, leaf, thumbprint: thumbprintSha1(leaf.certificate) };
  }

  const src = { source: 'certflow/test' };
  const pending = (requestId: string, detail: string, s: number) =>
    createEvent(RequestPendingV1, { requestId, issuer: 'internal', detail }, { ...src, subject: requestId, time: at(s) });
  const issued = (requestId: string, leaf: IssuedLeaf, s: number) =>
    createEvent(CertificateIssuedV1, { requestId, issuer: 'internal', certificate: leaf.pem, chain: [pki.intermediate.pem], thumbprint: thumbprintSha1(leaf.certificate) }, { ...src, subject: requestId, time: at(s) });
  const complete = (requestId: string, thumbprint: string, s: number, pathHead = thumbprint) =>
    createEvent(
      ChainCompleteV1,
      { requestId, thumbprint, path: [pathHead, thumbprintSha1(pki.intermediate.certificate), thumbprintSha1(pki.root.certificate)] },
      { ...src, subject: requestId, time: at(s) },
    );
  const incomplete = (requestId: string, thumbprint: string, s: number) =>
    createEvent(
      ChainIncompleteV1,
      { requestId, thumbprint, missing: [{ kind: 'root', subject: 'CN=certflow Test Root, O=certflow tests' }], reasons: ['no trusted root'] },
      { ...src, subject: requestId, time: at(s) },
    );
  const assigned = (requestId: string, host: string, leaf: IssuedLeaf, s: number) =>
    createEvent(
      CertificateAssignedV1,
      { requestId, host, usages: ['WebServicesInternal'], thumbprint: thumbprintSha1(leaf.certificate), certificate: leaf.pem, chain: [pki.intermediate.pem] },
      { source: 'certflow/assignment', subject: requestId, time: at(s) },
    );
  const failed = (requestId: string, s: number) =>
    createEvent(RequestFailedV1, { requestId, stage: 'issuance', code: 'IssuerRefused', message: 'the CA said no' }, { source: 'certflow/ca-gateway', subject: requestId, time: at(s) });

  const outboxOf = async (requestId: string, subject: string): Promise<unknown[]> =>
    ds.query(`SELECT id FROM outbox WHERE subject = $1 AND payload->'data'->>'requestId' = $2`, [subject, requestId]);

  it('moves a request SUBMITTED → PENDING → ISSUED → ASSIGNABLE → ASSIGNED and asks for the assignment exactly once', async () => {
    const r = await submitted();
    await svc.publisher.publish(pending(r.requestId, 'waiting for the CA', 1));
    expect(await waitForState(r.requestId, 'PENDING')).toMatchObject({ pending: { detail: 'waiting for the CA' }, updatedAt: at(1).toISOString() });

    await svc.publisher.publish(issued(r.requestId, r.leaf, 2));
    const afterIssued = await waitForState(r.requestId, 'ISSUED');
    expect(afterIssued).toMatchObject({ thumbprint: r.thumbprint, updatedAt: at(2).toISOString() });
    expect(afterIssued).not.toHaveProperty('pending');

    await svc.publisher.publish(complete(r.requestId, r.thumbprint, 3));
    const assignable = await waitForState(r.requestId, 'ASSIGNABLE');
    expect(assignable.validation).toMatchObject({ status: 'complete', path: [r.thumbprint, expect.any(String), expect.any(String)], validatedAt: at(3).toISOString() });
    const asked = await svc.log.waitFor(AssignmentRequestedV1, (d) => d.requestId === r.requestId);
    expect(asked.data).toMatchObject({ host: r.host, thumbprint: r.thumbprint, certificate: r.leaf.pem, chain: [pki.intermediate.pem], by: 'auto', actor: 'auto' });
    expect(asked.time).toBe(at(3).toISOString());

    await svc.publisher.publish(assigned(r.requestId, r.host, r.leaf, 4));
    const done = await waitForState(r.requestId, 'ASSIGNED');
    expect(done.assignment).toEqual({ usages: ['WebServicesInternal'], assignedAt: at(4).toISOString() });
    expect(done.history.map((h) => h.state)).toEqual(['SUBMITTED', 'PENDING', 'ISSUED', 'ASSIGNABLE', 'ASSIGNED']);
    expect(done.history.slice(1).map((h) => h.at)).toEqual([1, 2, 3, 4].map((s) => at(s).toISOString()));

    await sleep(300);
    expect(svc.log.of(AssignmentRequestedV1, (d) => d.requestId === r.requestId)).toHaveLength(1);
    expect(await outboxOf(r.requestId, AssignmentRequestedV1.subject)).toHaveLength(1);
  });

  it('records an incomplete chain, and after the import waits for an explicit Assign (no assignment.requested)', async () => {
    const r = await submitted();
    await svc.publisher.publish(issued(r.requestId, r.leaf, 1));
    await waitForState(r.requestId, 'ISSUED');
    await svc.publisher.publish(incomplete(r.requestId, r.thumbprint, 2));
    const gap = await waitForState(r.requestId, 'CHAIN_INCOMPLETE');
    expect(gap.validation).toMatchObject({ status: 'incomplete', missing: [{ kind: 'root', subject: 'CN=certflow Test Root, O=certflow tests' }], reasons: ['no trusted root'] });
    expect(gap.history.at(-1)).toMatchObject({ state: 'CHAIN_INCOMPLETE', reason: 'missing root CN=certflow Test Root, O=certflow tests' });

    await deliver(complete(r.requestId, r.thumbprint, 3));
    expect((await view(r.requestId)).state).toBe('ASSIGNABLE');
    await sleep(300);
    expect(svc.log.of(AssignmentRequestedV1, (d) => d.requestId === r.requestId)).toHaveLength(0);
    expect(await outboxOf(r.requestId, AssignmentRequestedV1.subject)).toHaveLength(0);
  });

  it('fails a request on request.failed and ignores the facts that come after', async () => {
    const r = await submitted();
    await svc.publisher.publish(failed(r.requestId, 1));
    const f = await waitForState(r.requestId, 'FAILED');
    expect(f.failure).toEqual({ stage: 'issuance', code: 'IssuerRefused', message: 'the CA said no' });
    expect(f.history.at(-1)).toMatchObject({ state: 'FAILED', reason: 'IssuerRefused: the CA said no', at: at(1).toISOString() });

    await deliver(issued(r.requestId, r.leaf, 2));
    const after = await view(r.requestId);
    expect(after).toMatchObject({ state: 'FAILED', updatedAt: at(1).toISOString() });
    expect(after).not.toHaveProperty('thumbprint');
  });

  it('changes nothing when an event id it handled comes again', async () => {
    const r = await submitted();
    const first = pending(r.requestId, 'order placed', 1);
    await deliver(first);
    await deliver(pending(r.requestId, 'order processing', 2));
    expect(await view(r.requestId)).toMatchObject({ state: 'PENDING', pending: { detail: 'order processing' } });
    const historyBefore = (await view(r.requestId)).history;

    // Without the inbox, this older detail would be taken again.
    const seq = await publishAgain(svc.nc, first);
    await waitUntilConsumed(svc.nc, service, RequestPendingV1.subject, seq);
    const after = await view(r.requestId);
    expect(after).toMatchObject({ state: 'PENDING', pending: { detail: 'order processing' }, updatedAt: at(2).toISOString() });
    expect(after.history).toEqual(historyBefore);
  });

  it('changes nothing for facts about another certificate (another thumbprint)', async () => {
    const r = await submitted();
    const other = await pki.leafFor({ host: r.host });
    const otherThumbprint = thumbprintSha1(other.certificate);
    await deliver(issued(r.requestId, r.leaf, 1));

    await deliver(complete(r.requestId, otherThumbprint, 2));
    await deliver(complete(r.requestId, otherThumbprint, 2, r.thumbprint));
    await deliver(complete(r.requestId, r.thumbprint, 2, otherThumbprint));
    await deliver(incomplete(r.requestId, otherThumbprint, 3));
    expect(await view(r.requestId)).toMatchObject({ state: 'ISSUED', thumbprint: r.thumbprint, updatedAt: at(1).toISOString() });

    await deliver(complete(r.requestId, r.thumbprint, 4));
    await deliver(assigned(r.requestId, r.host, other, 5));
    const v = await view(r.requestId);
    expect(v).toMatchObject({ state: 'ASSIGNABLE', updatedAt: at(4).toISOString() });
    expect(v).not.toHaveProperty('assignment');
  });

  it('ends in the right state when the facts arrive in reverse order', async () => {
    const r = await submitted();
    // Without the certificate (an older publisher), each is handed back to JetStream ("not yet")
    // until the one before it applied; the last published unblocks them all.
    await svc.publisher.publish(assigned(r.requestId, r.host, r.leaf, 4));
    await svc.publisher.publish(complete(r.requestId, r.thumbprint, 3));
    await sleep(200);
    expect((await view(r.requestId)).state).toBe('SUBMITTED');
    await svc.publisher.publish(issued(r.requestId, r.leaf, 2));
    const done = await waitForState(r.requestId, 'ASSIGNED', 20_000);
    expect(done.history.map((h) => h.state)).toEqual(['SUBMITTED', 'ISSUED', 'ASSIGNABLE', 'ASSIGNED']);

    // A late pending changes nothing now.
    await deliver(pending(r.requestId, 'late', 1));
    expect(await view(r.requestId)).toMatchObject({ state: 'ASSIGNED', updatedAt: at(4).toISOString() });
    await sleep(300);
    expect(svc.log.of(AssignmentRequestedV1, (d) => d.requestId === r.requestId)).toHaveLength(1);
    expect(await outboxOf(r.requestId, AssignmentRequestedV1.subject)).toHaveLength(1);
  });

  it('applies chain.complete that overtook certificate.issued at once when it carries the certificate: no redelivery, each transition once', async () => {
    const made = await Promise.all([1, 2, 3, 4, 5, 6].map(() => submitted()));
    const redelivered = async () => (await (await jetstreamManager(svc.nc)).consumers.info(STREAM_NAME, consumerName(service, ChainCompleteV1.subject))).num_redelivered;
    const before = await redelivered();
    const carrying = (r: (typeof made)[number]) =>
      createEvent(
        ChainCompleteV1,
        { ...complete(r.requestId, r.thumbprint, 3).data, certificate: r.leaf.pem, chain: [pki.intermediate.pem] },
        { ...src, subject: r.requestId, time: at(3) },
      );
    for (const r of made) await svc.publisher.publish(carrying(r));
    for (const r of made) {
      const v = await waitForState(r.requestId, 'ASSIGNABLE');
      expect(v.history.map((h) => h.state)).toEqual(['SUBMITTED', 'ISSUED', 'ASSIGNABLE']);
      expect(v).toMatchObject({ thumbprint: r.thumbprint, updatedAt: at(3).toISOString() });
    }
    expect(await redelivered()).toBe(before);

    for (const r of made) await deliver(issued(r.requestId, r.leaf, 2));
    for (const r of made) {
      const v = await view(r.requestId);
      expect(v).toMatchObject({ state: 'ASSIGNABLE', updatedAt: at(3).toISOString() });
      expect(v.history.map((h) => h.state)).toEqual(['SUBMITTED', 'ISSUED', 'ASSIGNABLE']);
      expect(await outboxOf(r.requestId, AssignmentRequestedV1.subject)).toHaveLength(1);
    }
  });

  it('ignores facts about a request it does not have (acked, nothing stored)', async () => {
    const ghost = randomUUID();
    await deliver(failed(ghost, 1));
    expect(await ds.query(`SELECT 1 FROM certificate_request WHERE id = $1`, [ghost])).toHaveLength(0);
    expect(await ds.query(`SELECT 1 FROM request_history WHERE request_id = $1`, [ghost])).toHaveLength(0);
  });
});
