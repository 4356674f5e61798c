import { randomUUID } from 'node:crypto';
import {
  AssignmentRequestedV1,
  CertificateAssignedV1,
  ChainCompleteV1,
  createEvent,
  RequestFailedV1,
  RPC,
  type HostAssignmentsWithHistory,
  type Usage,
} from '@certflow/contracts';
import { callRpc } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { thumbprintSha1, type LeafEku } from '@certflow/pki';
import { loadConfig } from '@certflow/runtime';
import { TestPki, type IssuedLeaf } from '@certflow/testing';
import type { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { AssignmentConfigSchema } from './config';
import { publishAgain, runId, sleep, startTestService, testDatabaseUrl, TEST_NATS_URL, waitUntilConsumed, type RunningService } from '@certflow/testing';

jest.setTimeout(60_000);

const ALL: Usage[] = ['Default', 'WebServicesInternal', 'WebServicesExternal'];

describe('assignment against PostgreSQL and NATS', () => {
  const id = runId();
  const service = `assignment-test-${id}`;
  let svc: RunningService;
  let ds: DataSource;
  let pki: TestPki;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadConfig(AssignmentConfigSchema, { DATABASE_URL: databaseUrl, NATS_URL: TEST_NATS_URL, CERTFLOW_DB_POOL: '4' });
    svc = await startTestService({ service, databaseUrl, module: AppModule.forRoot(config, service), subjects: [ChainCompleteV1.subject, AssignmentRequestedV1.subject] });
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    pki = await TestPki.create();
  });

  afterAll(async () => {
    await svc?.close();
  });

  async function leafFor(host: string, eku: LeafEku[]): Promise<IssuedLeaf> {
    return pki.leafFor({ host, eku });
  }

  function chainComplete(requestId: string, leaf: IssuedLeaf) {
    const thumbprint = thumbprintSha1(leaf.certificate);
    return createEvent(
      ChainCompleteV1,
      { requestId, thumbprint, path: [thumbprint, thumbprintSha1(pki.intermediate.certificate), thumbprintSha1(pki.root.certificate)] },
      { source: 'certflow/test', subject: requestId },
    );
  }

  function assignmentRequested(requestId: string, host: string, leaf: IssuedLeaf, usages: Usage[] = ALL) {
    return createEvent(
      AssignmentRequestedV1,
      { requestId, host, usages, thumbprint: thumbprintSha1(leaf.certificate), certificate: leaf.pem, chain: [pki.intermediate.pem], by: 'auto' },
      { source: 'certflow/test', subject: requestId },
    );
  }

  describe('when the assignment is asked for before chain.complete arrives', () => {
    it('binds nothing until chain.complete, then assigns exactly once', async () => {
      const host = `pool-${id}.example.com`;
      const requestId = randomUUID();
      const leaf = await leafFor(host, ['serverAuth', 'clientAuth']);
      const request = assignmentRequested(requestId, host, leaf);

      await svc.publisher.publish(request);
      await sleep(700); // recorded as wanted, nothing bound
      expect(svc.log.of(CertificateAssignedV1, (d) => d.requestId === requestId)).toHaveLength(0);
      expect(await ds.query(`SELECT 1 FROM binding WHERE host = $1`, [host])).toHaveLength(0);

      await svc.publisher.publish(chainComplete(requestId, leaf));
      const assigned = await svc.log.waitFor(CertificateAssignedV1, (d) => d.requestId === requestId);
      expect(assigned.data).toMatchObject({ host, usages: ALL, thumbprint: thumbprintSha1(leaf.certificate), notBound: [] });
      expect(assigned.source).toBe('certflow/assignment');

      // The same request delivered again is a duplicate: no second binding, no second event.
      const seq = await publishAgain(svc.nc, request);
      await waitUntilConsumed(svc.nc, service, AssignmentRequestedV1.subject, seq);
      await sleep(300);
      expect(svc.log.of(CertificateAssignedV1, (d) => d.requestId === requestId)).toHaveLength(1);
      expect(await ds.query(`SELECT 1 FROM binding_history WHERE request_id = $1`, [requestId])).toHaveLength(3);
    });
  });

  describe('when a serverAuth-only certificate is assigned', () => {
    it('binds the web services usages and says why Default was not bound', async () => {
      const host = `web-${id}.example.com`;
      const requestId = randomUUID();
      const leaf = await leafFor(host, ['serverAuth']);
      await svc.publisher.publish(chainComplete(requestId, leaf));
      await svc.publisher.publish(assignmentRequested(requestId, host, leaf));

      const assigned = await svc.log.waitFor(CertificateAssignedV1, (d) => d.requestId === requestId);
      expect(assigned.data.usages).toEqual(['WebServicesInternal', 'WebServicesExternal']);
      expect(assigned.data.notBound).toEqual([{ usage: 'Default', code: 'MissingClientAuth', reason: expect.stringContaining('client authentication') }]);
    });
  });

  describe('when no usage fits', () => {
    it('fails the request with NoUsageFits and binds nothing', async () => {
      const host = `elsewhere-${id}.example.com`;
      const requestId = randomUUID();
      const leaf = await leafFor(`other-${id}.example.com`, ['serverAuth', 'clientAuth']);
      await svc.publisher.publish(chainComplete(requestId, leaf));
      await svc.publisher.publish(assignmentRequested(requestId, host, leaf));

      const failed = await svc.log.waitFor(RequestFailedV1, (d) => d.requestId === requestId);
      expect(failed.data).toMatchObject({ stage: 'assignment', code: 'NoUsageFits' });
      expect(failed.data.message).toContain(`not for ${host}`);
      expect(await ds.query(`SELECT 1 FROM binding WHERE host = $1`, [host])).toHaveLength(0);
    });
  });

  describe('when the assignment request carries another certificate than the thumbprint it names', () => {
    it('fails the request with ThumbprintMismatch and binds nothing', async () => {
      const host = `lying-${id}.example.com`;
      const requestId = randomUUID();
      const validated = await leafFor(host, ['serverAuth', 'clientAuth']);
      const other = await leafFor(host, ['serverAuth', 'clientAuth']);
      await svc.publisher.publish(chainComplete(requestId, validated));
      const lying = assignmentRequested(requestId, host, validated);
      await svc.publisher.publish({ ...lying, data: { ...lying.data, certificate: other.pem } });

      const failed = await svc.log.waitFor(RequestFailedV1, (d) => d.requestId === requestId);
      expect(failed.data).toMatchObject({ stage: 'assignment', code: 'ThumbprintMismatch' });
      expect(failed.data.message).toContain(thumbprintSha1(other.certificate));
      expect(await ds.query(`SELECT 1 FROM binding WHERE host = $1`, [host])).toHaveLength(0);
      expect(svc.log.of(CertificateAssignedV1, (d) => d.requestId === requestId)).toHaveLength(0);
    });
  });

  describe('host assignments', () => {
    it('answers over NATS with the bindings and what they replaced, whatever the case of the host', async () => {
      const host = `renewed-${id}.example.com`;
      const first = { requestId: randomUUID(), leaf: await leafFor(host, ['serverAuth', 'clientAuth']) };
      const second = { requestId: randomUUID(), leaf: await leafFor(host, ['serverAuth']) };
      for (const r of [first, second]) {
        await svc.publisher.publish(chainComplete(r.requestId, r.leaf));
        await svc.publisher.publish(assignmentRequested(r.requestId, host.toUpperCase(), r.leaf));
        await svc.log.waitFor(CertificateAssignedV1, (d) => d.requestId === r.requestId);
      }

      const view = await callRpc<HostAssignmentsWithHistory>(svc.nc, RPC.hostAssignments, { host: host.toUpperCase() }, 5000);

      const [t1, t2] = [first, second].map((r) => thumbprintSha1(r.leaf.certificate));
      expect(view.host).toBe(host);
      expect(view.usages).toEqual({
        Default: { thumbprint: t1, requestId: first.requestId, assignedAt: expect.any(String) },
        WebServicesInternal: { thumbprint: t2, requestId: second.requestId, assignedAt: expect.any(String) },
        WebServicesExternal: { thumbprint: t2, requestId: second.requestId, assignedAt: expect.any(String) },
      });
      expect(view.history).toHaveLength(5);
      expect(view.history[0]).toMatchObject({ thumbprint: t2, replacedThumbprint: t1 });
      expect(view.history.filter((h) => h.replacedThumbprint === null)).toHaveLength(3);
    });
  });
});
