import type { X509Certificate } from '@peculiar/x509';
import { canonicalName } from './distinguished-name.format';
import { authorityKeyIdentifier, subjectKeyIdentifier } from './certificate.details';
import { certificateKey } from './chain-signature.cache';

/**
 * Path building: from the leaf up, by issuer DN = subject DN, depth-first with backtracking. AKI/SKI
 * only orders the candidates (a matching key id first); it never excludes one. Bounded three ways: a
 * certificate appears at most once in a path (cross-sign loops), a path holds at most `maxDepth`
 * certificates, and the whole search expands at most `maxWork` nodes.
 */

/** Facts about a certificate the search needs, computed once. */
export interface PoolEntry {
  cert: X509Certificate;
  key: string;
  subject: string;
  issuer: string;
  ski: string | null;
  aki: string | null;
  trusted: boolean;
  selfIssued: boolean;
}

/** Why the search stopped short of a trusted root on some branch. */
export interface PartialPath {
  path: PoolEntry[];
  /** `true`: no certificate with the top's issuer name exists; `false`: they exist but all are already on the path. */
  gap: boolean;
}

const entries = new WeakMap<X509Certificate, Omit<PoolEntry, 'trusted'>>();

function describe(cert: X509Certificate): Omit<PoolEntry, 'trusted'> {
  let e = entries.get(cert);
  if (!e) {
    const subject = canonicalName(cert.subjectName);
    const issuer = canonicalName(cert.issuerName);
    e = { cert, key: certificateKey(cert), subject, issuer, ski: subjectKeyIdentifier(cert), aki: authorityKeyIdentifier(cert), selfIssued: subject === issuer };
    entries.set(cert, e);
  }
  return e;
}

/** The certificates a search may use, indexed by subject. Duplicates (same DER) are merged. */
export class CertificatePool {
  private readonly bySubject = new Map<string, PoolEntry[]>();
  private readonly trustedKeys: Set<string>;

  constructor(candidates: X509Certificate[], roots: X509Certificate[]) {
    this.trustedKeys = new Set(roots.map(certificateKey));
    const seen = new Set<string>();
    for (const cert of [...roots, ...candidates]) {
      const entry = this.entry(cert);
      if (seen.has(entry.key)) continue;
      seen.add(entry.key);
      const list = this.bySubject.get(entry.subject) ?? [];
      list.push(entry);
      this.bySubject.set(entry.subject, list);
    }
  }

  entry(cert: X509Certificate): PoolEntry {
    const e = describe(cert);
    return { ...e, trusted: this.trustedKeys.has(e.key) };
  }

  /** Certificates whose subject is `child`'s issuer name, best first. */
  issuersOf(child: PoolEntry, at: Date): PoolEntry[] {
    const list = this.bySubject.get(child.issuer) ?? [];
    const time = at.getTime();
    const score = (c: PoolEntry): number[] => [
      child.aki !== null && c.ski === child.aki ? 0 : 1,
      c.trusted ? 0 : 1,
      c.cert.notBefore.getTime() <= time && time <= c.cert.notAfter.getTime() ? 0 : 1,
      -c.cert.notAfter.getTime(),
    ];
    return list
      .map((c) => ({ c, s: score(c) }))
      .sort((a, b) => {
        for (let i = 0; i < a.s.length; i++) if (a.s[i] !== b.s[i]) return a.s[i] - b.s[i];
        return 0;
      })
      .map(({ c }) => c);
  }
}

/** `true` when some trusted certificate can be reached from `leaf` by issuer names at all, ignoring depth (a breadth-first walk). */
export function trustedReachable(pool: CertificatePool, leaf: X509Certificate, at: Date): boolean {
  const start = pool.entry(leaf);
  const seen = new Set<string>([start.key]);
  const queue: PoolEntry[] = [start];
  while (queue.length > 0) {
    const current = queue.shift() as PoolEntry;
    if (current.trusted) return true;
    for (const next of pool.issuersOf(current, at)) {
      if (!seen.has(next.key)) {
        seen.add(next.key);
        queue.push(next);
      }
    }
  }
  return false;
}

/** Mutable outcome of one search besides the paths it yields. */
export interface SearchState {
  work: number;
  /** The work bound was hit: the search did not look at every path. */
  exhausted: boolean;
  /** Some branch could have gone on but `maxDepth` stopped it. */
  depthExceeded: boolean;
  /** The longest dead end, preferring true gaps over loops. */
  longestPartial?: PartialPath;
}

function better(candidate: PartialPath, current: PartialPath | undefined): boolean {
  if (!current) return true;
  if (candidate.gap !== current.gap) return candidate.gap;
  return candidate.path.length > current.path.length;
}

/**
 * Yields every path from `leaf` to a trusted certificate (leaf first), best candidates first, within
 * the bounds. The caller may stop early. Dead ends and bound hits are recorded in `state`.
 */
export function* searchPaths(pool: CertificatePool, leaf: X509Certificate, opts: { at: Date; maxDepth: number; maxWork: number }, state: SearchState): Generator<PoolEntry[]> {
  const path: PoolEntry[] = [pool.entry(leaf)];
  const onPath = new Set<string>([path[0].key]);

  function record(gap: boolean): void {
    const partial = { path: [...path], gap };
    if (better(partial, state.longestPartial)) state.longestPartial = partial;
  }

  function* visit(): Generator<PoolEntry[]> {
    if (++state.work > opts.maxWork) {
      state.exhausted = true;
      return;
    }
    const top = path[path.length - 1];
    if (top.trusted) {
      yield [...path];
      return;
    }
    const all = pool.issuersOf(top, opts.at);
    const candidates = all.filter((c) => !onPath.has(c.key));
    if (candidates.length === 0) {
      record(all.length === 0 || all.every((c) => c.key === top.key));
      return;
    }
    if (path.length >= opts.maxDepth) {
      state.depthExceeded = true;
      record(false);
      return;
    }
    for (const next of candidates) {
      path.push(next);
      onPath.add(next.key);
      yield* visit();
      onPath.delete(next.key);
      path.pop();
      if (state.exhausted) return;
    }
  }

  yield* visit();
}
