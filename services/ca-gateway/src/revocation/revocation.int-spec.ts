import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import {
  type CloudEvent,
  CertificateIssuedV1,
  CertificateRevokedV1,
  createEvent,
  type EventDefinition,
  parseEvent,
  RequestSubmittedV1,
  RevocationRequestedV1,
  RPC,
  STREAM_NAME,
  type PkiCrlResult,
  type PkiOcspResult,
  type RevocationReason,
} from '@certflow/contracts';
import { callRpc, connectNats, consumerName, ensureStream, JetStreamServer, JobScheduler, type NatsConnection, type ScheduledJob } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { createRootCa, issueLeaf, parseCertificate, toPem, x509 } from '@certflow/pki';
import { createLogger, PinoNestLogger } from '@certflow/runtime';
import { testCsr } from '@certflow/testing';
import { AppModule } from '../app.module';
import { loadCaGatewayConfig } from '../config';
import { CrlStore } from './crl.store';
import { InternalSigners } from './internal-signers';

jest.setTimeout(120_000);

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const RUN = randomBytes(4).toString('hex');
const DATABASE = `certflow_test_cagw_rev_${RUN}`;
const SERVICE = `ca-gateway-rev-${RUN}`;
const LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
const CA_KEY = randomBytes(32).toString('hex');
const PUBLIC_URL = 'https://pki.example.test';

function config(extra: Record<string, string> = {}) {
  return loadCaGatewayConfig({
    NATS_URL,
    DATABASE_URL: `${PG_URL}/${DATABASE}`,
    CERTFLOW_CA_KEY: CA_KEY,
    CERTFLOW_LOG_LEVEL: LOG_LEVEL,
    CERTFLOW_PUBLIC_URL: PUBLIC_URL,
    ...extra,
  } as NodeJS.ProcessEnv);
}

async function startGateway(extra: Record<string, string> = {}): Promise<INestMicroservice> {
  const logger = createLogger(SERVICE, LOG_LEVEL);
  const app = await NestFactory.createMicroservice(AppModule.forRoot(config(extra), { service: SERVICE }), {
    strategy: new JetStreamServer({ servers: NATS_URL, service: SERVICE, logger }),
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

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** openssl's stdout and stderr (it says "verify OK" on stderr), and FAILED when it exits non-zero. */
const openssl = (args: string[]): string => {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}${r.status === 0 ? '' : 'FAILED'}`;
};

describe('ca-gateway revocation: CRL, OCSP, revocation.requested (PostgreSQL + JetStream)', () => {
  const since = new Date(Date.now() - 1000).toISOString();
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let db: Client;
  let app: INestMicroservice | undefined;
  let second: INestMicroservice | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'cagw-rev-'));
  const published = new Set<number>();
  const requestIds = new Set<string>();
  const durables = [consumerName(SERVICE, RequestSubmittedV1.subject), consumerName(SERVICE, RevocationRequestedV1.subject)];

  async function eventsOf<S extends string, T>(definition: EventDefinition<S, T>): Promise<Map<number, CloudEvent<S, T>>> {
    const consumer = await js.consumers.get(STREAM_NAME, { filter_subjects: definition.subject, deliver_policy: DeliverPolicy.StartTime, opt_start_time: since });
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

  async function publish(event: CloudEvent): Promise<number> {
    const ack = await js.publish(event.type, JSON.stringify(event), { msgID: event.id });
    published.add(ack.seq);
    return ack.seq;
  }

  async function handled(seq: number, durable: string): Promise<void> {
    await until(`stream seq ${seq} handled`, async () => {
      const info = await jsm.consumers.info(STREAM_NAME, durable);
      return info.ack_floor.stream_seq >= seq && info.num_ack_pending === 0 ? true : undefined;
    });
  }

  /** Submits a request for the internal issuer and waits for its certificate. */
  async function issue(): Promise<{ requestId: string; host: string; certificate: string; thumbprint: string; chain: string[] }> {
    const host = `srv-${randomUUID().slice(0, 8)}.corp.example.com`;
    const requestId = randomUUID();
    requestIds.add(requestId);
    await publish(createEvent(RequestSubmittedV1, { requestId, host, csr: (await testCsr({ host })).pem, usages: ['Default'], autoAssign: true, issuer: 'internal' }, { source: 'certflow/request', subject: requestId }));
    const issued = await until('certificate.issued', async () => [...(await eventsOf(CertificateIssuedV1)).values()].find((e) => e.data.requestId === requestId));
    return { requestId, host, certificate: issued.data.certificate, thumbprint: issued.data.thumbprint, chain: issued.data.chain };
  }

  function revocationRequested(leaf: { requestId: string; host: string; certificate: string; thumbprint: string }, reason: RevocationReason, issuer = 'internal') {
    return createEvent(
      RevocationRequestedV1,
      { requestId: leaf.requestId, host: leaf.host, thumbprint: leaf.thumbprint, issuer, certificate: leaf.certificate, reason, requestedAt: new Date().toISOString(), actor: 'test' },
      { source: 'certflow/request', subject: leaf.requestId },
    );
  }

  async function revokedEventsFor(thumbprint: string) {
    return [...(await eventsOf(CertificateRevokedV1)).values()].filter((e) => e.data.thumbprint === thumbprint);
  }

  async function crl(): Promise<{ der: Buffer; crl: x509.X509Crl }> {
    const r = await callRpc<PkiCrlResult>(nc, RPC.pkiCrl, { issuer: 'internal' });
    const der = Buffer.from(r.der, 'base64');
    return { der, crl: new x509.X509Crl(new Uint8Array(der)) };
  }

  async function crlNumber(): Promise<number> {
    const rows = await db.query(`SELECT crl_number FROM crl WHERE issuer = 'internal'`);
    return Number(rows.rows[0].crl_number);
  }

  let rootPem: string;
  let intermediatePem: string;
  let revoked: Awaited<ReturnType<typeof issue>>;
  let good: Awaited<ReturnType<typeof issue>>;

  beforeAll(async () => {
    nc = await connectNats({ servers: NATS_URL, name: 'test/ca-gateway-revocation' });
    await ensureStream(nc);
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    for (const [i, subject] of [RequestSubmittedV1.subject, RevocationRequestedV1.subject].entries()) {
      await jsm.consumers.add(STREAM_NAME, { durable_name: durables[i], filter_subject: subject, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New });
    }
    app = await startGateway();
    db = new Client({ connectionString: `${PG_URL}/${DATABASE}` });
    await db.connect();
    await db.query('SET search_path TO ca_gateway');
    const ca = await db.query(`SELECT root_pem, intermediate_pem FROM ca_material WHERE issuer = 'internal'`);
    rootPem = ca.rows[0].root_pem;
    intermediatePem = ca.rows[0].intermediate_pem;
    writeFileSync(join(dir, 'root.pem'), rootPem);
    writeFileSync(join(dir, 'int.pem'), intermediatePem);
    writeFileSync(join(dir, 'chain.pem'), intermediatePem + rootPem);
    revoked = await issue();
    good = await issue();
    writeFileSync(join(dir, 'revoked.pem'), revoked.certificate);
    writeFileSync(join(dir, 'good.pem'), good.certificate);
  });

  afterAll(async () => {
    await second?.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await db?.end().catch(() => undefined);
    if (jsm) {
      const ours = [...published];
      for (const def of [CertificateIssuedV1, CertificateRevokedV1] as EventDefinition<string, { requestId: string }>[]) {
        for (const [seq, e] of await eventsOf(def)) if (requestIds.has(e.data.requestId)) ours.push(seq);
      }
      for (const seq of ours) await jsm.streams.deleteMessage(STREAM_NAME, seq, false).catch(() => undefined);
      for (const d of durables) await jsm.consumers.delete(STREAM_NAME, d).catch(() => undefined);
    }
    await nc?.drain().catch(() => undefined);
    const admin = new Client({ connectionString: `${PG_URL}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issues leaves that carry the CRL distribution point and OCSP URL under CERTFLOW_PUBLIC_URL, and records their serials', async () => {
    const text = openssl(['x509', '-in', join(dir, 'good.pem'), '-noout', '-ext', 'crlDistributionPoints,authorityInfoAccess']);
    expect(text).toContain(`URI:${PUBLIC_URL}/pki/internal/crl`);
    expect(text).toContain(`OCSP - URI:${PUBLIC_URL}/pki/internal/ocsp`);
    const rows = await db.query('SELECT serial, thumbprint FROM issued_serial WHERE request_id = $1', [good.requestId]);
    expect(rows.rows).toEqual([{ serial: parseCertificate(good.certificate).serialNumber.toUpperCase().replace(/^(00)+(?=..)/, ''), thumbprint: good.thumbprint }]);
  });

  it('serves a first, empty CRL that openssl verifies against the issuing CA', async () => {
    const { der, crl: first } = await crl();
    expect(first.entries).toHaveLength(0);
    writeFileSync(join(dir, 'crl0.der'), der);
    expect(openssl(['crl', '-inform', 'DER', '-in', join(dir, 'crl0.der'), '-CAfile', join(dir, 'int.pem'), '-noout', '-verify'])).toContain('verify OK');
  });

  it('revokes an internal certificate once: certificate.revoked, a new CRL with the entry, the serial in OCSP', async () => {
    const before = await crlNumber();
    const seq = await publish(revocationRequested(revoked, 'keyCompromise'));
    const [event] = await until('certificate.revoked', async () => {
      const found = await revokedEventsFor(revoked.thumbprint);
      return found.length ? found : undefined;
    });
    await handled(seq, durables[1]);
    expect(event.data).toMatchObject({ requestId: revoked.requestId, host: revoked.host, thumbprint: revoked.thumbprint, reason: 'keyCompromise', atCa: 'crl-ocsp' });
    expect(await crlNumber()).toBe(before + 1);

    const { der, crl: current } = await crl();
    expect(current.entries.map((e) => e.serialNumber.toUpperCase())).toEqual([parseCertificate(revoked.certificate).serialNumber.toUpperCase()]);
    expect(current.entries[0].reason).toBe(1);
    writeFileSync(join(dir, 'crl.der'), der);
    expect(openssl(['crl', '-inform', 'DER', '-in', join(dir, 'crl.der'), '-out', join(dir, 'crl.pem')])).not.toContain('FAILED');
    expect(openssl(['crl', '-in', join(dir, 'crl.pem'), '-CAfile', join(dir, 'int.pem'), '-noout', '-verify'])).toContain('verify OK');
    const text = openssl(['crl', '-in', join(dir, 'crl.pem'), '-noout', '-text']);
    expect(text).toMatch(/X509v3 CRL Number:\s*\n\s*\d+/);
    expect(text).toContain('Key Compromise');
    expect(text).toContain('X509v3 Authority Key Identifier');

    // openssl verify -crl_check: the revoked leaf is refused, the good one accepted.
    const untrusted = ['-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'int.pem'), '-CRLfile', join(dir, 'crl.pem'), '-crl_check'];
    expect(openssl(['verify', ...untrusted, join(dir, 'revoked.pem')])).toContain('certificate revoked');
    expect(openssl(['verify', ...untrusted, join(dir, 'good.pem')])).toContain(': OK');
  });

  it('publishes nothing again and keeps the CRL when the same certificate is asked to be revoked again', async () => {
    const before = await crlNumber();
    await handled(await publish(revocationRequested(revoked, 'superseded')), durables[1]);
    await new Promise((r) => setTimeout(r, 750));
    expect(await revokedEventsFor(revoked.thumbprint)).toHaveLength(1);
    expect(await crlNumber()).toBe(before);
    const rows = await db.query('SELECT reason FROM revocation WHERE thumbprint = $1', [revoked.thumbprint]);
    expect(rows.rows).toEqual([{ reason: 'keyCompromise' }]);
  });

  describe('OCSP (pki.ocsp, checked with openssl ocsp)', () => {
    /** openssl's request (with its nonce) through pki.ocsp; openssl's verdict on the answer. */
    async function ask(certFile: string): Promise<string> {
      const req = join(dir, `${certFile}.req`);
      const resp = join(dir, `${certFile}.resp`);
      openssl(['ocsp', '-issuer', join(dir, 'int.pem'), '-cert', join(dir, certFile), '-reqout', req]);
      const r = await callRpc<PkiOcspResult>(nc, RPC.pkiOcsp, { issuer: 'internal', request: readFileSync(req).toString('base64') });
      writeFileSync(resp, Buffer.from(r.der, 'base64'));
      const trust = ['-CAfile', join(dir, 'root.pem'), '-verify_other', join(dir, 'int.pem')];
      // With the request: signature and nonce checked. With -cert: the status printed (openssl makes
      // a request of its own then, with another nonce: -no_nonce).
      const verified = openssl(['ocsp', '-reqin', req, '-respin', resp, ...trust]);
      return verified + openssl(['ocsp', '-respin', resp, '-issuer', join(dir, 'int.pem'), '-cert', join(dir, certFile), '-no_nonce', ...trust]);
    }

    it('says revoked (with time and reason) for the revoked leaf, nonce echoed and signature verified', async () => {
      const out = await ask('revoked.pem');
      expect(out).toContain('Response verify OK');
      expect(out).toContain('revoked.pem: revoked');
      expect(out).toContain('Reason: keyCompromise');
      expect(out).not.toMatch(/nonce/i);
    });

    it('says good for a leaf it issued and has not revoked', async () => {
      const out = await ask('good.pem');
      expect(out).toContain('Response verify OK');
      expect(out).toContain('good.pem: good');
    });

    it('says unknown for a serial it never issued, and for a certificate of another issuer', async () => {
      const stranger = await x509.X509CertificateGenerator.create({
        serialNumber: '0badc0ffee',
        subject: 'CN=stranger',
        issuer: parseCertificate(intermediatePem).subject,
        notBefore: new Date(),
        notAfter: new Date(Date.now() + 86_400_000),
        publicKey: parseCertificate(good.certificate).publicKey,
        signingKey: (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])).privateKey,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      });
      writeFileSync(join(dir, 'stranger.pem'), stranger.toString('pem'));
      expect(await ask('stranger.pem')).toContain('stranger.pem: unknown');
      // Asked about as a certificate of the root (another issuer's name and key hashes): unknown.
      const req = join(dir, 'other.req');
      openssl(['ocsp', '-issuer', join(dir, 'root.pem'), '-serial', `0x${parseCertificate(good.certificate).serialNumber}`, '-reqout', req]);
      const r = await callRpc<PkiOcspResult>(nc, RPC.pkiOcsp, { issuer: 'internal', request: readFileSync(req).toString('base64') });
      writeFileSync(join(dir, 'other.resp'), Buffer.from(r.der, 'base64'));
      expect(openssl(['ocsp', '-respin', join(dir, 'other.resp'), '-resp_text', '-noverify'])).toContain('Cert Status: unknown');
    });

    it('answers malformedRequest to bytes that are not an OCSP request', async () => {
      const r = await callRpc<PkiOcspResult>(nc, RPC.pkiOcsp, { issuer: 'internal', request: Buffer.from('not ocsp').toString('base64') });
      writeFileSync(join(dir, 'bad.resp'), Buffer.from(r.der, 'base64'));
      expect(openssl(['ocsp', '-respin', join(dir, 'bad.resp'), '-resp_text', '-noverify'])).toContain('malformedrequest');
    });

    it('answers 404 for an issuer that is not internal', async () => {
      await expect(callRpc(nc, RPC.pkiCrl, { issuer: 'offline' })).rejects.toMatchObject({ code: 'ISSUER_NOT_FOUND', status: 404 });
    });
  });

  it('records an offline certificate as revoked by hand (atCa manual) and lists it in no CRL', async () => {
    const leaf = { requestId: randomUUID(), host: 'offline.corp.example.com', thumbprint: 'A'.repeat(40) };
    requestIds.add(leaf.requestId);
    const offlineCa = await createRootCa({ subject: 'CN=Offline Spec CA' });
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const issued = await issueLeaf({ issuer: offlineCa, publicKey: keys.publicKey, subject: leaf.host, dnsNames: [leaf.host], serialNumber: '0abc' });
    const offlineLeaf = { ...leaf, certificate: toPem(issued) };
    await publish(revocationRequested(offlineLeaf, 'cessationOfOperation', 'offline'));
    const [event] = await until('certificate.revoked (offline)', async () => {
      const found = await revokedEventsFor(leaf.thumbprint);
      return found.length ? found : undefined;
    });
    expect(event.data).toMatchObject({ atCa: 'manual', reason: 'cessationOfOperation', serialNumber: '0ABC' });
    expect((await crl()).crl.entries).toHaveLength(1);
  });

  it('numbers CRLs strictly upwards when two gateway instances sign at once', async () => {
    second = await startGateway();
    const instances = [app!, second];
    const start = await crlNumber();
    const signed: string[] = [];
    const schedulers = instances.map((a) => {
      const crls = a.get(CrlStore);
      const signer = a.get(InternalSigners).get('internal')!;
      const job: ScheduledJob = {
        name: 'test.resign',
        due: async (tx, now) => {
          const write = await crls.next(tx, 'internal', signer, now);
          signed.push(String(write!.row.crlNumber));
          return { writes: [write!], publish: [], taken: 0 };
        },
      };
      const scheduler = new JobScheduler(a.get<DataSource>(DATA_SOURCE), { publishCommitted: () => undefined }, { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined } as never, { now: () => new Date() });
      return () => scheduler.runOnce(job);
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => schedulers[i % 2]()));
    expect(await crlNumber()).toBe(start + 20);
    expect(new Set(signed).size).toBe(20);
    expect([...signed].map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => start + 1 + i));
    // Still the revoked entry and a valid signature.
    const { crl: current } = await crl();
    expect(current.entries).toHaveLength(1);
    expect(await current.verify({ publicKey: parseCertificate(intermediatePem).publicKey })).toBe(true);
  });

  it('refuses to start with another CERTFLOW_PUBLIC_URL unless the change is accepted', async () => {
    await expect(startGateway({ CERTFLOW_PUBLIC_URL: 'https://elsewhere.example.test' })).rejects.toThrow(
      `CERTFLOW_PUBLIC_URL is https://elsewhere.example.test but certificates were issued with ${PUBLIC_URL}`,
    );
    const accepted = await startGateway({ CERTFLOW_PUBLIC_URL: 'https://elsewhere.example.test', CERTFLOW_PUBLIC_URL_CHANGE: 'accept' });
    await accepted.close();
    const rows = await db.query(`SELECT value FROM gateway_setting WHERE name = 'public_url'`);
    expect(rows.rows).toEqual([{ value: 'https://elsewhere.example.test' }]);
  });
});
