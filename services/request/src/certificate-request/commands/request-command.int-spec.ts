import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AssignmentRequestedV1, RequestSubmittedV1 } from '@certflow/contracts';
import { FactSignals, MESSAGING_ENTITIES, MESSAGING_MIGRATIONS } from '@certflow/messaging';
import { openServiceDataSource } from '@certflow/persistence';
import { thumbprintSha1 } from '@certflow/pki';
import { dropDatabase, runId, testCsr, testDatabaseUrl, TestPki } from '@certflow/testing';
import { SeenCertificateRow } from '../../edge/catalog/seen-certificate.orm-entity';
import { REQUEST_MIGRATIONS } from '../../migrations';
import { CertificateRequestRow, RequestHistoryRow } from '../persistence/certificate-request.orm-entity';
import { RequestCommandService } from './request-command.service';

jest.setTimeout(30_000);

const at = (s: number) => new Date(Date.UTC(2030, 6, 1, 9, 0, s));
type FactCommand = Parameters<RequestCommandService['runFact']>[3];

// RequestCommandService on real PostgreSQL: a command's state, history, inbox claim and outgoing
// events are stored together or not at all, and a fact is applied once per event id.
describe('RequestCommandService (real PostgreSQL)', () => {
  const url = testDatabaseUrl(runId());
  let ds: DataSource;
  let pki: TestPki;

  beforeAll(async () => {
    ds = await openServiceDataSource({
      url,
      schema: 'request',
      entities: [CertificateRequestRow, RequestHistoryRow, SeenCertificateRow, ...MESSAGING_ENTITIES],
      migrations: [...MESSAGING_MIGRATIONS, ...REQUEST_MIGRATIONS],
    });
    pki = await TestPki.create();
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(url);
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

  async function issuedAndComplete(commands: RequestCommandService, id: string, host: string) {
    const leaf = await pki.leafFor({ host });
    const thumbprint = thumbprintSha1(leaf.certificate);
    const fact = (command: FactCommand) => commands.runFact(ds, { consumer: 'request.test', eventId: randomUUID() }, id, command);
    await fact({ type: 'RecordIssued', at: at(1), thumbprint, certificate: leaf.pem, chain: [pki.intermediate.pem] });
    return fact({ type: 'RecordChainComplete', at: at(2), thumbprint, path: [thumbprint, thumbprintSha1(pki.intermediate.certificate)] });
  }

  it('submit stores the request and request.submitted in its outbox, and returns that event', async () => {
    const s = await submitted(new RequestCommandService(new FactSignals()));
    expect(await row(s.id)).toMatchObject({ state: 'SUBMITTED', version: 0 });
    expect(await history(s.id)).toEqual(['SUBMITTED']);
    const stored = await outbox(s.id, RequestSubmittedV1.subject);
    expect(stored).toHaveLength(1);
    expect(s.published.map((e) => e.id)).toEqual([stored[0].payload.id]);
    expect(stored[0].payload.data).toMatchObject({ requestId: s.id, host: s.host, usages: ['Default'], autoAssign: true });
  });

  it("run changes nothing when the caller's transaction rolls back", async () => {
    const commands = new RequestCommandService(new FactSignals());
    const s = await submitted(commands, false);
    await issuedAndComplete(commands, s.id, s.host);
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
    const commands = new RequestCommandService(new FactSignals());
    const s = await submitted(commands);
    const before = await row(s.id);
    const result = await ds.transaction((m) => commands.run(m, s.id, { type: 'Assign', at: at(3) }));
    expect(result.decision).toMatchObject({ kind: 'rejected', code: 'NOT_ASSIGNABLE' });
    expect(await row(s.id)).toEqual(before);
    expect(await history(s.id)).toEqual(['SUBMITTED']);
  });

  it('runFact applies an event id once, even when this process just wrote the request', async () => {
    const commands = new RequestCommandService(new FactSignals());
    const s = await submitted(commands);
    const first = { consumer: 'request.test', eventId: randomUUID() };
    const placed: FactCommand = { type: 'MarkPending', at: at(1), detail: 'placed' };
    expect((await commands.runFact(ds, first, s.id, placed))?.decision.kind).toBe('accepted');
    expect((await commands.runFact(ds, { consumer: 'request.test', eventId: randomUUID() }, s.id, { type: 'MarkPending', at: at(2), detail: 'processing' }))?.decision.kind).toBe('accepted');

    expect(await commands.runFact(ds, first, s.id, placed)).toBeNull();
    expect(await new RequestCommandService(new FactSignals()).runFact(ds, first, s.id, placed)).toBeNull();
    expect(await row(s.id)).toMatchObject({ state: 'PENDING', pending_detail: 'processing', version: 2 });
    expect(await history(s.id)).toEqual(['SUBMITTED', 'PENDING']);
  });

  it('runFact claims nothing for a fact that came too early, so its redelivery applies', async () => {
    const commands = new RequestCommandService(new FactSignals());
    const s = await submitted(commands);
    const leaf = await pki.leafFor({ host: s.host });
    const thumbprint = thumbprintSha1(leaf.certificate);
    const early = { consumer: 'request.test', eventId: randomUUID() };
    const complete: FactCommand = { type: 'RecordChainComplete', at: at(2), thumbprint, path: [thumbprint] };

    expect((await commands.runFact(ds, early, s.id, complete))?.decision.kind).toBe('notYet');
    expect(await claimed(early.eventId)).toBe(0);
    await commands.runFact(ds, { consumer: 'request.test', eventId: randomUUID() }, s.id, { type: 'RecordIssued', at: at(1), thumbprint, certificate: leaf.pem, chain: [] });
    const result = await commands.runFact(ds, early, s.id, complete);
    expect(result?.decision.kind).toBe('accepted');
    expect(result?.published?.map((e) => e.type)).toEqual([AssignmentRequestedV1.subject]);
    expect(await claimed(early.eventId)).toBe(1);
    expect(await outbox(s.id, AssignmentRequestedV1.subject)).toHaveLength(1);
  });

  it('runFact from several processes at once applies each fact once, none lost to a race', async () => {
    const s = await submitted(new RequestCommandService(new FactSignals()));
    const processes = [1, 2, 3].map(() => new RequestCommandService(new FactSignals()));
    const facts = Array.from({ length: 9 }, (_, i) => ({ eventId: randomUUID(), detail: `step ${i}`, at: at(i + 1) }));
    // A fact that keeps losing the race is thrown back to JetStream, which delivers it again.
    const delivered = async (i: number) => {
      for (;;) {
        const f = facts[i];
        try {
          return await processes[i % 3].runFact(ds, { consumer: 'request.test', eventId: f.eventId }, s.id, { type: 'MarkPending', at: f.at, detail: f.detail });
        } catch (e) {
          if (!/kept changing/.test(String(e))) throw e;
        }
      }
    };
    const results = await Promise.all(facts.map((_, i) => delivered(i)));
    expect(results.map((r) => r?.decision.kind)).toEqual(facts.map(() => 'accepted'));
    expect((await row(s.id)).version).toBe(facts.length);
    for (const f of facts) expect(await claimed(f.eventId)).toBe(1);
    expect(await history(s.id)).toEqual(['SUBMITTED', 'PENDING']);
  });
});
