/**
 * The bus as an attacker meets it: every forgery of issue 15 tried as an anonymous client and as
 * the wrong identity, on certflow's own authenticated nats-server with all four services running.
 * Each must be refused by the server, leave nothing on the stream, and change nothing certflow shows.
 */
import { createUser } from '@nats-io/nkeys';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { nkeyAuthenticator } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import {
  BUS_SERVICES,
  CertificateAssignedV1,
  CertificateIssuedV1,
  ChainCompleteV1,
  IssuerCaPublishedV1,
  RequestSubmittedV1,
  RPC,
  STREAM_NAME,
  createEvent,
  type EventDefinition,
} from '@certflow/contracts';
import { consumerName, type NatsConnection } from '@certflow/messaging';
import { TestPki, testCsr } from '@certflow/testing';
import { startCertflow, waitForRequest, type Certflow } from '../harness';

jest.setTimeout(180_000);

const VIOLATION = /Permissions Violation/;

describe('the bus refuses forgeries (four services, authenticated NATS, real PostgreSQL)', () => {
  let cf: Certflow;
  let watcher: NatsConnection;
  let jsm: JetStreamManager;
  const opened: NatsConnection[] = [];
  const as = async (identity: string) => {
    const nc = await cf.connectNats(identity);
    opened.push(nc);
    return nc;
  };
  /** How many messages of `subject` the stream holds, read with the test's own identity. */
  const stored = async (subject: string) => (await jsm.streams.info(STREAM_NAME, { subjects_filter: subject })).state.subjects?.[subject] ?? 0;
  const forge = <T>(definition: EventDefinition<string, T>, data: T) => JSON.stringify(createEvent(definition, data, { source: 'certflow/forger', subject: 'forged' }));

  beforeAll(async () => {
    cf = await startCertflow();
    watcher = await cf.connectNats();
    jsm = await jetstreamManager(watcher);
  });
  afterAll(async () => {
    for (const nc of [...opened, watcher]) await nc?.close().catch(() => undefined);
    await cf?.stop();
  });

  describe('when a client brings no identity certflow knows', () => {
    it('refuses an anonymous connection', async () => {
      await expect(connect({ servers: cf.natsUrl, reconnect: false })).rejects.toThrow(/Authorization Violation/);
    });

    it('refuses an nkey the server was not configured with', async () => {
      const stranger = createUser().getSeed();
      await expect(connect({ servers: cf.natsUrl, reconnect: false, authenticator: nkeyAuthenticator(stranger) })).rejects.toThrow(/Authorization Violation/);
    });
  });

  describe('when an identity publishes a fact another service owns', () => {
    const pki = TestPki.create();
    const cases: [string, string, () => Promise<string>, string][] = [
      ['assignment', 'a submitted request for any name', async () => forge(RequestSubmittedV1, { requestId: '11111111-1111-4111-8111-111111111111', host: 'bank.example.org', csr: (await testCsr({ host: 'bank.example.org' })).pem, usages: ['Default'], autoAssign: true, issuer: 'internal' }), RequestSubmittedV1.subject],
      ['request', 'a CA to plant as a trusted root', async () => forge(IssuerCaPublishedV1, { issuer: 'internal', roots: [(await pki).root.pem], intermediates: [] }), IssuerCaPublishedV1.subject],
      ['ca-gateway', 'chain.complete for a certificate nobody validated', async () => forge(ChainCompleteV1, { requestId: '11111111-1111-4111-8111-111111111111', thumbprint: 'A'.repeat(40), path: ['A'.repeat(40)] }), ChainCompleteV1.subject],
      ['trust-validation', 'an assignment', async () => forge(CertificateAssignedV1, { requestId: '11111111-1111-4111-8111-111111111111', host: 'bank.example.org', usages: ['Default'], thumbprint: 'A'.repeat(40), certificate: (await pki).root.pem, chain: [] } as never), CertificateAssignedV1.subject],
      ['subscriber', 'an issued certificate', async () => forge(CertificateIssuedV1, { requestId: '11111111-1111-4111-8111-111111111111', issuer: 'internal', certificate: (await pki).root.pem, chain: [], thumbprint: 'A'.repeat(40) } as never), CertificateIssuedV1.subject],
    ];

    it.each(cases)('refuses %s publishing %s, and the stream keeps nothing', async (identity, _what, body, subject) => {
      const before = await stored(subject);
      const nc = await as(identity);
      await expect(jetstream(nc).publish(subject, await body())).rejects.toThrow(VIOLATION);
      // Core NATS, without waiting for the stream's answer: refused the same way, stored nowhere.
      nc.publish(subject, await body());
      await nc.flush();
      expect(await stored(subject)).toBe(before);
    });

    it('keeps a request that waits at an offline CA pending when chain.complete is forged for it', async () => {
      const csr = await testCsr({ host: 'forged-chain.corp.example.com' });
      const created = await cf.api('/api/v1/requests', { method: 'POST', json: { host: 'forged-chain.corp.example.com', csr: csr.pem, issuer: 'offline' } });
      expect(created.status).toBe(201);
      await waitForRequest(cf, created.body.id, (v) => v.state === 'PENDING');
      const nc = await as('ca-gateway');
      const body = forge(ChainCompleteV1, { requestId: created.body.id, thumbprint: 'A'.repeat(40), path: ['A'.repeat(40)] });
      await expect(jetstream(nc).publish(ChainCompleteV1.subject, body)).rejects.toThrow(VIOLATION);
      await new Promise((r) => setTimeout(r, 1000));
      const view = (await cf.api(`/api/v1/requests/${created.body.id}`)).body;
      expect(view.state).toBe('PENDING');
      expect((await cf.api('/api/v1/hosts/forged-chain.corp.example.com/assignments')).body.usages).toEqual({});
    });

    it('plants no root when the request service publishes a CA as ca-gateway would', async () => {
      const { root } = await TestPki.create();
      const nc = await as('request');
      await expect(jetstream(nc).publish(IssuerCaPublishedV1.subject, forge(IssuerCaPublishedV1, { issuer: 'internal', roots: [root.pem], intermediates: [] }))).rejects.toThrow(VIOLATION);
      await new Promise((r) => setTimeout(r, 1000));
      const roots = (await cf.api('/api/v1/trust/roots')).body.items.map((c: { pem: string }) => c.pem.replace(/\s/g, ''));
      expect(roots).not.toContain(root.pem.replace(/\s/g, ''));
    });
  });

  describe('when a service identity tries to read the stream', () => {
    it.each(BUS_SERVICES)('refuses %s a single message, a direct get and a consumer of its own choosing', async (identity) => {
      const nc = await as(identity);
      const mine = await jetstreamManager(nc);
      await expect(mine.streams.getMessage(STREAM_NAME, { seq: 1 })).rejects.toThrow(VIOLATION);
      await expect(nc.request(`$JS.API.DIRECT.GET.${STREAM_NAME}`, JSON.stringify({ seq: 1 }), { timeout: 2000 })).rejects.toThrow(VIOLATION);
      await expect(mine.consumers.add(STREAM_NAME, { durable_name: 'spy', filter_subject: CertificateIssuedV1.subject })).rejects.toThrow(VIOLATION);
    });

    // The request service hears certflow.> live for the console; the others have no reason to.
    it.each(['ca-gateway', 'trust-validation', 'assignment'])('refuses %s a plain subscription to certflow.>', async (identity) => {
      const nc = await as(identity);
      const sub = nc.subscribe('certflow.>');
      await expect(sub.closed).resolves.toThrow(VIOLATION);
    });
  });

  describe('when an identity tries to answer another service’s questions', () => {
    it.each(['request', 'ca-gateway', 'assignment', 'subscriber'])('refuses %s a place in the trust-import queue group', async (identity) => {
      const nc = await as(identity);
      const sub = nc.subscribe(RPC.trustImport, { queue: RPC.trustImport });
      await expect(sub.closed).resolves.toThrow(VIOLATION);
    });

    it('still has trust imports answered by trust-validation', async () => {
      const { root } = await TestPki.create();
      const r = await cf.api('/api/v1/trust/roots', { method: 'POST', json: { pem: root.pem } });
      expect(r.status).toBe(201);
      expect(r.body.imported).toHaveLength(1);
    });
  });

  describe('when an identity reaches for another’s consumer or for the stream itself', () => {
    it('refuses the subscriber a look at, a pull from or an ack on a service’s durable consumer', async () => {
      const nc = await as('subscriber');
      const durable = consumerName('ca-gateway', RequestSubmittedV1.subject);
      await expect((await jetstreamManager(nc)).consumers.info(STREAM_NAME, durable)).rejects.toThrow(VIOLATION);
      await expect(nc.request(`$JS.API.CONSUMER.MSG.NEXT.${STREAM_NAME}.${durable}`, JSON.stringify({ batch: 1 }), { timeout: 2000 })).rejects.toThrow(VIOLATION);
    });

    it('refuses one service the durable consumer of another', async () => {
      const nc = await as('assignment');
      await expect((await jetstreamManager(nc)).consumers.info(STREAM_NAME, consumerName('ca-gateway', RequestSubmittedV1.subject))).rejects.toThrow(VIOLATION);
    });

    it.each([...BUS_SERVICES, 'subscriber'])('refuses %s deleting or purging the stream', async (identity) => {
      const mine = await jetstreamManager(await as(identity));
      await expect(mine.streams.purge(STREAM_NAME)).rejects.toThrow(VIOLATION);
      await expect(mine.streams.delete(STREAM_NAME)).rejects.toThrow(VIOLATION);
      expect((await jsm.streams.info(STREAM_NAME)).config.name).toBe(STREAM_NAME);
    });

    it('refuses every service identity changing the stream', async () => {
      for (const identity of BUS_SERVICES) {
        const mine = await jetstreamManager(await as(identity));
        await expect(mine.streams.update(STREAM_NAME, { max_msgs: 1 })).rejects.toThrow(VIOLATION);
      }
      expect((await jsm.streams.info(STREAM_NAME)).config.max_msgs).toBe(-1);
    });
  });

  describe('when the subscriber reads', () => {
    it('reads every event through a consumer of its own', async () => {
      const csr = await testCsr({ host: 'watched.corp.example.com' });
      const created = await cf.api('/api/v1/requests', { method: 'POST', json: { host: 'watched.corp.example.com', csr: csr.pem } });
      await waitForRequest(cf, created.body.id, (v) => v.state === 'ASSIGNED');
      const consumer = await jetstream(await as('subscriber')).consumers.get(STREAM_NAME, { filter_subjects: CertificateAssignedV1.subject });
      const seen: string[] = [];
      const messages = await consumer.consume();
      const end = setTimeout(() => void messages.close(), 5000);
      for await (const m of messages) {
        seen.push(m.json<{ subject: string }>().subject);
        if (seen.includes(created.body.id)) break;
      }
      clearTimeout(end);
      expect(seen).toContain(created.body.id);
    });
  });
});
