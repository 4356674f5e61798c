import { Inject, Injectable } from '@nestjs/common';
import { In, type DataSource, type SelectQueryBuilder } from 'typeorm';
import { DATA_SOURCE } from '@certflow/persistence';
import { isRequestState, REQUEST_STATES, type RequestState, type RequestView, type UntrustedView, isUuid } from '@certflow/contracts';
import { ApiError } from '../../http/api-error';
import { patternsRegex } from '../../access/auth/host-pattern';
import { requireSingleValues } from '../../http/query-params';
import { CertificateCatalogService } from '../../edge/catalog/certificate-catalog.service';
import { CertificateRequestRow, RequestHistoryRow } from '../persistence/certificate-request.orm-entity';
import { toSnapshot } from '../persistence/certificate-request.mapper';
import type { RequestSnapshot } from '../domain/certificate-request.state';
import { toRequestView } from './request.view';
import { CLOCK } from '@certflow/runtime';
import { queryThrough } from '../persistence/certificate-request.repository';
import { latestRenewals, renewalStatus, type RenewalView } from '../renewal/renewal.status';
import { untrustedView, type UntrustedMark } from '../untrusted/untrusted.mark';


/** Reads requests for the API: one by id, or a page of them, newest first, with a cursor. */
@Injectable()
export class RequestQueryService {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly catalog: CertificateCatalogService,
    // The renewal's state depends on now (scheduled, overdue): the service's clock decides.
    @Inject(CLOCK) private readonly clock: { now(): Date } = { now: () => new Date() },
  ) {}

  async get(id: string): Promise<RequestView> {
    if (!isUuid(id)) throw new ApiError(404, 'REQUEST_NOT_FOUND', `no request ${id}`);
    const row = await this.ds.getRepository(CertificateRequestRow).findOne({ where: { id } });
    if (!row) throw new ApiError(404, 'REQUEST_NOT_FOUND', `no request ${id}`);
    return this.view(toSnapshot(row));
  }

  /** The view of a request just submitted: its history is the one SUBMITTED entry written with it, no query needed. */
  viewSubmitted(s: RequestSnapshot): RequestView {
    return toRequestView(s, [{ requestId: s.id, state: s.state, at: s.createdAt, reason: null } as RequestHistoryRow], this.catalog);
  }

  async view(s: RequestSnapshot): Promise<RequestView> {
    const history = await this.ds.getRepository(RequestHistoryRow).find({ where: { requestId: s.id }, order: { seq: 'ASC' } });
    return toRequestView(s, history, this.catalog, (await this.renewals([s])).get(s.id), (await this.untrusted([s])).get(s.id));
  }

  /** The untrusted marker of each ASSIGNED request that has one (after SUPERSEDED it is history, not news). */
  async untrusted(requests: readonly RequestSnapshot[]): Promise<Map<string, UntrustedView>> {
    const assigned = requests.filter((s) => s.state === 'ASSIGNED').map((s) => s.id);
    if (assigned.length === 0) return new Map();
    const rows: { id: string; untrusted: UntrustedMark }[] = await this.ds.query(
      'SELECT id, untrusted FROM certificate_request WHERE id = ANY ($1::uuid[]) AND untrusted IS NOT NULL',
      [assigned],
    );
    return new Map(rows.map((r) => [r.id, untrustedView(r.untrusted)]));
  }

  /** The renewal of each request that has one to show (ASSIGNED, due date known), its latest renewal read in one query. */
  async renewals(requests: readonly RequestSnapshot[]): Promise<Map<string, RenewalView>> {
    const due = requests.filter((s) => s.state === 'ASSIGNED' && s.renewalDueAt);
    if (due.length === 0) return new Map();
    const latest = await latestRenewals(queryThrough(this.ds.manager), due.map((s) => s.id));
    const now = this.clock.now();
    const out = new Map<string, RenewalView>();
    for (const s of due) {
      const v = renewalStatus({ state: s.state, rotationPolicy: s.rotationPolicy, renewalDueAt: s.state === 'ASSIGNED' ? s.renewalDueAt : undefined }, latest.get(s.id), now);
      if (v) out.set(s.id, v);
    }
    return out;
  }

  /** `view` of many requests, their history read in one query. */
  async viewMany(requests: RequestSnapshot[]): Promise<RequestView[]> {
    if (requests.length === 0) return [];
    const rows = await this.ds.getRepository(RequestHistoryRow).find({ where: { requestId: In(requests.map((s) => s.id)) }, order: { seq: 'ASC' } });
    const byRequest = new Map<string, RequestHistoryRow[]>();
    for (const h of rows) byRequest.set(h.requestId, [...(byRequest.get(h.requestId) ?? []), h]);
    const renewals = await this.renewals(requests);
    const untrusted = await this.untrusted(requests);
    return requests.map((s) => toRequestView(s, byRequest.get(s.id) ?? [], this.catalog, renewals.get(s.id), untrusted.get(s.id)));
  }

  /** How many requests are in each state (every state listed, zero included); host and issuer filters apply. */
  async counts(q: { host?: string; issuer?: string }, scope: readonly string[] | null = null): Promise<{ counts: Record<RequestState, number>; total: number }> {
    requireSingleValues(q);
    const qb = this.ds.getRepository(CertificateRequestRow).createQueryBuilder('r').select('r.state', 'state').addSelect('count(*)::int', 'n');
    limitToHosts(qb, scope);
    if (q.host) qb.andWhere('lower(r.host) = :host', { host: q.host.toLowerCase() });
    if (q.issuer) qb.andWhere('r.issuer = :issuer', { issuer: q.issuer });
    const rows = await qb.groupBy('r.state').getRawMany<{ state: RequestState; n: number }>();
    const counts = Object.fromEntries(REQUEST_STATES.map((s) => [s, 0])) as Record<RequestState, number>;
    for (const r of rows) counts[r.state] = Number(r.n);
    return { counts, total: Object.values(counts).reduce((a, b) => a + b, 0) };
  }

  /** `scope`: the caller's host patterns (requester, agent), or null for every host. */
  async list(
    q: { state?: string; host?: string; issuer?: string; limit?: string; cursor?: string },
    scope: readonly string[] | null = null,
  ): Promise<{ items: RequestView[]; nextCursor: string | null }> {
    requireSingleValues(q);
    if (q.state !== undefined && !isRequestState(q.state)) {
      throw new ApiError(400, 'INVALID_STATE', `state must be one of ${REQUEST_STATES.join(', ')}`);
    }
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new ApiError(400, 'INVALID_LIMIT', 'limit must be a whole number from 1 to 500');
    const qb = this.ds.getRepository(CertificateRequestRow).createQueryBuilder('r');
    limitToHosts(qb, scope);
    if (q.state) qb.andWhere('r.state = :state', { state: q.state });
    if (q.host) qb.andWhere('lower(r.host) = :host', { host: q.host.toLowerCase() });
    if (q.issuer) qb.andWhere('r.issuer = :issuer', { issuer: q.issuer });
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      qb.andWhere('(r.created_at, r.id) < (:at, :id)', { at: c.at, id: c.id });
    }
    const rows = await qb.orderBy('r.created_at', 'DESC').addOrderBy('r.id', 'DESC').limit(limit + 1).getMany();
    const page = rows.slice(0, limit);
    const histories = page.length
      ? await this.ds.getRepository(RequestHistoryRow).find({ where: { requestId: In(page.map((r) => r.id)) }, order: { seq: 'ASC' } })
      : [];
    const snapshots = page.map(toSnapshot);
    const renewals = await this.renewals(snapshots);
    const untrusted = await this.untrusted(snapshots);
    const items = snapshots.map((s) => toRequestView(s, histories.filter((h) => h.requestId === s.id), this.catalog, renewals.get(s.id), untrusted.get(s.id)));
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(new Date(last.createdAt), last.id) : null };
  }
}

/** Keeps only rows whose host one of `scope`'s patterns covers (all rows when scope is null). */
function limitToHosts(qb: SelectQueryBuilder<CertificateRequestRow>, scope: readonly string[] | null): void {
  if (scope === null) return;
  const re = patternsRegex(scope);
  if (re === null) qb.andWhere('false');
  else qb.andWhere('lower(r.host) ~ :hostScope', { hostScope: re });
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify({ at: at.toISOString(), id })).toString('base64url');
}

/** 10000-01-01T00:00:00Z: later instants have no four-digit year. */
const MAX_CURSOR_TIME = 253402300800000;

function decodeCursor(cursor: string): { at: string; id: string } {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { at: unknown; id: unknown };
    // Only what encodeCursor writes: an ISO instant PostgreSQL takes (Date.parse alone lets through year 0, "1 2", ...).
    const at = typeof c.at === 'string' ? Date.parse(c.at) : NaN;
    if (at >= 0 && at < MAX_CURSOR_TIME && new Date(at).toISOString() === c.at && typeof c.id === 'string' && isUuid(c.id)) return { at: c.at, id: c.id };
  } catch {
    /* answered below */
  }
  throw new ApiError(400, 'INVALID_CURSOR', 'cursor must be the nextCursor of a previous page');
}
