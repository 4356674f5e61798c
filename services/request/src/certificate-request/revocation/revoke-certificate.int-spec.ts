import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  CertificateAssignedV1,
  CertificateIssuedV1,
  CertificateRevokedV1,
  CertificateUnassignedV1,
  ChainCompleteV1,
  RevocationRequestedV1,
  createEvent,
  type RotationPolicy,
} from '@certflow/contracts';
import type { OutboxRelay } from '@certflow/messaging';
import { thumbprintSha1, thumbprintSha256 } from '@certflow/pki';
import { fixedClock, runId, testCsr, TestPki, type IssuedLeaf } from '@certflow/testing';
import { CertificateCatalogService } from '../../edge/catalog/certificate-catalog.service';
import { RequestCommandService } from '../commands/request-command.service';
import { openRequestTestDatabase, requestFactsKit, type RequestFactsKit } from '../consumers/request-facts.test-kit';
import { RequestQueryService } from '../http/request-query.service';
import { RenewRequestHandler } from '../renewal/renew-request.handler';
import { inventoryPage } from '../inventory/inventory.query';
import { queryThrough } from '../persistence/certificate-request.repository';
import { RevokeCertificateHandler, revocationTargetOf, type RevocationTarget } from './revoke-certificate.handler';

jest.setTimeout(60_000);

const T0 = Date.UTC(2030, 4, 1, 8, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000);

// The revoke route's handler and the request's facts on real PostgreSQL (the facts test kit runs
// the service's fact handlers as the transport hands them batches).
describe('RevokeCertificateHandler (real PostgreSQL)', () => {
  let ds: DataSource;
  let drop: () => Promise<void>;
  let pki: TestPki;
  let kit: RequestFactsKit;
  let revoke: RevokeCertificateHandler;
  let queries: RequestQueryService;
  const clock = fixedClock(new Date(T0).toISOString());
  const commands = new RequestCommandService();
  const relay = { publishCommitted() {}, kick() {} } as unknown as OutboxRelay;
  const admin = { name: 'security-officer', role: 'admin' as const };
  const targets = new Map<string, RevocationTarget>([
    ['internal', revocationTargetOf('internal')],
    ['offline', revocationTargetOf('offline')],
  ]);

  beforeAll(async () => {
    ({ ds, drop } = await openRequestTestDatabase());
    pki = await TestPki.create();
    kit = requestFactsKit(ds, { clock });
    const renew = new RenewRequestHandler(ds, commands, relay, clock);
    revoke = new RevokeCertificateHandler(ds, commands, renew, relay, clock, targets);
    queries = new RequestQueryService(ds, new CertificateCatalogService(ds, {} as never), clock);
  });
  afterAll(async () => {
    await drop?.();
  });

  interface Bound {
    id: string;
    host: string;
    leaf: IssuedLeaf;
    thumbprint: string;
  }

  async function assignedRequest(opts: { issuer?: string; rotationPolicy?: RotationPolicy } = {}): Promise<Bound> {
    const host = `revoke-${runId()}.example.com`;
    const csr = await testCsr({ host });
    const issuer = opts.issuer ?? 'internal';
    const { request } = await commands.submit(
      ds.manager,
      { type: 'Submit', at: at(0), id: randomUUID(), host, usages: ['Default'], autoAssign: true, issuer, friendlyName: null, csr: csr.pem, rotationPolicy: opts.rotationPolicy ?? 'Never' },
      { idempotencyKey: null, bodyHash: null },
    );
    const leaf = await pki.leafFor({ host, keys: csr.keys });
    const thumbprint = thumbprintSha1(leaf.certificate);
    const chain = [pki.intermediate.pem];
    const path = [thumbprint, thumbprintSha1(pki.intermediate.certificate), thumbprintSha1(pki.root.certificate)];
    const id = request.id;
    await kit.deliver([createEvent(CertificateIssuedV1, { requestId: id, issuer, certificate: leaf.pem, chain, thumbprint }, { source: 't', subject: id, time: at(1) })]);
    await kit.deliver([createEvent(ChainCompleteV1, { requestId: id, thumbprint, path }, { source: 't', subject: id, time: at(2) })]);
    await kit.deliver([
      createEvent(
        CertificateAssignedV1,
        { requestId: id, host, usages: ['Default'], thumbprint, certificate: leaf.pem, chain, notAfter: leaf.certificate.notAfter.toISOString() },
        { source: 't', subject: id, time: at(3) },
      ),
    ]);
    return { id, host, leaf, thumbprint };
  }

  const revocationsQueued = async (requestId: string) =>
    (await ds.query(`SELECT payload FROM outbox WHERE subject = $1`, [RevocationRequestedV1.subject])).filter((r: { payload: { data: { requestId: string } } }) => r.payload.data.requestId === requestId);
  const revoked = (r: Bound, s: number, atCa: 'crl-ocsp' | 'manual' = 'crl-ocsp') =>
    createEvent(CertificateRevokedV1, { requestId: r.id, host: r.host, thumbprint: r.thumbprint, reason: 'keyCompromise', revokedAt: at(s).toISOString(), atCa }, { source: 'certflow/ca-gateway', subject: r.id, time: at(s) });
  const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { getStatus(): number; getResponse(): { error: { code: string } } }) => `${e.getStatus()} ${e.getResponse().error.code}`);

  describe('when the input is bad', () => {
    it('answers 404 for an unknown thumbprint, 400 for a reason that is not RFC 5280, for certificateHold and for a malformed thumbprint', async () => {
      const r = await assignedRequest();
      expect(await codeOf(revoke.execute('AB'.repeat(20), { reason: 'keyCompromise' }, admin))).toBe('404 CERTIFICATE_NOT_FOUND');
      expect(await codeOf(revoke.execute('ab'.repeat(32), { reason: 'keyCompromise' }, admin))).toBe('404 CERTIFICATE_NOT_FOUND');
      expect(await codeOf(revoke.execute(r.thumbprint, { reason: 'stolen' }, admin))).toBe('400 INVALID_REASON');
      expect(await codeOf(revoke.execute(r.thumbprint, { reason: 'removeFromCRL' }, admin))).toBe('400 INVALID_REASON');
      expect(await codeOf(revoke.execute(r.thumbprint, { reason: 'certificateHold' }, admin))).toBe('400 HOLD_NOT_SUPPORTED');
      expect(await codeOf(revoke.execute(r.thumbprint, {}, admin))).toBe('400 INVALID_REASON');
      expect(await codeOf(revoke.execute(r.thumbprint, { reason: 'keyCompromise', extra: 1 }, admin))).toBe('400 UNKNOWN_FIELD');
      expect(await codeOf(revoke.execute('xyz', { reason: 'keyCompromise' }, admin))).toBe('400 INVALID_THUMBPRINT');
      expect(await revocationsQueued(r.id)).toHaveLength(0);
    });
  });

  describe('when a certificate is revoked', () => {
    it('records the revocation, audits it and queues revocation.requested in one go; twice answers the first', async () => {
      const r = await assignedRequest();
      clock.set(at(10).toISOString());
      const first = await revoke.execute(r.thumbprint.toLowerCase(), { reason: 'keyCompromise' }, admin);
      expect(first).toMatchObject({ requestId: r.id, thumbprint: r.thumbprint, reason: 'keyCompromise', state: 'requested', atCa: 'crl-ocsp', actor: 'security-officer', requestedAt: at(10).toISOString() });
      clock.set(at(20).toISOString());
      // Again, by the SHA-256 thumbprint and with another reason: the first revocation.
      const second = await revoke.execute(thumbprintSha256(r.leaf.certificate), { reason: 'superseded' }, admin);
      expect(second).toMatchObject({ requestId: r.id, reason: 'keyCompromise', requestedAt: at(10).toISOString(), state: 'requested' });
      const queued = await revocationsQueued(r.id);
      expect(queued).toHaveLength(1);
      expect(queued[0].payload.data).toMatchObject({ requestId: r.id, host: r.host, thumbprint: r.thumbprint, issuer: 'internal', reason: 'keyCompromise', actor: 'security-officer', certificate: r.leaf.pem });
      const audit = await ds.query(`SELECT kind, actor, subject, details FROM audit_entry WHERE subject = $1`, [r.thumbprint]);
      expect(audit).toEqual([{ kind: 'certificate.revocation-requested', actor: 'security-officer', subject: r.thumbprint, details: { requestId: r.id, reason: 'keyCompromise', renew: false } }]);
    });

    it('becomes REVOKED on certificate.revoked (once, redelivered too) and the inventory says revoked', async () => {
      const r = await assignedRequest();
      await revoke.execute(r.thumbprint, { reason: 'keyCompromise' }, admin);
      const fact = revoked(r, 30);
      await kit.deliver([fact]);
      await kit.deliver([fact], 2);
      const view = await queries.get(r.id);
      expect(view).toMatchObject({ state: 'REVOKED', revocation: { state: 'revoked', revokedAt: at(30).toISOString(), atCa: 'crl-ocsp', reason: 'keyCompromise' }, assignment: { usages: ['Default'] } });
      expect(view.history.filter((h) => h.state === 'REVOKED')).toHaveLength(1);
      const again = await revoke.execute(r.thumbprint, { reason: 'unspecified' }, admin);
      expect(again).toMatchObject({ state: 'revoked', reason: 'keyCompromise', revokedAt: at(30).toISOString() });
      const page = await inventoryPage(queryThrough(ds.manager), { host: r.host, limit: 10 }, at(40), null);
      expect(page.items).toEqual([expect.objectContaining({ thumbprint: r.thumbprint, status: 'revoked', requestState: 'REVOKED', issuedBy: thumbprintSha1(pki.intermediate.certificate) })]);
      const byStatus = await inventoryPage(queryThrough(ds.manager), { host: r.host, status: 'revoked', limit: 10 }, at(40), null);
      expect(byStatus.items.map((i) => i.requestId)).toEqual([r.id]);
      // The test PKI's leaves are valid around the real now; revoked wins over active and expired alike.
      for (const status of ['active', 'expired'] as const) {
        expect((await inventoryPage(queryThrough(ds.manager), { host: r.host, status, limit: 10 }, new Date(), null)).items).toEqual([]);
      }
    });

    it('says an offline issuer\'s certificate must be revoked at the CA by hand', async () => {
      const r = await assignedRequest({ issuer: 'offline' });
      const answer = await revoke.execute(r.thumbprint, { reason: 'cessationOfOperation' }, admin);
      expect(answer.atCa).toBe('manual');
      expect(answer.message).toMatch(/revoked at the CA by hand/);
    });
  });

  describe('when renew comes first', () => {
    it('starts the renewal and sends the revocation only once the old request is SUPERSEDED', async () => {
      const r = await assignedRequest({ rotationPolicy: 'Never' });
      const answer = await revoke.execute(r.thumbprint, { reason: 'superseded', renew: true }, admin);
      expect(answer).toMatchObject({ state: 'after-renewal', renewalRequestId: expect.any(String) });
      const renewals = await ds.query(`SELECT id FROM certificate_request WHERE renewal_of = $1`, [r.id]);
      expect(renewals).toEqual([{ id: answer.renewalRequestId }]);
      expect(await revocationsQueued(r.id)).toHaveLength(0);
      // The inventory: still in use until the renewal takes over.
      const before = await inventoryPage(queryThrough(ds.manager), { host: r.host, status: 'revoked', limit: 10 }, at(40), null);
      expect(before.items).toEqual([]);
      await kit.deliver([
        createEvent(
          CertificateUnassignedV1,
          { requestId: r.id, host: r.host, thumbprint: r.thumbprint, usages: ['Default'], reason: 'replaced', remaining: [], replacedBy: { requestId: answer.renewalRequestId!, thumbprint: 'CD'.repeat(20) } },
          { source: 'certflow/assignment', subject: r.id, time: at(50) },
        ),
      ]);
      expect(await queries.get(r.id)).toMatchObject({ state: 'SUPERSEDED', revocation: { state: 'requested' } });
      const queued = await revocationsQueued(r.id);
      expect(queued).toHaveLength(1);
      expect(queued[0].payload.data).toMatchObject({ reason: 'superseded', thumbprint: r.thumbprint });
    });

    it('revokes a compromised key at once, and still starts the renewal', async () => {
      const r = await assignedRequest({ rotationPolicy: 'Never' });
      const answer = await revoke.execute(r.thumbprint, { reason: 'keyCompromise', renew: true }, admin);
      expect(answer).toMatchObject({ state: 'requested', renewalRequestId: expect.any(String) });
      expect(await revocationsQueued(r.id)).toHaveLength(1);
      expect(await ds.query(`SELECT count(*)::int AS n FROM certificate_request WHERE renewal_of = $1`, [r.id])).toEqual([{ n: 1 }]);
    });

    it("needs a csr for rotationPolicy Always", async () => {
      const r = await assignedRequest({ rotationPolicy: 'Always' });
      expect(await codeOf(revoke.execute(r.thumbprint, { reason: 'superseded', renew: true }, admin))).toBe('400 CSR_REQUIRED');
      expect(await revocationsQueued(r.id)).toHaveLength(0);
    });
  });
});
