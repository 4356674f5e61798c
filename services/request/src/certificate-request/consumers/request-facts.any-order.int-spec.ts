import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AssignmentRequestedV1, CertificateAssignedV1, CertificateIssuedV1, ChainCompleteV1, ChainIncompleteV1, createEvent } from '@certflow/contracts';
import { thumbprintSha1 } from '@certflow/pki';
import { runId, testCsr, TestPki, type IssuedLeaf } from '@certflow/testing';
import { RequestCommandService } from '../commands/request-command.service';
import { openRequestTestDatabase, requestFactsKit } from './request-facts.test-kit';

jest.setTimeout(60_000);

const at = (s: number) => new Date(Date.UTC(2030, 7, 1, 9, 0, s));
const src = { source: 'certflow/test' };

// The request's fact handlers on real PostgreSQL when trust-validation's facts overtake ca-gateway's:
// a validation that carries the certificate applies at once, in a batch with many others, and the
// certificate.issued that follows changes nothing.
describe('request fact handlers, facts in any order (real PostgreSQL)', () => {
  let ds: DataSource;
  let pki: TestPki;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ ds, drop } = await openRequestTestDatabase());
    pki = await TestPki.create();
  });
  afterAll(async () => {
    await drop?.();
  });

  const commands = new RequestCommandService();
  interface Made {
    id: string;
    host: string;
    leaf: IssuedLeaf;
    thumbprint: string;
  }
  async function submitted(count: number): Promise<Made[]> {
    const made: Made[] = [];
    for (let i = 0; i < count; i++) {
      const host = `any-order-${runId()}.example.com`;
      const { request } = await commands.submit(
        ds.manager,
        { type: 'Submit', at: at(0), id: randomUUID(), host, usages: ['Default'], autoAssign: true, issuer: 'internal', friendlyName: null, csr: (await testCsr({ host })).pem },
        { idempotencyKey: null, bodyHash: null },
      );
      const leaf = await pki.leafFor({ host });
      made.push({ id: request.id, host, leaf, thumbprint: thumbprintSha1(leaf.certificate) });
    }
    return made;
  }

  const path = (r: Made) => [r.thumbprint, thumbprintSha1(pki.intermediate.certificate), thumbprintSha1(pki.root.certificate)];
  const complete = (r: Made, s: number) =>
    createEvent(ChainCompleteV1, { requestId: r.id, thumbprint: r.thumbprint, path: path(r), certificate: r.leaf.pem, chain: [pki.intermediate.pem] }, { ...src, subject: r.id, time: at(s) });
  const incomplete = (r: Made, s: number) =>
    createEvent(
      ChainIncompleteV1,
      { requestId: r.id, thumbprint: r.thumbprint, missing: [{ kind: 'root', subject: 'CN=certflow Test Root' }], reasons: ['no trusted root'], certificate: r.leaf.pem, chain: [pki.intermediate.pem] },
      { ...src, subject: r.id, time: at(s) },
    );
  const issued = (r: Made, s: number) =>
    createEvent(CertificateIssuedV1, { requestId: r.id, issuer: 'internal', certificate: r.leaf.pem, chain: [pki.intermediate.pem], thumbprint: r.thumbprint }, { ...src, subject: r.id, time: at(s) });
  const assigned = (r: Made, s: number) =>
    createEvent(CertificateAssignedV1, { requestId: r.id, host: r.host, usages: ['Default'], thumbprint: r.thumbprint, certificate: r.leaf.pem, chain: [pki.intermediate.pem] }, { source: 'certflow/assignment', subject: r.id, time: at(s) });

  const rows = async (ids: string[]) =>
    Object.fromEntries(
      (await ds.query(`SELECT id, state, version, thumbprint, certificate, chain, updated_at FROM certificate_request WHERE id = ANY ($1)`, [ids])).map((r: { id: string }) => [r.id, r]),
    );
  const histories = async (ids: string[]): Promise<Record<string, { state: string; at: Date }[]>> => {
    const out: Record<string, { state: string; at: Date }[]> = Object.fromEntries(ids.map((id) => [id, []]));
    for (const h of await ds.query(`SELECT request_id, state, at FROM request_history WHERE request_id = ANY ($1) ORDER BY seq`, [ids])) out[h.request_id].push({ state: h.state, at: h.at });
    return out;
  };
  const asked = async (ids: string[]): Promise<string[]> =>
    (await ds.query(`SELECT payload->'data'->>'requestId' AS id FROM outbox WHERE subject = $1 AND payload->'data'->>'requestId' = ANY ($2)`, [AssignmentRequestedV1.subject, ids])).map(
      (r: { id: string }) => r.id,
    );

  it('applies chain.complete before certificate.issued for many requests in one batch, with no retry, each transition once', async () => {
    const made = await submitted(24);
    const ids = made.map((r) => r.id);
    const facts = requestFactsKit(ds);

    expect(await facts.deliver(made.map((r) => complete(r, 2)))).toEqual(made.map(() => ({ action: 'ack' })));
    const after = await rows(ids);
    for (const r of made) {
      expect(after[r.id]).toMatchObject({ state: 'ASSIGNABLE', version: 1, thumbprint: r.thumbprint, certificate: r.leaf.pem, chain: [pki.intermediate.pem], updated_at: at(2) });
    }
    const expectedHistory = [
      { state: 'SUBMITTED', at: at(0) },
      { state: 'ISSUED', at: at(2) },
      { state: 'ASSIGNABLE', at: at(2) },
    ];
    expect(await histories(ids)).toEqual(Object.fromEntries(ids.map((id) => [id, expectedHistory])));
    expect((await asked(ids)).sort()).toEqual([...ids].sort());
    expect(facts.published.filter((e) => e.type === AssignmentRequestedV1.subject)).toHaveLength(made.length);
    // The catalog has the certificate the validation brought, for "View Certificate Details".
    expect(await ds.query(`SELECT 1 FROM seen_certificate WHERE thumbprint = $1`, [made[0].thumbprint])).toHaveLength(1);

    // certificate.issued, late: already recorded. Nothing changes, nothing is asked again, no warning.
    expect(await facts.deliver(made.map((r) => issued(r, 1)))).toEqual(made.map(() => ({ action: 'ack' })));
    expect(await rows(ids)).toEqual(after);
    expect(await histories(ids)).toEqual(Object.fromEntries(ids.map((id) => [id, expectedHistory])));
    expect(await asked(ids)).toHaveLength(made.length);
    expect(facts.warnings).toEqual([]);

    expect(await facts.deliver(made.map((r) => assigned(r, 3)))).toEqual(made.map(() => ({ action: 'ack' })));
    const done = await rows(ids);
    for (const id of ids) expect(done[id]).toMatchObject({ state: 'ASSIGNED', version: 2 });
  });

  it('applies chain.incomplete before certificate.issued, and waits for an import (no assignment asked)', async () => {
    const made = await submitted(3);
    const ids = made.map((r) => r.id);
    const facts = requestFactsKit(ds);
    expect(await facts.deliver(made.map((r) => incomplete(r, 2)))).toEqual(made.map(() => ({ action: 'ack' })));
    expect(await facts.deliver(made.map((r) => issued(r, 1)))).toEqual(made.map(() => ({ action: 'ack' })));
    const after = await rows(ids);
    for (const r of made) expect(after[r.id]).toMatchObject({ state: 'CHAIN_INCOMPLETE', version: 1, thumbprint: r.thumbprint });
    expect(Object.values(await histories(ids)).map((h) => h.map((x) => x.state))).toEqual(made.map(() => ['SUBMITTED', 'ISSUED', 'CHAIN_INCOMPLETE']));
    expect(await asked(ids)).toEqual([]);
  });

  it('ignores a late certificate.issued of another certificate (as in ISSUED: a certificate was already recorded), keeping it out of the catalog', async () => {
    const [r] = await submitted(1);
    const facts = requestFactsKit(ds);
    await facts.deliver([complete(r, 2)]);
    const before = await rows([r.id]);
    const other = await pki.leafFor({ host: r.host });
    const foreign = createEvent(CertificateIssuedV1, { requestId: r.id, issuer: 'internal', certificate: other.pem, chain: [], thumbprint: thumbprintSha1(other.certificate) }, { ...src, subject: r.id, time: at(3) });
    expect(await facts.deliver([foreign])).toEqual([{ action: 'ack' }]);
    expect(await rows([r.id])).toEqual(before);
    expect(facts.warnings).toEqual([]);
    expect(await ds.query(`SELECT 1 FROM seen_certificate WHERE thumbprint = $1`, [thumbprintSha1(other.certificate)])).toHaveLength(0);
  });
});
