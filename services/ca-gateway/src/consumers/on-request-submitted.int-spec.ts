import { randomBytes, randomUUID } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import {
  type CloudEvent,
  CertificateIssuedV1,
  createEvent,
  type EventDefinition,
  IssuerCaPublishedV1,
  parseEvent,
  RequestFailedV1,
  RequestPendingV1,
  RequestSubmittedV1,
  STREAM_NAME,
} from '@certflow/contracts';
import { connectNats, consumerName, ensureStream, JetStreamServer, type NatsConnection } from '@certflow/messaging';
import { parseCertificate, thumbprintSha1, validateChain } from '@certflow/pki';
import { createLogger, PinoNestLogger } from '@certflow/runtime';
import { testCsr } from '@certflow/testing';
import { AppModule } from '../app.module';
import { loadCaGatewayConfig } from '../config';

jest.setTimeout(60_000);

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const RUN = randomBytes(4).toString('hex');
const DATABASE = `certflow_test_cagw_${RUN}`;
const SERVICE = `ca-gateway-test-${RUN}`;
const LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
const CA_KEY = randomBytes(32).toString('hex');

function configWith(caKey: string) {
  return loadCaGatewayConfig({
    NATS_URL,
    DATABASE_URL: `${PG_URL}/${DATABASE}`,
    CERTFLOW_CA_KEY: caKey,
    CERTFLOW_LOG_LEVEL: LOG_LEVEL,
  } as NodeJS.ProcessEnv);
}

/**
 * Starts the gateway as startService does (same module, same JetStream transport), but closes what
 * was opened when the start fails, so a failed start cannot keep jest alive.
 */
async function startGateway(caKey = CA_KEY, service = SERVICE): Promise<INestMicroservice> {
  const logger = createLogger(service, LOG_LEVEL);
  const strategy = new JetStreamServer({ servers: NATS_URL, service, logger });
  const app = await NestFactory.createMicroservice(AppModule.forRoot(configWith(caKey), { service }), {
    strategy,
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  try {
    await app.listen();
    return app;
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('ca-gateway: request.submitted → certificate.issued (PostgreSQL + JetStream)', () => {
  const since = new Date(Date.now() - 1000).toISOString();
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let db: Client;
  let app: INestMicroservice | undefined;
  const durable = consumerName(SERVICE, RequestSubmittedV1.subject);

  /** Stream sequences this run put in the shared stream, removed again in afterAll. */
  const published = new Set<number>();
  const requestIds = new Set<string>();
  let rootPem: string | undefined;

  /** Every event of `definition` stored since this run began, by stream sequence (an ordered consumer, read to the end). */
  async function stored<S extends string, T>(definition: EventDefinition<S, T>): Promise<Map<number, CloudEvent<S, T>>> {
    const consumer = await js.consumers.get(STREAM_NAME, {
      filter_subjects: definition.subject,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: since,
    });
    // Keyed by sequence: an ordered consumer that resets may hand a message over twice.
    const bySeq = new Map<number, CloudEvent<S, T>>();
    try {
      if ((await consumer.info(true)).num_pending === 0) return bySeq;
      for (;;) {
        const batch = await consumer.fetch({ max_messages: 256, expires: 1000 });
        for await (const msg of batch) {
          bySeq.set(msg.seq, parseEvent(definition, msg.json()));
          if (msg.info.pending === 0) return bySeq;
        }
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
  }

  async function eventsOf<S extends string, T>(definition: EventDefinition<S, T>): Promise<CloudEvent<S, T>[]> {
    return [...(await stored(definition)).values()];
  }

  /** Deletes what this run stored in the shared stream: its requests and the gateway's answers to them. */
  async function removeRunTraces(): Promise<void> {
    const ours: number[] = [...published];
    for (const definition of [CertificateIssuedV1, RequestPendingV1, RequestFailedV1] as EventDefinition<string, { requestId: string }>[]) {
      for (const [seq, e] of await stored(definition)) if (requestIds.has(e.data.requestId)) ours.push(seq);
    }
    for (const [seq, e] of await stored(IssuerCaPublishedV1)) if (rootPem && e.data.roots[0] === rootPem) ours.push(seq);
    for (const seq of ours) await jsm.streams.deleteMessage(STREAM_NAME, seq, false).catch(() => undefined);
  }

  async function eventFor<S extends string, T extends { requestId: string }>(definition: EventDefinition<S, T>, requestId: string) {
    return until(`${definition.subject} for ${requestId}`, async () => (await eventsOf(definition)).find((e) => e.data.requestId === requestId));
  }

  /** Publishes to the stream; `msgId` other than the event id makes JetStream store a redelivery-like copy. */
  async function publish(event: CloudEvent, msgId = event.id): Promise<number> {
    const ack = await js.publish(event.type, JSON.stringify(event), { msgID: msgId });
    published.add(ack.seq);
    return ack.seq;
  }

  /** Waits until the gateway's durable consumer has acknowledged everything up to `seq`. */
  async function handled(seq: number): Promise<void> {
    await until(`the gateway to handle stream seq ${seq}`, async () => {
      const info = await jsm.consumers.info(STREAM_NAME, durable);
      return info.ack_floor.stream_seq >= seq && info.num_ack_pending === 0 ? true : undefined;
    });
  }

  async function submitted(data: Partial<{ host: string; csr: string; issuer: string; requestId: string }> = {}) {
    const host = data.host ?? `srv-${randomUUID().slice(0, 8)}.corp.example.com`;
    const csr = data.csr ?? (await testCsr({ host })).pem;
    const requestId = data.requestId ?? randomUUID();
    requestIds.add(requestId);
    return createEvent(
      RequestSubmittedV1,
      { requestId, host, csr, usages: ['Default'], autoAssign: true, issuer: data.issuer ?? 'internal' },
      { source: 'certflow/request', subject: requestId },
    );
  }

  async function storedRootPem(): Promise<string> {
    const rows = await db.query(`SELECT root_pem FROM ca_gateway.ca_material WHERE issuer = 'internal'`);
    rootPem = rows.rows[0].root_pem as string;
    return rootPem;
  }

  beforeAll(async () => {
    nc = await connectNats({ servers: NATS_URL, name: 'test/ca-gateway-stream' });
    await ensureStream(nc);
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    // The run's consumer starts now: events other runs left in the shared stream are not its business.
    await jsm.consumers.add(STREAM_NAME, {
      durable_name: durable,
      filter_subject: RequestSubmittedV1.subject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
    });
    app = await startGateway();
    db = new Client({ connectionString: `${PG_URL}/${DATABASE}` });
    await db.connect();
  });

  afterAll(async () => {
    await app?.close();
    if (db) await storedRootPem().catch(() => undefined);
    await db?.end().catch(() => undefined);
    if (jsm) await removeRunTraces();
    await jsm?.consumers.delete(STREAM_NAME, durable).catch(() => undefined);
    await nc?.drain().catch(() => undefined);
    const admin = new Client({ connectionString: `${PG_URL}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  });

  describe('when it starts on an empty database', () => {
    it('creates the internal CA and publishes its root and intermediate', async () => {
      const rootPem = await storedRootPem();
      const published = await until('issuer.ca-published', async () => (await eventsOf(IssuerCaPublishedV1)).find((e) => e.data.roots[0] === rootPem));
      expect(published.data).toMatchObject({ issuer: 'internal', roots: [rootPem] });
      expect(published.data.intermediates).toHaveLength(1);
    });
  });

  describe('when a request for the internal issuer is submitted', () => {
    let event: CloudEvent<string, { requestId: string; host: string }>;
    let issued: CloudEvent<typeof CertificateIssuedV1.subject, { requestId: string; certificate: string; chain: string[]; thumbprint: string; issuer: string }>;

    beforeAll(async () => {
      event = await submitted();
      await publish(event);
      issued = await eventFor(CertificateIssuedV1, event.data.requestId);
    });

    it('publishes certificate.issued with a leaf that chains to the published root', async () => {
      expect(issued.subject).toBe(event.data.requestId);
      expect(issued.source).toBe('certflow/ca-gateway');
      expect(issued.data.issuer).toBe('internal');
      const leaf = parseCertificate(issued.data.certificate);
      expect(issued.data.thumbprint).toBe(thumbprintSha1(leaf));
      const result = await validateChain({
        leaf,
        provided: issued.data.chain.map((pem) => parseCertificate(pem)),
        roots: [parseCertificate(await storedRootPem())],
        at: new Date(),
      });
      expect(result).toMatchObject({ status: 'complete' });
    });

    it('records the issuance once, with its thumbprint', async () => {
      const rows = await db.query('SELECT state, thumbprint FROM ca_gateway.issuance WHERE request_id = $1', [event.data.requestId]);
      expect(rows.rows).toEqual([{ state: 'issued', thumbprint: issued.data.thumbprint }]);
    });

    it('does not issue again when the same event is delivered again', async () => {
      await handled(await publish(event, `${event.id}:again`));
      await new Promise((r) => setTimeout(r, 750)); // a relay round or two, should anything have been enqueued
      const all = (await eventsOf(CertificateIssuedV1)).filter((e) => e.data.requestId === event.data.requestId);
      expect(all).toHaveLength(1);
    });

    it('does not issue again for another event naming the same request', async () => {
      const again = { ...event, id: randomUUID() };
      await handled(await publish(again));
      await new Promise((r) => setTimeout(r, 750));
      const all = (await eventsOf(CertificateIssuedV1)).filter((e) => e.data.requestId === event.data.requestId);
      expect(all).toHaveLength(1);
    });
  });

  describe('when a request cannot or cannot yet be issued', () => {
    it('tells that an offline issuer keeps it pending', async () => {
      const event = await submitted({ issuer: 'offline' });
      await publish(event);
      const pending = await eventFor(RequestPendingV1, event.data.requestId);
      expect(pending.data).toEqual({ requestId: event.data.requestId, issuer: 'offline', detail: 'waiting for the certificate to be uploaded' });
    });

    it('fails a request naming an issuer the gateway does not serve', async () => {
      const event = await submitted({ issuer: 'acme' });
      await publish(event);
      const failed = await eventFor(RequestFailedV1, event.data.requestId);
      expect(failed.data).toMatchObject({ stage: 'issuance', code: 'UnknownIssuer' });
    });

    it('fails a request whose CSR does not pass the check again', async () => {
      const event = await submitted({ host: 'other.corp.example.com', csr: (await testCsr({ host: 'not-the-host.corp.example.com' })).pem });
      await publish(event);
      const failed = await eventFor(RequestFailedV1, event.data.requestId);
      expect(failed.data).toMatchObject({ stage: 'issuance', code: 'CsrRejected' });
      expect(failed.data.message).toContain('HOST_NOT_IN_CSR');
    });
  });

  describe('when it restarts on the same database', () => {
    it('keeps its CA: no second CA is created or published, and it still issues', async () => {
      const rootBefore = await storedRootPem();
      await app?.close();
      app = undefined;
      app = await startGateway();

      const event = await submitted();
      await publish(event);
      const issued = await eventFor(CertificateIssuedV1, event.data.requestId);
      const result = await validateChain({
        leaf: parseCertificate(issued.data.certificate),
        provided: issued.data.chain.map((pem) => parseCertificate(pem)),
        roots: [parseCertificate(rootBefore)],
        at: new Date(),
      });
      expect(result).toMatchObject({ status: 'complete' });
      expect(await storedRootPem()).toBe(rootBefore);
      const materials = await db.query('SELECT count(*)::int AS n FROM ca_gateway.ca_material');
      expect(materials.rows[0].n).toBe(1);
      const published = (await eventsOf(IssuerCaPublishedV1)).filter((e) => e.data.roots[0] === rootBefore);
      expect(published).toHaveLength(1);
    });

    it('refuses to start with another CERTFLOW_CA_KEY, saying which key to use', async () => {
      await expect(startGateway(randomBytes(32).toString('hex'), `${SERVICE}-wrong-key`)).rejects.toThrow(
        'CERTFLOW_CA_KEY does not decrypt the stored CA key; use the key the CA was created with',
      );
    });
  });
});
