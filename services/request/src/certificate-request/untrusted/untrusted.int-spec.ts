import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { CertificateAssignedV1, CertificateIssuedV1, CertificateUnassignedV1, CertificateUntrustedV1, ChainCompleteV1, createEvent, DeadLetterV1, TrustUpdatedV1 } from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import { thumbprintSha1 } from '@certflow/pki';
import { runId, startTestService, testCsr, testDatabaseUrl, TestPki, TEST_NATS_URL, type RunningService } from '@certflow/testing';
import { AppModule } from '../../app.module';
import { loadRequestConfig } from '../../config';
import { RequestCommandService } from '../commands/request-command.service';
import { requestFactsKit, type RequestFactsKit } from '../consumers/request-facts.test-kit';
import { RequestQueryService } from '../http/request-query.service';
import { inventoryPage, parseInventoryQuery } from '../inventory/inventory.query';
import { queryThrough } from '../persistence/certificate-request.repository';

jest.setTimeout(90_000);

const DAY = 86_400_000;
const MISSING = [{ kind: 'intermediate' as const, subject: 'CN=Removed Intermediate' }];

// certificate.untrusted through the request service's fact handler on real PostgreSQL, read back
// through the inventory and the request view.
describe('OnCertificateUntrusted (real PostgreSQL and NATS)', () => {
  const id = runId();
  let svc: RunningService;
  let ds: DataSource;
  let kit: RequestFactsKit;
  let pki: TestPki;
  const commands = new RequestCommandService();
  const now = new Date();
  const issuer = `untr-${id}`;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadRequestConfig({ DATABASE_URL: databaseUrl, NATS_URL: TEST_NATS_URL, CERTFLOW_DB_POOL: '4', CERTFLOW_LOG_LEVEL: 'error' });
    svc = await startTestService({ service: `untrusted-test-${id}`, databaseUrl, module: AppModule.forRoot(config, 'a'.repeat(32)), subjects: [TrustUpdatedV1.subject, DeadLetterV1.subject] });
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    kit = requestFactsKit(ds);
    pki = await TestPki.create();
  });
  afterAll(async () => {
    await svc?.close();
  });

  /** A request ASSIGNED (unless `assign: false`) with a certificate valid until now + `days`. */
  async function certificate(host: string, days: number, opts: { assign?: boolean } = {}) {
    const csr = await testCsr({ host });
    const requestId = randomUUID();
    await commands.submit(ds.manager, { type: 'Submit', at: now, id: requestId, host, usages: ['Default'], autoAssign: true, issuer, friendlyName: null, csr: csr.pem }, { idempotencyKey: null, bodyHash: null });
    const notAfter = new Date(now.getTime() + days * DAY);
    const leaf = await pki.leafFor({ host, keys: csr.keys, notBefore: new Date(notAfter.getTime() - 90 * DAY), notAfter });
    const thumbprint = thumbprintSha1(leaf.certificate);
    const chain = [pki.intermediate.pem];
    const src = { source: 't', subject: requestId, time: now };
    await kit.deliver([createEvent(CertificateIssuedV1, { requestId, issuer, certificate: leaf.pem, chain, thumbprint }, src)]);
    if (opts.assign !== false) {
      await kit.deliver([createEvent(ChainCompleteV1, { requestId, thumbprint, path: [thumbprint] }, src)]);
      await kit.deliver([createEvent(CertificateAssignedV1, { requestId, host, usages: ['Default'], thumbprint, certificate: leaf.pem, chain }, src)]);
    }
    return { requestId, thumbprint, host };
  }
  const untrusted = (c: { requestId: string; thumbprint: string; host: string }, thumbprint = c.thumbprint) =>
    createEvent(CertificateUntrustedV1, { requestId: c.requestId, host: c.host, thumbprint, usages: ['Default'], missing: MISSING }, { source: 'certflow/assignment', subject: c.requestId, time: now });
  const read = (q: Record<string, string>) => inventoryPage(queryThrough(ds.manager), parseInventoryQuery({ issuer, ...q }), now, null);
  const statusOf = async (requestId: string) => (await read({})).items.find((i) => i.requestId === requestId)?.status;

  it('marks a bound certificate untrusted: inventory status untrusted (and its filter), the view says why, the request stays ASSIGNED', async () => {
    const c = await certificate(`u1-${id}.example.com`, 60);
    const fine = await certificate(`u2-${id}.example.com`, 60);
    expect(await statusOf(c.requestId)).toBe('active');

    expect(await kit.deliver([untrusted(c)])).toEqual([{ action: 'ack' }]);

    expect(await statusOf(c.requestId)).toBe('untrusted');
    expect(await statusOf(fine.requestId)).toBe('active');
    expect((await read({ status: 'untrusted' })).items.map((i) => i.requestId)).toEqual([c.requestId]);
    expect((await read({ status: 'active' })).items.map((i) => i.requestId)).toEqual([fine.requestId]);
    const view = await svc.app.get(RequestQueryService).get(c.requestId);
    expect(view.state).toBe('ASSIGNED');
    expect(view.untrusted).toEqual({ since: now.toISOString(), missing: MISSING, hosts: [{ host: c.host, usages: ['Default'] }] });
    expect((await svc.app.get(RequestQueryService).get(fine.requestId)).untrusted).toBeUndefined();
  });

  it('says revoked, not untrusted, once a revocation was sent to the CA', async () => {
    const c = await certificate(`u7-${id}.example.com`, 60);
    await kit.deliver([untrusted(c)]);
    expect(await statusOf(c.requestId)).toBe('untrusted');
    // As the revoke route records it (part Q); the request is still ASSIGNED until certificate.revoked.
    await ds.query(`UPDATE certificate_request SET revocation = $2 WHERE id = $1`, [c.requestId, { reason: 'keyCompromise', requestedAt: now.toISOString(), state: 'requested' }]);
    expect(await statusOf(c.requestId)).toBe('revoked');
    expect((await read({ status: 'untrusted' })).items.map((i) => i.requestId)).not.toContain(c.requestId);
  });

  it('ignores a report about another certificate than the request holds', async () => {
    const c = await certificate(`u3-${id}.example.com`, 60);
    await kit.deliver([untrusted(c, 'B'.repeat(40))]);
    expect(await statusOf(c.requestId)).toBe('active');
  });

  it('waits for a request whose certificate is not recorded yet', async () => {
    const outcome = await kit.deliver([untrusted({ requestId: randomUUID(), thumbprint: 'C'.repeat(40), host: `u4-${id}.example.com` })]);
    expect(outcome).toEqual([expect.objectContaining({ action: 'retry' })]);
  });

  it('says superseded once a renewal took the bindings over, expired once it expired', async () => {
    const c = await certificate(`u5-${id}.example.com`, 60);
    const gone = await certificate(`u6-${id}.example.com`, -1);
    await kit.deliver([untrusted(c), untrusted(gone)]);
    expect(await statusOf(gone.requestId)).toBe('expired');
    const renewal = await certificate(c.host, 90);
    await kit.deliver([
      createEvent(
        CertificateUnassignedV1,
        { requestId: c.requestId, host: c.host, thumbprint: c.thumbprint, usages: ['Default'], reason: 'replaced', remaining: [], replacedBy: { requestId: renewal.requestId, thumbprint: renewal.thumbprint } },
        { source: 't', subject: c.requestId, time: now },
      ),
    ]);
    expect(await statusOf(c.requestId)).toBe('superseded');
    expect((await svc.app.get(RequestQueryService).get(c.requestId)).untrusted).toBeUndefined();
    expect(await statusOf(renewal.requestId)).toBe('active');
  });
});
