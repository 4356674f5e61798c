import { CertificateIssuedV1, ChainBrokenV1, ChainCompleteV1, createEvent, IssuerCaPublishedV1, TrustUpdatedV1 } from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import { thumbprintSha1 } from '@certflow/pki';
import { loadConfig } from '@certflow/runtime';
import { publishAgain, runId, startTestService, testDatabaseUrl, TestPki, TEST_NATS_URL, waitUntilConsumed, type IssuedLeaf, type RunningService } from '@certflow/testing';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { TrustValidationConfigSchema } from '../config';
import { TrustStoreService } from '../trust-store/trust-store.service';

jest.setTimeout(60_000);

describe('BrokenChainService (trust-store removal) against PostgreSQL and NATS', () => {
  const id = runId();
  const service = `trust-validation-broken-${id}`;
  let svc: RunningService;
  let trustStore: TrustStoreService;
  let ds: DataSource;
  let pki: TestPki;
  let other: TestPki;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadConfig(TrustValidationConfigSchema, { DATABASE_URL: databaseUrl, NATS_URL: TEST_NATS_URL, CERTFLOW_DB_POOL: '4', CERTFLOW_REVALIDATION_BATCH: '2' });
    svc = await startTestService({
      service,
      databaseUrl,
      module: AppModule.forRoot(config, service),
      subjects: [CertificateIssuedV1.subject, IssuerCaPublishedV1.subject, TrustUpdatedV1.subject],
    });
    trustStore = svc.app.get(TrustStoreService);
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    pki = await TestPki.create({ rootSubject: `CN=Broken Root ${id}`, intermediateSubject: `CN=Broken Intermediate ${id}` });
    other = await TestPki.create({ rootSubject: `CN=Other Root ${id}`, intermediateSubject: `CN=Other Intermediate ${id}` });
    await trustStore.import('roots', pki.root.pem + other.root.pem, 'test');
    await trustStore.import('intermediates', pki.intermediate.pem + other.intermediate.pem, 'test');
  });

  afterAll(async () => {
    await svc?.close();
  });

  /** Publishes certificate.issued for a leaf and waits for its chain.complete. */
  async function completed(leaf: IssuedLeaf, chain: string[]): Promise<string> {
    const requestId = randomUUID();
    const thumbprint = thumbprintSha1(leaf.certificate);
    await svc.publisher.publish(
      createEvent(CertificateIssuedV1, { requestId, issuer: 'offline', certificate: leaf.pem, chain, thumbprint }, { source: 'certflow/test', subject: requestId }),
    );
    await svc.log.waitFor(ChainCompleteV1, (d) => d.requestId === requestId);
    return requestId;
  }

  describe('when an intermediate, then its root, are removed', () => {
    it('reports chain.broken exactly once for each certificate whose chain went through it, and no other', async () => {
      const leaves = await Promise.all([1, 2, 3].map((n) => pki.leafFor({ host: `broken-${n}-${id}.example.com` })));
      // Three leaves that relied on the store for their intermediate (more than one re-validation batch).
      const viaStore = await Promise.all(leaves.map((leaf) => completed(leaf, [])));
      // One whose CA sent the intermediate itself: the store's copy was never needed.
      const selfChained = await completed(await pki.leafFor({ host: `selfchained-${id}.example.com` }), [pki.intermediate.pem]);
      const unrelated = await completed(await other.leafFor({ host: `unrelated-${id}.example.com` }), []);
      const intermediate = thumbprintSha1(pki.intermediate.certificate);
      const root = thumbprintSha1(pki.root.certificate);

      await trustStore.remove('intermediates', intermediate, 'test');

      for (const requestId of viaStore) {
        const broken = await svc.log.waitFor(ChainBrokenV1, (d) => d.requestId === requestId);
        expect(broken.source).toBe('certflow/trust-validation');
        expect(broken.data).toMatchObject({ removed: intermediate, missing: [expect.objectContaining({ kind: 'intermediate', subject: `CN=Broken Intermediate ${id}` })] });
      }
      const removal = await svc.log.waitFor(TrustUpdatedV1, (d) => d.thumbprint === intermediate && d.action === 'removed');
      const [{ status }] = await ds.query(`SELECT status FROM validation WHERE request_id = $1`, [viaStore[0]]);
      expect(status).toBe('incomplete');

      // Delivered again (a crash before the claim): every row already followed up, nothing new.
      const seq = await publishAgain(svc.nc, removal);
      await waitUntilConsumed(svc.nc, service, TrustUpdatedV1.subject, seq);
      for (const requestId of viaStore) expect(svc.log.of(ChainBrokenV1, (d) => d.requestId === requestId)).toHaveLength(1);
      expect(svc.log.of(ChainBrokenV1, (d) => d.requestId === selfChained || d.requestId === unrelated)).toEqual([]);

      // The root goes too: now the self-chained one breaks, and the others are not reported twice.
      await trustStore.remove('roots', root, 'test');
      const broken = await svc.log.waitFor(ChainBrokenV1, (d) => d.requestId === selfChained);
      expect(broken.data).toMatchObject({ removed: root, missing: [expect.objectContaining({ kind: 'root', subject: `CN=Broken Root ${id}` })] });
      const rootRemoval = await svc.log.waitFor(TrustUpdatedV1, (d) => d.thumbprint === root && d.action === 'removed');
      await waitUntilConsumed(svc.nc, service, TrustUpdatedV1.subject, await publishAgain(svc.nc, rootRemoval));
      for (const requestId of viaStore) expect(svc.log.of(ChainBrokenV1, (d) => d.requestId === requestId)).toHaveLength(1);
      expect(svc.log.of(ChainBrokenV1, (d) => d.requestId === selfChained)).toHaveLength(1);
      expect(svc.log.of(ChainBrokenV1, (d) => d.requestId === unrelated)).toEqual([]);
    });
  });
});
