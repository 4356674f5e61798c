// The floor: what the contract's least work per certificate costs on this machine's own NATS,
// PostgreSQL and crypto, with no certflow code, framework or JSON in between. certflow cannot go
// below it in its fixed shape (four services, one event per request per step, state in PostgreSQL),
// so `npm run bench` prints it beside the measured figure: the gap between the two is what code can
// still win; the floor itself only fewer messages, statements or signatures can lower.
import { webcrypto } from 'node:crypto';
import { join } from 'node:path';
import { processCpuMs } from './bench-readings.mjs';
import { ROOT } from './infra.mjs';

/**
 * The least work per certificate the contract allows (CONTRACT.md, "Events" and "The request
 * lifecycle"), counted once here so the printout can say where each number comes from.
 */
export const CONTRACT_MINIMUM = {
  // request.submitted, certificate.issued, chain.complete, certificate.assigned
  publishes: 4,
  // ca-gateway ← submitted; trust-validation ← issued; request ← issued, chain.complete, assigned;
  // assignment ← chain.complete (it may bind only after chain.complete)
  deliveries: 6,
  // request: stored, issued, assignable, assigned; ca-gateway: issued; trust-validation: validated;
  // assignment: chain seen, bound. Each is a state change another service can ask about later.
  statements: 8,
  // CSR signature (proof of possession), the CA's signature on the leaf, verifying the leaf's
  // signature on the way to the root
  signatures: 1,
  verifications: 2,
};

/**
 * One JetStream round as certflow uses it: publish with `Nats-Msg-Id` (deduplicated, acknowledged),
 * `consumers` durable pull consumers each receiving and acking every message. Returns µs of CPU per
 * message for the nats-server and for the client side (publisher and consumers, this process).
 */
async function jetstreamRound({ natsUrl, natsOptions = {}, natsPid, consumers, count, size }) {
  const { connect } = await import(join(ROOT, 'node_modules/@nats-io/transport-node/lib/mod.js'));
  const { jetstream, jetstreamManager, AckPolicy } = await import(join(ROOT, 'node_modules/@nats-io/jetstream/lib/mod.js'));
  const nc = await connect({ servers: natsUrl, noAsyncTraces: true, ...natsOptions });
  const stream = `FLOOR_${process.pid}`;
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`floor.${process.pid}.>`] });
    const subject = `floor.${process.pid}.event`;
    const js = jetstream(nc);
    const received = [];
    const iterators = [];
    for (let c = 0; c < consumers; c++) {
      await jsm.consumers.add(stream, { durable_name: `c${c}`, ack_policy: AckPolicy.Explicit, filter_subject: subject });
      const messages = await (await js.consumers.get(stream, `c${c}`)).consume({ max_messages: 64 });
      iterators.push(messages);
      received.push(
        (async () => {
          let n = 0;
          for await (const m of messages) {
            m.ack();
            if (++n === count) return;
          }
        })(),
      );
    }
    const body = new TextEncoder().encode('x'.repeat(size));
    const serverBefore = processCpuMs(natsPid);
    const clientBefore = process.cpuUsage();
    const inFlight = new Set();
    for (let i = 0; i < count; i++) {
      const p = js.publish(subject, body, { msgID: `floor-${i}` }).then(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= 64) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    await Promise.all(received);
    const client = process.cpuUsage(clientBefore);
    const server = processCpuMs(natsPid) - serverBefore;
    await Promise.all(iterators.map((m) => m.close()));
    await jsm.streams.delete(stream);
    return { serverUs: (server * 1000) / count, clientUs: (client.user + client.system) / count };
  } finally {
    await nc.close();
  }
}

/** Mean size in bytes of the messages stream `name` holds (certflow's own events, after a run). */
export async function meanMessageSize({ natsUrl, natsOptions = {}, stream = 'CERTFLOW' }) {
  const { connect } = await import(join(ROOT, 'node_modules/@nats-io/transport-node/lib/mod.js'));
  const { jetstreamManager } = await import(join(ROOT, 'node_modules/@nats-io/jetstream/lib/mod.js'));
  const nc = await connect({ servers: natsUrl, ...natsOptions });
  try {
    const { state } = await (await jetstreamManager(nc)).streams.info(stream);
    return state.messages > 0 ? Math.round(state.bytes / state.messages) : null;
  } finally {
    await nc.close();
  }
}

/**
 * JetStream: one publish delivered to one consumer and acked, and what each further consumer of the
 * same message adds (from the difference between a round with four consumers and one with one).
 */
export async function jetstreamFloor({ natsUrl, natsOptions = {}, natsPid, count = 10_000, size = 2_500 }) {
  // Warm both sides first: the first thousands of messages pay for JIT and buffers.
  await jetstreamRound({ natsUrl, natsOptions, natsPid, consumers: 1, count: 2_000, size });
  const one = await jetstreamRound({ natsUrl, natsOptions, natsPid, consumers: 1, count, size });
  // Three further consumers, not one: a single one's cost is within the noise of a round.
  const four = await jetstreamRound({ natsUrl, natsOptions, natsPid, consumers: 4, count, size });
  const furtherDelivery = { serverUs: Math.max(0, (four.serverUs - one.serverUs) / 3), clientUs: Math.max(0, (four.clientUs - one.clientUs) / 3) };
  return { size, count, publishDelivered: one, furtherDelivery };
}

/**
 * PostgreSQL: single-row inserts of `size` bytes sent as certflow's group commit sends them, `group`
 * statements in one round trip and one implicit transaction, with a primary key and one more index.
 * Returns µs of the backend's CPU per statement (the commit's WAL flush included, shared by the group).
 */
export async function postgresFloor({ databaseUrl, count = 20_000, group = 32, size = 2_500 }) {
  const { default: pg } = await import(join(ROOT, 'node_modules/pg/lib/index.js'));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const table = `floor_${process.pid}`;
  try {
    await client.query(`CREATE TABLE ${table} (id uuid PRIMARY KEY, at timestamptz NOT NULL, body text NOT NULL)`);
    await client.query(`CREATE INDEX ON ${table} (at)`);
    const {
      rows: [{ pid }],
    } = await client.query('SELECT pg_backend_pid() AS pid');
    const body = 'x'.repeat(size);
    const round = async (n) => {
      for (let i = 0; i < n; i += group) {
        const sql = [];
        for (let j = i; j < Math.min(n, i + group); j++) sql.push(`INSERT INTO ${table} VALUES ('${webcrypto.randomUUID()}', now(), '${body}')`);
        await client.query(sql.join(';'));
      }
    };
    await round(2_000);
    const before = processCpuMs(pid);
    await round(count);
    return { size, group, statementUs: ((processCpuMs(pid) - before) * 1000) / count };
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await client.end();
  }
}

/** ECDSA P-256 with SHA-256 through WebCrypto (OpenSSL underneath): µs per signature and per verification. */
export async function cryptoFloor({ count = 3_000 } = {}) {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify']);
  const data = new Uint8Array(600).fill(7);
  const signature = await webcrypto.subtle.sign(alg, keys.privateKey, data);
  const time = async (op) => {
    for (let i = 0; i < 300; i++) await op();
    const before = process.cpuUsage();
    for (let i = 0; i < count; i++) await op();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / count;
  };
  return {
    signUs: await time(() => webcrypto.subtle.sign(alg, keys.privateKey, data)),
    verifyUs: await time(() => webcrypto.subtle.verify(alg, keys.publicKey, signature, data)),
  };
}

/** The floor per certificate from the measured parts and `CONTRACT_MINIMUM`; `cores` bounds the rate. */
export function certificateFloor({ js, pg, crypto, cores }) {
  const m = CONTRACT_MINIMUM;
  const parts = {
    natsServerMs: (m.publishes * js.publishDelivered.serverUs + (m.deliveries - m.publishes) * js.furtherDelivery.serverUs) / 1000,
    natsClientsMs: (m.publishes * js.publishDelivered.clientUs + (m.deliveries - m.publishes) * js.furtherDelivery.clientUs) / 1000,
    postgresqlMs: (m.statements * pg.statementUs) / 1000,
    cryptoMs: (m.signatures * crypto.signUs + m.verifications * crypto.verifyUs) / 1000,
  };
  const totalMs = Object.values(parts).reduce((a, b) => a + b, 0);
  return { minimum: m, parts, totalMs, certificatesPerSecond: (cores * 1000) / totalMs };
}
