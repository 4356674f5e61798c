import type { CertificateFacts } from './certificate.facts';

/**
 * Path building: from the leaf up, by issuer name = subject name, depth first with backtracking over
 * every candidate. AKI/SKI only orders candidates (a matching key id first); it never excludes one.
 * Each step up is checked as it is taken (`checkEdge`), so a bad branch is cut at once and the
 * search moves on to the next candidate. Bounded four ways: a certificate — or a (subject, key)
 * pair, which is the same CA re-issued — appears at most once in a path; a path holds at most
 * `maxDepth` certificates; the search takes at most `maxSteps` steps; and it stops at `deadline`.
 */

/** The certificates a search may use, indexed by subject. Duplicates (same DER) are merged. */
export class CandidatePool {
  private readonly bySubject = new Map<string, CertificateFacts[]>();
  private readonly trusted = new Set<string>();

  constructor(untrusted: CertificateFacts[], roots: CertificateFacts[]) {
    for (const r of roots) this.trusted.add(r.key);
    const seen = new Set<string>();
    for (const cert of [...roots, ...untrusted]) {
      if (seen.has(cert.key)) continue;
      seen.add(cert.key);
      const list = this.bySubject.get(cert.subject.key);
      if (list) list.push(cert);
      else this.bySubject.set(cert.subject.key, [cert]);
    }
  }

  isTrusted(cert: CertificateFacts): boolean {
    return this.trusted.has(cert.key);
  }

  /** Certificates whose subject is `child`'s issuer name, best first. */
  issuersOf(child: CertificateFacts, at: number): CertificateFacts[] {
    const list = this.bySubject.get(child.issuer.key);
    if (!list || list.length < 2) return list ?? [];
    const aki = child.aki?.keyId ?? null;
    const score = (c: CertificateFacts): number =>
      (aki !== null && c.ski === aki ? 0 : 4) + (this.trusted.has(c.key) ? 0 : 2) + (c.notBefore <= at && at <= c.notAfter ? 0 : 1);
    return [...list].sort((a, b) => score(a) - score(b) || b.notAfter - a.notAfter);
  }

  /** `true` when a trusted certificate can be reached from `start` by issuer names at all (breadth first). */
  reachesTrust(start: CertificateFacts, at: number): boolean {
    const seen = new Set<string>([start.key]);
    const queue = [start];
    for (let i = 0; i < queue.length && i < 10_000; i++) {
      if (this.trusted.has(queue[i].key)) return true;
      for (const next of this.issuersOf(queue[i], at)) {
        if (!seen.has(next.key)) {
          seen.add(next.key);
          queue.push(next);
        }
      }
    }
    return false;
  }
}

/** A rule broken on the way up: `position` is the index in `path` of the certificate at fault. */
export interface EdgeFailure {
  code: string;
  reason: string;
  position: number;
  /** The path up to and including the issuer tried. */
  path: CertificateFacts[];
}

/** A dead end: `gap` when no certificate bears the top's issuer name; otherwise all are on the path already (a loop). */
export interface PartialPath {
  path: CertificateFacts[];
  gap: boolean;
}

export interface SearchLimits {
  at: number;
  maxDepth: number;
  maxSteps: number;
  deadline: number;
}

/** What a search found besides the path it returns. */
export interface SearchReport {
  steps: number;
  exhausted: boolean;
  depthExceeded: boolean;
  failures: EdgeFailure[];
  longestPartial?: PartialPath;
}

/** Checks the step from `path`'s top to `issuer` (which is not pushed yet); `null` when it holds. */
export type EdgeCheck = (path: CertificateFacts[], issuer: CertificateFacts) => Omit<EdgeFailure, 'path'> | null;

const MAX_FAILURES_KEPT = 64;

/**
 * Searches for a path from `leaf` (already checked on its own) to a trusted certificate on which
 * every step passes `checkEdge`. Returns it (leaf first) or `null`; details land in `report`.
 */
export function buildPath(pool: CandidatePool, leaf: CertificateFacts, limits: SearchLimits, checkEdge: EdgeCheck, report: SearchReport): CertificateFacts[] | null {
  const path: CertificateFacts[] = [leaf];
  const onPath = new Set<string>([leaf.key, `${leaf.subject.key}|${leaf.spkiKey}`]);

  const record = (gap: boolean): void => {
    const current = report.longestPartial;
    if (!current || (gap !== current.gap ? gap : path.length > current.path.length)) report.longestPartial = { path: [...path], gap };
  };

  const visit = (): boolean => {
    const top = path[path.length - 1];
    if (pool.isTrusted(top)) return true;
    const all = pool.issuersOf(top, limits.at);
    const candidates = all.filter((c) => !onPath.has(c.key) && !onPath.has(`${c.subject.key}|${c.spkiKey}`));
    if (candidates.length === 0) {
      record(all.length === 0 || all.every((c) => c.key === top.key));
      return false;
    }
    if (path.length >= limits.maxDepth) {
      report.depthExceeded = true;
      record(false);
      return false;
    }
    for (const next of candidates) {
      if (++report.steps > limits.maxSteps || (report.steps % 64 === 0 && Date.now() > limits.deadline)) {
        report.exhausted = true;
        return false;
      }
      const failure = checkEdge(path, next);
      if (failure) {
        if (report.failures.length < MAX_FAILURES_KEPT) report.failures.push({ ...failure, path: [...path, next] });
        continue;
      }
      const ids = [next.key, `${next.subject.key}|${next.spkiKey}`];
      path.push(next);
      ids.forEach((id) => onPath.add(id));
      if (visit()) return true;
      ids.forEach((id) => onPath.delete(id));
      path.pop();
      if (report.exhausted) return false;
    }
    return false;
  };

  return visit() ? path : null;
}
