import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { NatsConnection } from '@certflow/messaging';
import { isUniqueViolation } from '@certflow/persistence';
import { runId, testCsr, TestPki } from '@certflow/testing';
import { thumbprintSha1 } from '@certflow/pki';
import { CertificateAssignedV1, CertificateIssuedV1, ChainCompleteV1, ChainIncompleteV1, createEvent, RequestFailedV1, RequestPendingV1, type CloudEvent } from '@certflow/contracts';
import { CertificateCatalogService } from '../../edge/catalog/certificate-catalog.service';
import { RequestCommandService } from '../commands/request-command.service';
import { openRequestTestDatabase, requestFactsKit, type RequestFactsKit } from '../consumers/request-facts.test-kit';
import { RequestQueryService } from '../http/request-query.service';
import { CertificateRequestRepository, queryThrough } from './certificate-request.repository';
import { decide, evolveAll, type ExistingRequestCommand, type RequestSnapshot } from '../domain/certificate-request.state';

jest.setTimeout(30_000);

const at = (s: number) => new Date(Date.UTC(2030, 5, 1, 9, 0, s));

// The request repository on real PostgreSQL: what it writes is what it reads back, in every state,
// with a version per change, and a locked request waits for its lock's transaction.
describe('CertificateRequestRepository (real PostgreSQL)', () => {
  let ds: DataSource;
  let commands: RequestCommandService;
  let facts: RequestFactsKit;
  let pki: TestPki;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ ds, drop } = await openRequestTestDatabase());
    commands = new RequestCommandService();
    facts = requestFactsKit(ds);
    pki = await TestPki.create();
  });
  afterAll(async () => {
    await drop?.();
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

  const version = async (id: string): Promise<number> => (await ds.query(`SELECT version FROM certificate_request WHERE id = $1`, [id]))[0].version;
  const src = { source: 'certflow/test' };
  /**
   * Delivers one fact (`event`, which is `command` to the state machine), and checks the stored
   * request is exactly what the state machine made of `before`. Returns it.
   */
  async function fact(before: RequestSnapshot, event: CloudEvent, command: ExistingRequestCommand): Promise<RequestSnapshot> {
    expect(await facts.deliver([event])).toEqual([{ action: 'ack' }]);
    const d = decide(before, command);
    expect(d.kind).toBe('accepted');
    const stored = await load(before.id);
    expect(stored).toEqual(evolveAll(before, d.kind === 'accepted' ? d.events : []));
    return stored!;
  }
  const on = (s: RequestSnapshot, n: number) => ({ ...src, subject: s.id, time: at(n) });

  it('reads back every state exactly as it was stored, and counts a version per change', async () => {
    const submitted = await submit();
    expect(await load(submitted.id)).toEqual(submitted);
    const leaf = await pki.leafFor({ host: submitted.host });
    const thumbprint = thumbprintSha1(leaf.certificate);
    const path = [thumbprint, thumbprintSha1(pki.intermediate.certificate), thumbprintSha1(pki.root.certificate)];

    const missing = [{ kind: 'root' as const, subject: 'CN=Root', authorityKeyIdentifier: 'ab:cd' }];
    const steps: [CloudEvent, ExistingRequestCommand][] = [
      [
        createEvent(RequestPendingV1, { requestId: submitted.id, issuer: 'internal', detail: 'order https://ca.example/1' }, on(submitted, 1)),
        { type: 'MarkPending', at: at(1), detail: 'order https://ca.example/1' },
      ],
      [
        createEvent(CertificateIssuedV1, { requestId: submitted.id, issuer: 'internal', thumbprint, certificate: leaf.pem, chain: [pki.intermediate.pem] }, on(submitted, 2)),
        { type: 'RecordIssued', at: at(2), thumbprint, certificate: leaf.pem, chain: [pki.intermediate.pem] },
      ],
      [
        createEvent(ChainIncompleteV1, { requestId: submitted.id, thumbprint, missing, reasons: ['no root'] }, on(submitted, 3)),
        { type: 'RecordChainIncomplete', at: at(3), thumbprint, missing, reasons: ['no root'] },
      ],
      [createEvent(ChainCompleteV1, { requestId: submitted.id, thumbprint, path }, on(submitted, 4)), { type: 'RecordChainComplete', at: at(4), thumbprint, path }],
    ];
    const states: string[] = ['SUBMITTED'];
    let current: RequestSnapshot = submitted;
    for (const [i, [event, command]] of steps.entries()) {
      current = await fact(current, event, command);
      expect(await version(submitted.id)).toBe(i + 1);
      states.push(current.state);
    }
    expect(states).toEqual(['SUBMITTED', 'PENDING', 'ISSUED', 'CHAIN_INCOMPLETE', 'ASSIGNABLE']);

    // An operator's Assign (inside a transaction) sets when the assignment was asked for.
    const asked = await ds.transaction((m) => commands.run(m, submitted.id, { type: 'Assign', at: at(5), usages: ['Default'], actor: 'ops' }));
    expect(asked.decision.kind).toBe('accepted');
    expect(await load(submitted.id)).toEqual(asked.state);

    const notBound = [{ usage: 'WebServicesInternal' as const, code: 'NotAsked', reason: 'not asked' }];
    await fact(
      asked.state!,
      createEvent(CertificateAssignedV1, { requestId: submitted.id, host: submitted.host, usages: ['Default'], thumbprint, certificate: leaf.pem, chain: [], notBound }, on(submitted, 6)),
      { type: 'RecordAssigned', at: at(6), thumbprint, usages: ['Default'], notBound },
    );
    expect(await version(submitted.id)).toBe(6);
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
    const thumbprint = thumbprintSha1(leaf.certificate);
    const issued = await fact(s, createEvent(CertificateIssuedV1, { requestId: s.id, issuer: 'internal', thumbprint, certificate: leaf.pem, chain: [] }, on(s, 1)), {
      type: 'RecordIssued',
      at: at(1),
      thumbprint,
      certificate: leaf.pem,
      chain: [],
    });
    const failed = await fact(issued, createEvent(RequestFailedV1, { requestId: s.id, stage: 'validation', code: 'CertificateExpired', message: 'expired' }, on(s, 2)), {
      type: 'Fail',
      at: at(2),
      stage: 'validation',
      code: 'CertificateExpired',
      message: 'expired',
    });
    expect(failed.state).toBe('FAILED');
  });

  it('locks requests in id order with their versions, and a second lock waits for the first transaction', async () => {
    const [a, b] = [await submit(), await submit()];
    await ds.transaction(async (m) => {
      const locked = await CertificateRequestRepository.lock(queryThrough(m), [b.id, 'not-a-uuid', a.id, randomUUID()]);
      expect([...locked.keys()]).toEqual([a.id, b.id].sort());
      expect(locked.get(a.id)).toEqual({ request: a, version: 0 });
      // Another transaction cannot take the same row until this one ends.
      const qr = ds.createQueryRunner();
      await qr.connect();
      try {
        await qr.startTransaction();
        await qr.query(`SET LOCAL lock_timeout = '200ms'`);
        await expect(CertificateRequestRepository.lock(queryThrough(qr.manager), [a.id])).rejects.toThrow(/lock timeout/);
        await qr.rollbackTransaction();
      } finally {
        await qr.release();
      }
    });
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
    expect(await ds.transaction((m) => CertificateRequestRepository.lockOne(m, 'not-a-uuid'))).toBeNull();
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
