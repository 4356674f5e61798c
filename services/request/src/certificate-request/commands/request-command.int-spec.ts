import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AssignmentRequestedV1, CertificateIssuedV1, ChainCompleteV1, createEvent, RequestPendingV1, RequestSubmittedV1 } from '@certflow/contracts';
import { thumbprintSha1 } from '@certflow/pki';
import { runId, testCsr, TestPki, type IssuedLeaf } from '@certflow/testing';
import { NOT_YET_DELAY_MS, notYetDelayMs } from '../consumers/request-fact.decider';
import { openRequestTestDatabase, requestFactsKit } from '../consumers/request-facts.test-kit';
import { RequestCommandService } from './request-command.service';

jest.setTimeout(30_000);

const at = (s: number) => new Date(Date.UTC(2030, 6, 1, 9, 0, s));

// RequestCommandService and the fact handlers on real PostgreSQL: a command's state, history, inbox
// claim and outgoing events are stored together or not at all, and a fact is applied once per event id.
describe('RequestCommandService (real PostgreSQL)', () => {
  let ds: DataSource;
  let pki: TestPki;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ ds, drop } = await openRequestTestDatabase());
    pki = await TestPki.create();
  });
  afterAll(async () => {
    await drop?.();
  });

  const row = async (id: string) => (await ds.query(`SELECT state, version, pending_detail, updated_at FROM certificate_request WHERE id = $1`, [id]))[0];
  const history = async (id: string): Promise<string[]> => (await ds.query(`SELECT state FROM request_history WHERE request_id = $1 ORDER BY seq`, [id])).map((r: { state: string }) => r.state);
  const outbox = async (id: string, subject: string) => ds.query(`SELECT payload FROM outbox WHERE subject = $1 AND payload->'data'->>'requestId' = $2`, [subject, id]);
  const claimed = async (eventId: string): Promise<number> => Number((await ds.query(`SELECT count(*)::int AS n FROM inbox WHERE event_id = $1`, [eventId]))[0].n);

  async function submitted(commands: RequestCommandService, autoAssign = true) {
    const host = `cmd-${runId()}.example.com`;
    const { request, published } = await commands.submit(
      ds.manager,
      { type: 'Submit', at: at(0), id: randomUUID(), host, usages: ['Default'], autoAssign, issuer: 'internal', friendlyName: null, csr: (await testCsr({ host })).pem },
      { idempotencyKey: null, bodyHash: null },
    );
    return { id: request.id, host, published };
  }

  const src = { source: 'certflow/test' };
  const pending = (requestId: string, detail: string, s: number) => createEvent(RequestPendingV1, { requestId, issuer: 'internal', detail }, { ...src, subject: requestId, time: at(s) });
  const issued = (requestId: string, leaf: IssuedLeaf, chain: string[], s: number) =>
    createEvent(CertificateIssuedV1, { requestId, issuer: 'internal', certificate: leaf.pem, chain, thumbprint: thumbprintSha1(leaf.certificate) }, { ...src, subject: requestId, time: at(s) });

  async function issuedAndComplete(id: string, host: string) {
    const facts = requestFactsKit(ds);
    const leaf = await pki.leafFor({ host });
    const thumbprint = thumbprintSha1(leaf.certificate);
    await facts.deliver([issued(id, leaf, [pki.intermediate.pem], 1)]);
    await facts.deliver([createEvent(ChainCompleteV1, { requestId: id, thumbprint, path: [thumbprint, thumbprintSha1(pki.intermediate.certificate)] }, { ...src, subject: id, time: at(2) })]);
  }

  it('submit stores the request and request.submitted in its outbox, and returns that event', async () => {
    const s = await submitted(new RequestCommandService());
    expect(await row(s.id)).toMatchObject({ state: 'SUBMITTED', version: 0 });
    expect(await history(s.id)).toEqual(['SUBMITTED']);
    const stored = await outbox(s.id, RequestSubmittedV1.subject);
    expect(stored).toHaveLength(1);
    expect(s.published.map((e) => e.id)).toEqual([stored[0].payload.id]);
    expect(stored[0].payload.data).toMatchObject({ requestId: s.id, host: s.host, usages: ['Default'], autoAssign: true });
  });

  it("run changes nothing when the caller's transaction rolls back", async () => {
    const commands = new RequestCommandService();
    const s = await submitted(commands, false);
    await issuedAndComplete(s.id, s.host);
    const before = await row(s.id);
    await expect(
      ds.transaction(async (m) => {
        const result = await commands.run(m, s.id, { type: 'Assign', at: at(3), actor: 'ops' });
        expect(result.decision.kind).toBe('accepted');
        throw new Error('the caller failed after the command');
      }),
    ).rejects.toThrow('the caller failed');
    expect(await row(s.id)).toEqual(before);
    expect(await outbox(s.id, AssignmentRequestedV1.subject)).toHaveLength(0);

    // Committed, the same command stores its event once, naming the operator.
    await ds.transaction((m) => commands.run(m, s.id, { type: 'Assign', at: at(4), actor: 'ops' }));
    const asked = await outbox(s.id, AssignmentRequestedV1.subject);
    expect(asked.map((r: { payload: { data: unknown } }) => r.payload.data)).toEqual([expect.objectContaining({ requestId: s.id, by: 'operator', actor: 'ops', usages: ['Default'] })]);
    expect((await row(s.id)).version).toBe(before.version + 1);
  });

  it('run refuses an Assign that is not allowed and stores nothing', async () => {
    const commands = new RequestCommandService();
    const s = await submitted(commands);
    const before = await row(s.id);
    const result = await ds.transaction((m) => commands.run(m, s.id, { type: 'Assign', at: at(3) }));
    expect(result.decision).toMatchObject({ kind: 'rejected', code: 'NOT_ASSIGNABLE' });
    expect(await row(s.id)).toEqual(before);
    expect(await history(s.id)).toEqual(['SUBMITTED']);
  });

  it('a fact handler applies an event id once, in one batch or in the next', async () => {
    const facts = requestFactsKit(ds);
    const s = await submitted(new RequestCommandService());
    const placed = pending(s.id, 'placed', 1);
    expect(await facts.deliver([placed, placed])).toEqual([{ action: 'ack' }, { action: 'ack' }]);
    expect(await facts.deliver([pending(s.id, 'processing', 2)])).toEqual([{ action: 'ack' }]);

    expect(await facts.deliver([placed], 2)).toEqual([{ action: 'ack' }]);
    expect(await requestFactsKit(ds).deliver([placed], 3)).toEqual([{ action: 'ack' }]);
    expect(await row(s.id)).toMatchObject({ state: 'PENDING', pending_detail: 'processing', version: 2 });
    expect(await history(s.id)).toEqual(['SUBMITTED', 'PENDING']);
  });

  it('decides two facts about one request in a batch in order, each on what the other left, and writes the row once per batch', async () => {
    const facts = requestFactsKit(ds);
    const s = await submitted(new RequestCommandService());
    const other = await submitted(new RequestCommandService());
    const outcomes = await facts.deliver([pending(s.id, 'placed', 1), pending(other.id, 'placed', 1), pending(s.id, 'processing', 2), pending(s.id, 'processing', 3)]);
    expect(outcomes.map((o) => o.action)).toEqual(['ack', 'ack', 'ack', 'ack']);
    // The third is the same detail again: ignored, so two changes.
    expect(await row(s.id)).toMatchObject({ state: 'PENDING', pending_detail: 'processing', version: 2, updated_at: at(2) });
    expect(await row(other.id)).toMatchObject({ state: 'PENDING', pending_detail: 'placed', version: 1 });
    expect(await history(s.id)).toEqual(['SUBMITTED', 'PENDING']);
  });

  it('hands back a validation that came before the certificate without carrying it, claiming nothing, so its redelivery applies', async () => {
    const facts = requestFactsKit(ds);
    const s = await submitted(new RequestCommandService());
    const leaf = await pki.leafFor({ host: s.host });
    const thumbprint = thumbprintSha1(leaf.certificate);
    const early = createEvent(ChainCompleteV1, { requestId: s.id, thumbprint, path: [thumbprint] }, { source: 'certflow/test', subject: s.id, time: at(2) });

    expect(await facts.deliver([early])).toEqual([{ action: 'retry', delayMs: NOT_YET_DELAY_MS, reason: `${ChainCompleteV1.subject} for ${s.id}: the certificate has not been recorded yet` }]);
    expect(await claimed(early.id)).toBe(0);
    // Still too early on its second delivery: what it waits for is far off, so it waits longer.
    expect(await facts.deliver([early], 2)).toEqual([{ action: 'retry', delayMs: notYetDelayMs(2), reason: expect.any(String) }]);
    expect(notYetDelayMs(2)).toBeGreaterThan(NOT_YET_DELAY_MS);
    await facts.deliver([issued(s.id, leaf, [], 1)]);
    expect(await facts.deliver([early], 3)).toEqual([{ action: 'ack' }]);
    expect(facts.published.filter((e) => e.data && (e.data as { requestId?: string }).requestId === s.id).map((e) => e.type)).toEqual([AssignmentRequestedV1.subject]);
    expect(await claimed(early.id)).toBe(1);
    expect(await outbox(s.id, AssignmentRequestedV1.subject)).toHaveLength(1);
  });

  it('applies each fact once when several processes handle batches about one request at once (the row lock orders them)', async () => {
    const s = await submitted(new RequestCommandService());
    const processes = [1, 2, 3].map(() => requestFactsKit(ds));
    const facts = Array.from({ length: 9 }, (_, i) => pending(s.id, `step ${i}`, i + 1));
    const outcomes = await Promise.all([0, 1, 2].map((p) => processes[p].deliver(facts.filter((_, i) => i % 3 === p))));
    expect(outcomes.flat().map((o) => o.action)).toEqual(facts.map(() => 'ack'));
    expect((await row(s.id)).version).toBe(facts.length);
    for (const f of facts) expect(await claimed(f.id)).toBe(1);
    expect(await history(s.id)).toEqual(['SUBMITTED', 'PENDING']);
  });
});
