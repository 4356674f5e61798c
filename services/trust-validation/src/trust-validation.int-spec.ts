import {
  CertificateIssuedV1,
  ChainCompleteV1,
  ChainIncompleteV1,
  createEvent,
  IssuerCaPublishedV1,
  RequestFailedV1,
  RPC,
  TrustUpdatedV1,
  type CertificateDetails,
} from '@certflow/contracts';
import { callRpc, FactProcessor, RpcError } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { thumbprintSha1 } from '@certflow/pki';
import { TestPki, type IssuedLeaf } from '@certflow/testing';
import { loadConfig } from '@certflow/runtime';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { CertificateLookupService } from './chain-validation/certificate-lookup.service';
import { OnCertificateIssuedConsumer } from './chain-validation/consumers/on-certificate-issued.consumer';
import { TrustValidationConfigSchema } from './config';
import { publishAgain, runId, sleep, startTestService, testDatabaseUrl, TEST_NATS_URL, waitUntilConsumed, type RunningService } from '@certflow/testing';
import { TrustStoreService } from './trust-store/trust-store.service';

jest.setTimeout(60_000);

describe('trust-validation against PostgreSQL and NATS', () => {
  const id = runId();
  const service = `trust-validation-test-${id}`;
  let svc: RunningService;
  let trustStore: TrustStoreService;
  let ds: DataSource;
  let pki: TestPki;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadConfig(TrustValidationConfigSchema, { DATABASE_URL: databaseUrl, NATS_URL: TEST_NATS_URL, CERTFLOW_DB_POOL: '4' });
    svc = await startTestService({
      service,
      databaseUrl,
      module: AppModule.forRoot(config, service),
      subjects: [CertificateIssuedV1.subject, IssuerCaPublishedV1.subject, TrustUpdatedV1.subject],
    });
    trustStore = svc.app.get(TrustStoreService);
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    pki = await TestPki.create({ rootSubject: `CN=certflow Test Root ${id}, O=certflow tests`, intermediateSubject: `CN=certflow Test Intermediate ${id}, O=certflow tests` });
  });

  afterAll(async () => {
    await svc?.close();
  });

  function issued(leaf: IssuedLeaf, chain: string[]) {
    const requestId = randomUUID();
    const event = createEvent(
      CertificateIssuedV1,
      { requestId, issuer: 'internal', certificate: leaf.pem, chain, thumbprint: thumbprintSha1(leaf.certificate) },
      { source: 'certflow/test', subject: requestId },
    );
    return { requestId, event };
  }

  describe('when a certificate chains to a root imported through the trust store', () => {
    it('publishes chain.complete with the path from the leaf to the root', async () => {
      const result = await trustStore.import('roots', pki.root.pem, 'test');
      expect(result.imported).toEqual([thumbprintSha1(pki.root.certificate)]);
      const leaf = await pki.leafFor({ host: `web-${id}.example.com` });
      const { requestId, event } = issued(leaf, [pki.intermediate.pem]);

      await svc.publisher.publish(event);

      const complete = await svc.log.waitFor(ChainCompleteV1, (d) => d.requestId === requestId);
      expect(complete.source).toBe('certflow/trust-validation');
      expect(complete.subject).toBe(requestId);
      expect(complete.data.thumbprint).toBe(thumbprintSha1(leaf.certificate));
      expect(complete.data.path).toEqual([leaf.certificate, pki.intermediate.certificate, pki.root.certificate].map((c) => thumbprintSha1(c)));
      expect(complete.data.pathPem).toHaveLength(3);
      expect(complete.data.revalidated).toBeUndefined();
      // The certificate.issued's data travels on, so a consumer can apply this fact even if it came first.
      expect(complete.data.certificate).toBe(leaf.pem);
      expect(complete.data.chain).toEqual([pki.intermediate.pem]);
    });

    it('announces the import and finds it again on a second import', async () => {
      await svc.log.waitFor(TrustUpdatedV1, (d) => d.thumbprint === thumbprintSha1(pki.root.certificate) && d.action === 'imported');
      const again = await trustStore.import('roots', pki.root.pem, 'test');
      expect(again).toMatchObject({ imported: [], alreadyPresent: [thumbprintSha1(pki.root.certificate)] });
      expect((await trustStore.list('roots')).map((c) => c.thumbprint)).toContain(thumbprintSha1(pki.root.certificate));
    });
  });

  describe('when the root is not trusted', () => {
    it('publishes chain.incomplete naming the missing root, then chain.complete once the root is imported', async () => {
      const untrusted = await TestPki.create({ rootSubject: `CN=Untrusted Root ${id}`, intermediateSubject: `CN=Untrusted Intermediate ${id}` });
      const leaf = await untrusted.leafFor({ host: `app-${id}.example.com` });
      const { requestId, event } = issued(leaf, [untrusted.intermediate.pem]);

      await svc.publisher.publish(event);

      const incomplete = await svc.log.waitFor(ChainIncompleteV1, (d) => d.requestId === requestId);
      expect(incomplete.data.missing).toEqual([expect.objectContaining({ kind: 'root', subject: `CN=Untrusted Root ${id}` })]);
      expect(incomplete.data.reasons.join(' ')).toMatch(/import/i);
      expect(incomplete.data).toMatchObject({ certificate: leaf.pem, chain: [untrusted.intermediate.pem] });
      const [row] = await ds.query(`SELECT status, waiting_on FROM validation WHERE request_id = $1`, [requestId]);
      expect(row.status).toBe('incomplete');
      expect(row.waiting_on).toContain(`dn:cn=untrusted root ${id}`);

      // The import re-validates the requests that were waiting for that root.
      await trustStore.import('roots', untrusted.root.pem, 'test');
      const complete = await svc.log.waitFor(ChainCompleteV1, (d) => d.requestId === requestId);
      expect(complete.data.revalidated).toBe(true);
      expect(complete.data.path).toHaveLength(3);
      // Re-validated from the stored row: the certificate and chain as the CA returned them.
      expect(complete.data).toMatchObject({ certificate: leaf.pem, chain: [untrusted.intermediate.pem] });
    });
  });

  describe('when the leaf has expired', () => {
    it('fails the request with CertificateExpired', async () => {
      const day = 24 * 3600 * 1000;
      const leaf = await pki.leafFor({ host: `old-${id}.example.com`, notBefore: new Date(Date.now() - 3 * day), notAfter: new Date(Date.now() - day) });
      const { requestId, event } = issued(leaf, [pki.intermediate.pem]);

      await svc.publisher.publish(event);

      const failed = await svc.log.waitFor(RequestFailedV1, (d) => d.requestId === requestId);
      expect(failed.data).toMatchObject({ stage: 'validation', code: 'CertificateExpired' });
      expect(failed.data.message).toMatch(/expired/);
    });
  });

  describe('when the certificate cannot be read', () => {
    it('fails the request with CertificateUnparsable', async () => {
      const requestId = randomUUID();
      const garbage = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
      const event = createEvent(CertificateIssuedV1, { requestId, issuer: 'internal', certificate: garbage, chain: [], thumbprint: 'A'.repeat(40) }, { source: 'certflow/test', subject: requestId });

      await svc.publisher.publish(event);

      const failed = await svc.log.waitFor(RequestFailedV1, (d) => d.requestId === requestId);
      expect(failed.data).toMatchObject({ stage: 'validation', code: 'CertificateUnparsable' });
    });
  });

  describe('when an event is delivered again', () => {
    it('changes nothing and publishes nothing more', async () => {
      const leaf = await pki.leafFor({ host: `again-${id}.example.com` });
      const { requestId, event } = issued(leaf, [pki.intermediate.pem]);
      await svc.publisher.publish(event);
      await svc.log.waitFor(ChainCompleteV1, (d) => d.requestId === requestId);
      const [before] = await ds.query(`SELECT validated_at FROM validation WHERE request_id = $1`, [requestId]);

      const seq = await publishAgain(svc.nc, event);
      await waitUntilConsumed(svc.nc, service, CertificateIssuedV1.subject, seq);
      await sleep(300); // give the relay the time it would need to publish a second outcome

      expect(svc.log.of(ChainCompleteV1, (d) => d.requestId === requestId)).toHaveLength(1);
      const [after] = await ds.query(`SELECT validated_at FROM validation WHERE request_id = $1`, [requestId]);
      expect(after.validated_at).toEqual(before.validated_at);
    });
  });

  describe('when one batch carries many certificate.issued, some of them twice', () => {
    it('validates and records each once, with one outcome event each', async () => {
      const leaves = await Promise.all(Array.from({ length: 6 }, (_, i) => pki.leafFor({ host: `batch-${i}-${id}.example.com` })));
      const facts = leaves.map((leaf) => issued(leaf, [pki.intermediate.pem]));
      const order = [0, 1, 0, 2, 3, 1, 4, 5, 5];
      const batch = { deliveries: order.map((i) => ({ payload: JSON.parse(JSON.stringify(facts[i].event)), deliveryCount: 1 })) };

      const outcomes = await svc.app.get(FactProcessor).process(batch, svc.app.get(OnCertificateIssuedConsumer));

      expect(outcomes).toEqual(order.map(() => ({ action: 'ack' })));
      const ids: string[] = facts.map((f) => f.requestId);
      const rows = await ds.query(`SELECT request_id, status FROM validation WHERE request_id = ANY ($1) ORDER BY request_id`, [ids]);
      expect(rows).toEqual([...ids].sort().map((request_id) => ({ request_id, status: 'complete' })));
      const outbox: { payload: { data: { requestId: string; certificate: string; chain: string[] } } }[] = await ds.query(
        `SELECT payload FROM outbox WHERE subject = $1 AND payload->'data'->>'requestId' = ANY ($2)`,
        [ChainCompleteV1.subject, ids],
      );
      expect(outbox.map((r) => r.payload.data.requestId).sort()).toEqual([...ids].sort());
      for (const [i, f] of facts.entries()) {
        expect(outbox.find((r) => r.payload.data.requestId === f.requestId)?.payload.data).toMatchObject({ certificate: leaves[i].pem, chain: [pki.intermediate.pem] });
      }
      // Published after the commit, once each.
      for (const f of facts) await svc.log.waitFor(ChainCompleteV1, (d) => d.requestId === f.requestId);
      expect(svc.log.of(ChainCompleteV1, (d) => ids.includes(d.requestId))).toHaveLength(ids.length);
    });
  });

  describe('when an issuer publishes its CA', () => {
    it('trusts its roots, once, as that issuer', async () => {
      const issuerPki = await TestPki.create({ rootSubject: `CN=Issuer Root ${id}` });
      const publish = () =>
        svc.publisher.publish(
          createEvent(IssuerCaPublishedV1, { issuer: 'internal', roots: [issuerPki.root.pem], intermediates: [issuerPki.intermediate.pem] }, { source: 'certflow/test', subject: 'internal' }),
        );
      const thumbprint = thumbprintSha1(issuerPki.root.certificate);

      await publish();
      const updated = await svc.log.waitFor(TrustUpdatedV1, (d) => d.thumbprint === thumbprint);
      expect(updated.data).toMatchObject({ store: 'roots', action: 'imported', actor: 'issuer:internal' });

      const { seq } = await publish();
      await waitUntilConsumed(svc.nc, service, IssuerCaPublishedV1.subject, seq);
      expect(svc.log.of(TrustUpdatedV1, (d) => d.thumbprint === thumbprint)).toHaveLength(1);
      const audit = await ds.query(`SELECT actor FROM trust_audit WHERE thumbprint = $1`, [thumbprint]);
      expect(audit).toEqual([{ actor: 'issuer:internal' }]);
    });
  });

  describe('trust store rules', () => {
    it('refuses a server certificate as a root and stores nothing of the call', async () => {
      const leaf = await pki.leafFor({ host: `leaf-${id}.example.com` });
      const other = await TestPki.create({ rootSubject: `CN=Other Root ${id}` });
      const attempt = trustStore.import('roots', other.root.pem + leaf.pem, 'test');
      await expect(attempt).rejects.toBeInstanceOf(RpcError);
      await expect(attempt).rejects.toMatchObject({ code: 'NOT_A_CA', status: 400 });
      const rows = await ds.query(`SELECT 1 FROM trusted_certificate WHERE thumbprint = $1`, [thumbprintSha1(other.root.certificate)]);
      expect(rows).toHaveLength(0);
    });

    it('removes by SHA-256 thumbprint and answers 404 the second time', async () => {
      const other = await TestPki.create({ rootSubject: `CN=Removable Root ${id}` });
      await trustStore.import('intermediates', other.intermediate.pem, 'test');
      const details = (await trustStore.list('intermediates')).find((c) => c.thumbprint === thumbprintSha1(other.intermediate.certificate))!;
      await trustStore.remove('intermediates', details.thumbprintSha256.toLowerCase(), 'test');
      await expect(trustStore.remove('intermediates', details.thumbprint, 'test')).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
      await svc.log.waitFor(TrustUpdatedV1, (d) => d.thumbprint === details.thumbprint && d.action === 'removed');
    });
  });

  describe('certificate look-up', () => {
    it('finds a trusted certificate and a certificate seen in a validation, and nothing else', async () => {
      const lookup = svc.app.get(CertificateLookupService);
      expect((await lookup.lookup(thumbprintSha1(pki.root.certificate))).subject).toContain(`certflow Test Root ${id}`);
      // The intermediate was never imported, only seen in the chains validated above.
      const intermediate = await lookup.lookup(thumbprintSha1(pki.intermediate.certificate).toLowerCase());
      expect(intermediate.thumbprint).toBe(thumbprintSha1(pki.intermediate.certificate));
      await expect(lookup.lookup('0'.repeat(40))).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    });

    it('answers over NATS request/reply', async () => {
      const details = await callRpc<CertificateDetails>(svc.nc, RPC.certificateLookup, { thumbprint: thumbprintSha1(pki.root.certificate) }, 5000);
      expect(details.thumbprint).toBe(thumbprintSha1(pki.root.certificate));
      await expect(callRpc(svc.nc, RPC.trustImport, { store: 'intermediates', pem: pki.root.pem, actor: 'test' }, 5000)).rejects.toMatchObject({
        code: 'NOT_AN_INTERMEDIATE',
        status: 400,
      });
    });
  });
});
