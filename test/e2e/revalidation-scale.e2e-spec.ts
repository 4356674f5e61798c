/**
 * Issue #3 at fleet scale: 1,000 requests wait in CHAIN_INCOMPLETE on one missing intermediate; one
 * import of that intermediate moves every one of them to ASSIGNABLE, quickly.
 */
import { Client } from 'pg';
import { thumbprintSha1 } from '@certflow/pki';
import { testCsr } from '@certflow/testing';
import { startCertflow, type Certflow } from './harness';
import { hierarchy, importTrust, leafFor, sleep, upload } from './seed-flow.helpers';

jest.setTimeout(300_000);

const COUNT = 1_000;
const CONCURRENCY = 20;
const BOUND_MS = 60_000;
const HOST = 'pool.scale.example.com';

/** Runs `work` over `items`, at most `limit` at a time. */
async function inParallel<T, R>(items: T[], limit: number, work: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i], i);
      }
    }),
  );
  return out;
}

describe('re-validation at scale (issue #3)', () => {
  let cf: Certflow;
  beforeAll(async () => {
    cf = await startCertflow();
  });
  afterAll(async () => {
    await cf?.stop();
  });

  /** The ids of the requests for HOST in `state`, read through the list API 500 at a time. */
  const idsIn = async (state: string): Promise<Set<string>> => {
    const ids = new Set<string>();
    let cursor: string | null = null;
    do {
      const res: { status: number; body: any } = await cf.api(`/api/v1/requests?state=${state}&host=${HOST}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      if (res.status !== 200) throw new Error(`list failed: ${res.status} ${JSON.stringify(res.body)}`);
      for (const item of res.body.items) ids.add(item.id);
      cursor = res.body.nextCursor;
    } while (cursor);
    return ids;
  };

  const waitForAll = async (state: string, expected: string[], timeoutMs: number): Promise<number> => {
    const started = Date.now();
    let seen = new Set<string>();
    while (Date.now() - started < timeoutMs) {
      seen = await idsIn(state);
      if (expected.every((id) => seen.has(id))) return Date.now() - started;
      await sleep(250);
    }
    throw new Error(`only ${expected.filter((id) => seen.has(id)).length} of ${expected.length} requests reached ${state} within ${timeoutMs} ms`);
  };

  it('moves 1,000 requests waiting on one missing intermediate to ASSIGNABLE after a single import, within 60 seconds', async () => {
    const { root, intermediate } = await hierarchy('scale');
    expect((await importTrust(cf, 'roots', root.pem)).status).toBe(201);
    // One CSR and key for the whole pool: every request carries the same public key.
    const csr = await testCsr({ host: HOST });

    let t = Date.now();
    const ids = await inParallel(Array.from({ length: COUNT }), CONCURRENCY, async () => {
      const res = await cf.api('/api/v1/requests', { method: 'POST', json: { host: HOST, csr: csr.pem, issuer: 'offline' } });
      if (res.status !== 201) throw new Error(`submit failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    });
    expect(new Set(ids).size).toBe(COUNT);
    const submitMs = Date.now() - t;
    const pendingMs = await waitForAll('PENDING', ids, 120_000);

    t = Date.now();
    const leaves = await inParallel(ids, CONCURRENCY, () => leafFor({ host: HOST, keys: csr.keys }, intermediate));
    const issueMs = Date.now() - t;
    t = Date.now();
    await inParallel(ids, CONCURRENCY, async (id, i) => {
      // Without the intermediate: the chain cannot be built.
      const res = await upload(cf, id, leaves[i]);
      if (res.status !== 202) throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
    });
    const uploadMs = Date.now() - t;
    const incompleteMs = await waitForAll('CHAIN_INCOMPLETE', ids, 120_000);
    const sample = (await cf.api(`/api/v1/requests/${ids[0]}`)).body;
    expect(sample.validation.missing).toEqual([expect.objectContaining({ kind: 'intermediate', subject: 'CN=Seed Issuing CA scale, O=certflow e2e' })]);
    expect((await idsIn('ASSIGNABLE')).size).toBe(0);

    t = Date.now();
    const imported = await importTrust(cf, 'intermediates', intermediate.pem);
    expect(imported.status).toBe(201);
    expect(imported.body.imported).toEqual([thumbprintSha1(intermediate.certificate)]);
    const revalidationMs = Date.now() - t + (await waitForAll('ASSIGNABLE', ids, BOUND_MS));

    const assignable = await idsIn('ASSIGNABLE');
    expect(assignable.size).toBe(COUNT);
    expect((await idsIn('CHAIN_INCOMPLETE')).size).toBe(0);
    // None of them was assigned on its own: each waited for the import, so each waits for Assign.
    expect((await idsIn('ASSIGNED')).size).toBe(0);

    // Where the time went (for the report, not asserted): trust-validation writing the chain.complete
    // events, its relay publishing them, and the request service applying them.
    const pg = new Client({ connectionString: cf.databaseUrl });
    await pg.connect();
    const ms = (d: Date | null) => (d ? `+${new Date(d).getTime() - t} ms` : '-');
    const tv = (await pg.query(`SELECT min(created_at) AS first, max(created_at) AS last, max(published_at) AS published FROM trust_validation.outbox WHERE subject = 'certflow.chain.complete.v1'`)).rows[0];
    const rq = (await pg.query(`SELECT min(received_at) AS first, max(received_at) AS last FROM request.inbox WHERE consumer = 'request.certflow.chain.complete.v1'`)).rows[0];
    await pg.end();
    const breakdown = `trust-validation wrote chain.complete ${ms(tv.first)} … ${ms(tv.last)}, published by ${ms(tv.published)}; request applied them ${ms(rq.first)} … ${ms(rq.last)}`;
    const revalidationLog = [breakdown, ...cf.logs.get('trust-validation')!.join('').split('\n').filter((l) => l.includes('re-validated'))];
    console.log(
      `revalidation scale: ${COUNT} requests — submit ${submitMs} ms, all PENDING +${pendingMs} ms, ` +
        `issue leaves ${issueMs} ms, upload ${uploadMs} ms, all CHAIN_INCOMPLETE +${incompleteMs} ms; ` +
        `import → all ${COUNT} ASSIGNABLE in ${revalidationMs} ms\n${revalidationLog.join('\n')}`,
    );
    expect(revalidationMs).toBeLessThan(BOUND_MS);
  });
});
