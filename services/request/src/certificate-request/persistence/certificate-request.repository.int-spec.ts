import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { FactSignals, MESSAGING_ENTITIES, MESSAGING_MIGRATIONS, type NatsConnection } from '@certflow/messaging';
import { isUniqueViolation, openServiceDataSource } from '@certflow/persistence';
import { dropDatabase, runId, testCsr, testDatabaseUrl, TestPki } from '@certflow/testing';
import { thumbprintSha1 } from '@certflow/pki';
import { SeenCertificateRow } from '../../edge/catalog/seen-certificate.orm-entity';
import { CertificateCatalogService } from '../../edge/catalog/certificate-catalog.service';
import { RequestCommandService } from '../commands/request-command.service';
import { RequestQueryService } from '../http/request-query.service';
import { CertificateRequestRepository } from './certificate-request.repository';
import { REQUEST_MIGRATIONS } from '../../migrations';
import { CertificateRequestRow, RequestHistoryRow } from './certificate-request.orm-entity';

jest.setTimeout(30_000);

const at = (s: number) => new Date(Date.UTC(2030, 5, 1, 9, 0, s));

// The request repository on real PostgreSQL: what it writes is what it reads back, in every state,
// and a write made on a stale version changes nothing.
describe('CertificateRequestRepository (real PostgreSQL)', () => {
  const url = testDatabaseUrl(runId());
  let ds: DataSource;
  let commands: RequestCommandService;
  let pki: TestPki;

  beforeAll(async () => {
    ds = await openServiceDataSource({
      url,
      schema: 'request',
      entities: [CertificateRequestRow, RequestHistoryRow, SeenCertificateRow, ...MESSAGING_ENTITIES],
      migrations: [...MESSAGING_MIGRATIONS, ...REQUEST_MIGRATIONS],
    });
    commands = new RequestCommandService(new FactSignals());
    pki = await TestPki.create();
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(url);
  });

  const load = (id: string) => ds.transaction((m: EntityManager) => CertificateRequestRepository.loadForUpdate(m, id));
  const count = async (sql: string, params: unknown[] = []): Promise<number> => Number((await ds.query(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n);

  async function submit(opts: { autoAssign?: boolean; s?: number; key?: string } = {}) {
    const host = `repo-${runId()}.example.com`;
    const { request } = await commands.submit(
      ds.manager,
      { type: 'Submit', at: at(opts.s ?? 0), id: randomUUID(), host, usages: ['Default', 'WebServicesInternal'], autoAssign: opts.autoAssign ?? false, issuer: 'internal', friendlyName: 'fn', csr: (await testCsr({ host })).pem },
      { idempotencyKey: opts.key ?? null, bodyHash: opts.key ? 'hash' : null },
    );
    return request;
  }

  const fact = (id: string, command: Parameters<RequestCommandService['runFact']>[3]) =>
    commands.runFact(ds, { consumer: 'request.test', eventId: randomUUID() }, id, command);

  it('reads back every state exactly as it was stored, and counts a version per change', async () => {
    const submitted = await submit();
    expect(await load(submitted.id)).toEqual(submitted);
    const leaf = await pki.leafFor({ host: submitted.host });
    const thumbprint = thumbprintSha1(leaf.certificate);
    const path = [thumbprint, thumbprintSha1(pki.intermediate.certificate), thumbprintSha1(pki.root.certificate)];

    const steps: Parameters<RequestCommandService['runFact']>[3][] = [
      { type: 'MarkPending', at: at(1), detail: 'order https://ca.example/1' },
      { type: 'RecordIssued', at: at(2), thumbprint, certificate: leaf.pem, chain: [pki.intermediate.pem] },
      { type: 'RecordChainIncomplete', at: at(3), thumbprint, missing: [{ kind: 'root', subject: 'CN=Root', authorityKeyIdentifier: 'ab:cd' }], reasons: ['no root'] },
      { type: 'RecordChainComplete', at: at(4), thumbprint, path },
    ];
    const states: string[] = ['SUBMITTED'];
    for (const [i, command] of steps.entries()) {
      const result = await fact(submitted.id, command);
      expect(result?.decision.kind).toBe('accepted');
      expect(await load(submitted.id)).toEqual(result!.state);
      expect((await CertificateRequestRepository.loadForFact(ds.manager, 'request.test', randomUUID(), submitted.id)).version).toBe(i + 1);
      states.push(result!.state!.state);
    }
    expect(states).toEqual(['SUBMITTED', 'PENDING', 'ISSUED', 'CHAIN_INCOMPLETE', 'ASSIGNABLE']);

    // An operator's Assign (inside a transaction) sets when the assignment was asked for.
    const asked = await ds.transaction((m) => commands.run(m, submitted.id, { type: 'Assign', at: at(5), usages: ['Default'], actor: 'ops' }));
    expect(asked.decision.kind).toBe('accepted');
    expect(await load(submitted.id)).toEqual(asked.state);

    const done = await fact(submitted.id, { type: 'RecordAssigned', at: at(6), thumbprint, usages: ['Default'], notBound: [{ usage: 'WebServicesInternal', code: 'NotAsked', reason: 'not asked' }] });
    expect(await load(submitted.id)).toEqual(done!.state);
    expect(await ds.query(`SELECT state, at, reason FROM request_history WHERE request_id = $1 ORDER BY seq`, [submitted.id])).toEqual([
      { state: 'SUBMITTED', at: at(0), reason: null },
      { state: 'PENDING', at: at(1), reason: 'order https://ca.example/1' },
      { state: 'ISSUED', at: at(2), reason: null },
      { state: 'CHAIN_INCOMPLETE', at: at(3), reason: 'missing root CN=Root' },
      { state: 'ASSIGNABLE', at: at(4), reason: null },
      { state: 'ASSIGNED', at: at(6), reason: 'assigned to Default' },
    ]);
  });

  it('reads back a FAILED request exactly as it was stored', async () => {
    const s = await submit();
    const leaf = await pki.leafFor({ host: s.host });
    await fact(s.id, { type: 'RecordIssued', at: at(1), thumbprint: thumbprintSha1(leaf.certificate), certificate: leaf.pem, chain: [] });
    const failed = await fact(s.id, { type: 'Fail', at: at(2), stage: 'validation', code: 'CertificateExpired', message: 'expired' });
    expect(failed?.state?.state).toBe('FAILED');
    expect(await load(s.id)).toEqual(failed!.state);
  });

  it('changes nothing when written on a version another change already moved past', async () => {
    const s = await submit();
    const read = await CertificateRequestRepository.loadForFact(ds.manager, 'request.test', randomUUID(), s.id);
    const a = { ...read.request!, state: 'PENDING' as const, pendingDetail: 'first', updatedAt: at(1) };
    const b = { ...read.request!, state: 'PENDING' as const, pendingDetail: 'second', updatedAt: at(2) };
    const pendingEvent = (detail: string, t: Date) => [{ type: 'Pending' as const, at: t, detail }];
    const first = randomUUID();
    const second = randomUUID();

    expect(await CertificateRequestRepository.updateOnce(ds.manager, { consumer: 'request.test', eventId: first, version: read.version }, read.request!, a, pendingEvent('first', at(1)), [])).toBe(true);
    expect(await CertificateRequestRepository.updateOnce(ds.manager, { consumer: 'request.test', eventId: second, version: read.version }, read.request!, b, pendingEvent('second', at(2)), [])).toBe(false);

    expect(await load(s.id)).toMatchObject({ state: 'PENDING', pendingDetail: 'first' });
    expect(await count(`request_history WHERE request_id = $1`, [s.id])).toBe(2);
    expect(await count(`inbox WHERE event_id = ANY($1)`, [[first, second]])).toBe(1);
    expect((await CertificateRequestRepository.loadForFact(ds.manager, 'request.test', second, s.id)).version).toBe(read.version + 1);

    // The same event again, on the current version: the inbox already has it.
    const now = await CertificateRequestRepository.loadForFact(ds.manager, 'request.test', first, s.id);
    expect(now.seen).toBe(true);
    expect(await CertificateRequestRepository.updateOnce(ds.manager, { consumer: 'request.test', eventId: first, version: now.version }, now.request!, b, pendingEvent('second', at(2)), [])).toBe(false);
    expect(await load(s.id)).toMatchObject({ pendingDetail: 'first' });
  });

  it('stores nothing of a second request under an Idempotency-Key already taken', async () => {
    const key = `key-${runId()}`;
    await submit({ key });
    const before = [await count('certificate_request'), await count('request_history'), await count('outbox')];
    const error = await submit({ key }).catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
    expect([await count('certificate_request'), await count('request_history'), await count('outbox')]).toEqual(before);
  });

  it('names no request for an id that is not a UUID', async () => {
    expect(await load('not-a-uuid')).toBeNull();
    expect((await CertificateRequestRepository.loadForFact(ds.manager, 'request.test', randomUUID(), 'not-a-uuid')).request).toBeNull();
    expect(await load(randomUUID())).toBeNull();
  });

  describe('the list cursor', () => {
    it('pages through every request once, newest first, ties in time broken by id', async () => {
      await ds.query(`DELETE FROM request_history; DELETE FROM certificate_request`);
      const made = [];
      for (const s of [10, 20, 20, 20, 30]) made.push(await submit({ s }));
      // The catalog's NATS connection serves trust reads, which a list of uncertified requests never makes.
      const query = new RequestQueryService(ds, new CertificateCatalogService(ds, {} as NatsConnection));
      const expected = [...made].sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (x.id < y.id ? 1 : -1)).map((r) => r.id);

      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 5; page++) {
        const result = await query.list({ limit: '2', ...(cursor ? { cursor } : {}) });
        seen.push(...result.items.map((i) => i.id));
        if (!result.nextCursor) break;
        cursor = result.nextCursor;
      }
      expect(seen).toEqual(expected);
      await expect(query.list({ cursor: Buffer.from('{"at":"x","id":"y"}').toString('base64url') })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    });
  });
});
