/**
 * The promises a fault must not break, checked after the run settles: every request final, each
 * request's facts in the stream once, each consumer's effect once (history, bindings, assignment),
 * and — with several instances — every instance did part of the work.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Certflow, ServiceName } from '@certflow/testing';
import { withDb } from './faults.helpers';

export interface StreamEvent {
  seq: number;
  subject: string;
  id: string;
  requestId?: string;
  thumbprint?: string;
  /** `data.reason` of events that carry one (certificate.unassigned, certificate.revoked). */
  reason?: string;
}

/** Every message on `subjects`, read with ordered consumers (no durable state left behind). */
export async function readStream(bus: Pick<Certflow, 'connectNats'>, subjects: string[]): Promise<StreamEvent[]> {
  const nc = await bus.connectNats();
  const out: StreamEvent[] = [];
  try {
    // One consumer per subject: NATS before 2.10 has no multi-subject filters.
    for (const subject of subjects) {
      const consumer = await jetstream(nc).consumers.get('CERTFLOW', { filter_subjects: subject });
      const pending = (await consumer.info()).num_pending;
      let read = 0;
      while (read < pending) {
        const before = read;
        const batch = await consumer.fetch({ max_messages: Math.min(pending - read, 1000), expires: 5_000 });
        for await (const m of batch) {
          const body = m.json<{ id: string; data?: { requestId?: string; thumbprint?: string; reason?: string } }>();
          out.push({ seq: m.seq, subject: m.subject, id: body.id, requestId: body.data?.requestId, thumbprint: body.data?.thumbprint, ...(body.data?.reason ? { reason: body.data.reason } : {}) });
          read++;
        }
        if (read === before) throw new Error(`read ${read} of ${pending} ${subject} messages, then nothing more came`);
      }
      await consumer.delete().catch(() => undefined);
    }
    return out;
  } finally {
    await nc.close();
  }
}

const groupCount = <T>(xs: T[], key: (x: T) => string | undefined) => {
  const m = new Map<string, number>();
  for (const x of xs) {
    const k = key(x);
    if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
};

/**
 * Violations of "every request ASSIGNED, each fact once, each effect once"; empty when all hold.
 * Events stored twice under one id (a republish JetStream's window missed) are not violations as
 * long as nobody acted twice; they are written to the test output.
 */
export async function exactlyOnceProblems(cf: Certflow, ids: string[], hosts: string[]): Promise<string[]> {
  const problems: string[] = [];
  const idSet = new Set(ids);
  const events = await readStream(cf, ['certflow.certificate.issued.v1', 'certflow.certificate.assigned.v1', 'certflow.request.submitted.v1']);
  for (const subject of ['certflow.request.submitted.v1', 'certflow.certificate.issued.v1', 'certflow.certificate.assigned.v1']) {
    const mine = events.filter((e) => e.subject === subject && e.requestId !== undefined && idSet.has(e.requestId));
    // The same event id twice is a republish JetStream's duplicate window missed; distinct ids for one request are a second decision.
    const distinctIds = groupCount([...new Map(mine.map((e) => [e.id, e])).values()], (e) => e.requestId);
    const twice = [...distinctIds].filter(([, n]) => n > 1);
    if (twice.length) problems.push(`${twice.length} requests have more than one ${subject} event id, e.g. ${JSON.stringify(twice.slice(0, 3))}`);
    const missing = ids.filter((id) => !distinctIds.has(id));
    if (missing.length) problems.push(`${missing.length} requests have no ${subject} in the stream, e.g. ${missing.slice(0, 3)}`);
    const repeats = [...groupCount(mine, (e) => e.id)].filter(([, n]) => n > 1);
    if (repeats.length) problems.push(`note: ${repeats.length} ${subject} events stored twice under one id (checked below that nobody acted twice)`);
  }

  await withDb(cf, async (pg) => {
    const states = await pg.query(`SELECT state, count(*)::int AS n FROM request.certificate_request WHERE id = ANY($1::uuid[]) GROUP BY state`, [ids]);
    const byState = Object.fromEntries(states.rows.map((r: { state: string; n: number }) => [r.state, r.n]));
    if ((byState.ASSIGNED ?? 0) !== ids.length) problems.push(`expected all ${ids.length} ASSIGNED, got ${JSON.stringify(byState)}`);

    const history = await pg.query(
      `SELECT request_id::text AS id, string_agg(state, ',' ORDER BY seq) AS states FROM request.request_history WHERE request_id = ANY($1::uuid[]) GROUP BY request_id`,
      [ids],
    );
    const odd = history.rows.filter((r: { states: string }) => r.states !== 'SUBMITTED,ISSUED,ASSIGNABLE,ASSIGNED');
    if (odd.length) problems.push(`${odd.length} requests have a history other than SUBMITTED,ISSUED,ASSIGNABLE,ASSIGNED, e.g. ${JSON.stringify(odd.slice(0, 3))}`);
    if (history.rows.length !== ids.length) problems.push(`${ids.length - history.rows.length} requests have no history at all`);

    const issued = await pg.query(`SELECT count(*)::int AS n, count(DISTINCT request_id)::int AS d FROM ca_gateway.issuance WHERE request_id = ANY($1::text[])`, [ids]);
    if (issued.rows[0].n !== ids.length || issued.rows[0].d !== ids.length) problems.push(`ca-gateway issuance rows ${issued.rows[0].n} (distinct ${issued.rows[0].d}) for ${ids.length} requests`);

    const assignments = await pg.query(`SELECT count(*)::int AS n FROM assignment.assignment WHERE request_id = ANY($1::text[])`, [ids]);
    if (assignments.rows[0].n !== ids.length) problems.push(`assignment rows ${assignments.rows[0].n} for ${ids.length} requests`);

    const lower = hosts.map((h) => h.toLowerCase());
    const bound = await pg.query(
      `SELECT host, usage, count(*)::int AS n, count(DISTINCT request_id)::int AS r FROM assignment.binding_history WHERE host = ANY($1::text[]) GROUP BY host, usage`,
      [lower],
    );
    const doubled = bound.rows.filter((r: { n: number; r: number }) => r.n !== 1 || r.r !== 1);
    if (doubled.length) problems.push(`${doubled.length} (host, usage) pairs were bound more than once, e.g. ${JSON.stringify(doubled.slice(0, 3))}`);
    if (bound.rows.length !== hosts.length * 3) problems.push(`${bound.rows.length} (host, usage) bindings recorded, expected ${hosts.length * 3}`);
    const current = await pg.query(`SELECT count(*)::int AS n FROM assignment.binding WHERE host = ANY($1::text[]) AND request_id = ANY($2::text[])`, [lower, ids]);
    if (current.rows[0].n !== hosts.length * 3) problems.push(`${current.rows[0].n} current bindings, expected ${hosts.length * 3}`);
  });
  const notes = problems.filter((p) => p.startsWith('note:'));
  if (notes.length) process.stdout.write(`${notes.join('\n')}\n`);
  return problems.filter((p) => !p.startsWith('note:'));
}

/**
 * Bytes JetStream delivered to each instance slot's consumer connections (named
 * `certflow/<service>/consumers/<pid>`), over every process that ran in the slot.
 */
export async function deliveredBytesBySlot(cf: Certflow, services: readonly ServiceName[]): Promise<Record<string, number>> {
  const conns = await cf.nats.connections();
  const out: Record<string, number> = {};
  for (const s of services) {
    for (const i of cf.processes.instances(s)) {
      const pids = new Set(cf.processes.pids(s, i).map(String));
      out[`${s}#${i}`] = conns
        .filter((c) => c.name?.startsWith(`certflow/${s}/consumers/`) && pids.has(c.name.split('/').pop()!))
        .reduce((sum, c) => sum + c.out_bytes, 0);
    }
  }
  return out;
}

/** Each durable consumer's backlog, for failure messages: pending, waiting for ack, redelivered. */
export async function consumerBacklog(bus: Pick<Certflow, 'connectNats'>): Promise<string> {
  const nc = await bus.connectNats();
  try {
    const jsm = await jetstreamManager(nc);
    const lines: string[] = [];
    for await (const c of jsm.consumers.list('CERTFLOW')) {
      lines.push(`${c.name}: pending ${c.num_pending}, ack pending ${c.num_ack_pending}, redelivered ${c.num_redelivered}, waiting pulls ${c.num_waiting}`);
    }
    return lines.join('\n');
  } catch (e) {
    return `consumer info unavailable: ${(e as Error).message}`;
  } finally {
    await nc.close();
  }
}
