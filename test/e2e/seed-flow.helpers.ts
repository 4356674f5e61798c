/**
 * Helpers for the seed's "summary status" flow (issue #3): CA hierarchies made at test time, offline
 * requests whose CSR key the test holds, uploads, trust imports, and reading the CERTFLOW stream.
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createIntermediateCa, createRootCa, issueLeaf, toPem, type CaMaterial, type LeafEku } from '@certflow/pki';
import { testCsr } from '@certflow/testing';
import { waitForRequest, type Certflow } from './harness';

export type Ca = CaMaterial & { pem: string };

/** A root → intermediate hierarchy whose names are unique to `label`, so tests never close each other's gaps. */
export async function hierarchy(label: string): Promise<{ root: Ca; intermediate: Ca }> {
  const root = await createRootCa({ subject: `CN=Seed Root ${label}, O=certflow e2e` });
  const intermediate = await createIntermediateCa({ subject: `CN=Seed Issuing CA ${label}, O=certflow e2e`, issuer: root, pathLength: 0 });
  return { root: { ...root, pem: toPem(root.certificate) }, intermediate: { ...intermediate, pem: toPem(intermediate.certificate) } };
}

export interface OfflineRequest {
  id: string;
  host: string;
  keys: CryptoKeyPair;
}

/** Submits an offline request for `host` (a CSR made with a key the test keeps) and waits until it is PENDING. */
export async function pendingOfflineRequest(cf: Certflow, host: string, body: Record<string, unknown> = {}): Promise<OfflineRequest> {
  const csr = await testCsr({ host });
  const created = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: csr.pem, issuer: 'offline', ...body } });
  if (created.status !== 201) throw new Error(`submit failed: ${created.status} ${JSON.stringify(created.body)}`);
  await waitForRequest(cf, created.body.id, (v) => v.state === 'PENDING');
  return { id: created.body.id, host, keys: csr.keys };
}

/** The certificate an offline CA issues for the request's CSR key. */
export async function leafFor(
  request: Pick<OfflineRequest, 'host' | 'keys'>,
  issuer: CaMaterial,
  opts: { eku?: LeafEku[]; notBefore?: Date; notAfter?: Date } = {},
): Promise<string> {
  const cert = await issueLeaf({ issuer, publicKey: request.keys.publicKey, subject: `CN=${request.host}`, dnsNames: [request.host], ...opts });
  return toPem(cert);
}

export async function upload(cf: Certflow, id: string, certificate: string, chain?: string | string[]) {
  return cf.api(`/api/v1/requests/${id}/certificate`, { method: 'POST', json: { certificate, ...(chain === undefined ? {} : { chain }) } });
}

/** Imports PEM text into a trust store, as an operator would with curl --data-binary @ca.pem. */
export async function importTrust(cf: Certflow, store: 'roots' | 'intermediates', pem: string, contentType = 'application/x-pem-file') {
  return cf.api(`/api/v1/trust/${store}`, { method: 'POST', body: pem, headers: { 'content-type': contentType } });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One message as stream CERTFLOW stored it. */
export interface StoredMessage {
  seq: number;
  subject: string;
  msgId: string | undefined;
  body: any;
}

/** Every message stream CERTFLOW holds under `certflow.>`, oldest first, read by an ephemeral consumer. */
export async function readStream(bus: Pick<Certflow, 'connectNats'>, filter = 'certflow.>'): Promise<StoredMessage[]> {
  const nc = await bus.connectNats();
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.consumers.add('CERTFLOW', { filter_subject: filter, ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, inactive_threshold: 30_000_000_000 });
    try {
      const consumer = await jetstream(nc).consumers.get('CERTFLOW', info.name);
      const out: StoredMessage[] = [];
      while (out.length < info.num_pending) {
        const before = out.length;
        const batch = await consumer.fetch({ max_messages: Math.min(info.num_pending - out.length, 1000), expires: 2_000 });
        for await (const m of batch) {
          out.push({ seq: m.seq, subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') || undefined, body: JSON.parse(m.string()) });
        }
        if (out.length === before) break;
      }
      return out;
    } finally {
      await jsm.consumers.delete('CERTFLOW', info.name).catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
}
