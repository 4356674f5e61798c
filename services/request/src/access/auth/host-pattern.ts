/**
 * Host patterns of a `requester` token: exact names (`web01.corp.example.com`) or a wildcard for
 * one leftmost label (`*.web.example.com` matches `a.web.example.com`, not `web.example.com` nor
 * `a.b.web.example.com`) — the same reading as a TLS wildcard, so a pattern grants what a wildcard
 * certificate for it would cover and no more. Pure. Patterns are stored and compared as
 * `normalizeHost` (libs/contracts) writes them.
 */
import { normalizeHost } from '@certflow/contracts';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why a pattern was refused, said so the caller can fix it; null when it is valid. */
export function hostPatternProblem(pattern: unknown): string | null {
  if (typeof pattern !== 'string' || pattern.length === 0) return 'a host pattern must be a non-empty string';
  const p = normalizeHost(pattern);
  if (p.length > 253) return `"${pattern}" is longer than 253 characters`;
  const labels = p.split('.');
  const [first, ...rest] = labels;
  if (first === '*') {
    // `*.com` would hand out a whole top-level domain; ask for at least a registrable-looking suffix.
    if (rest.length < 2) return `"${pattern}": a wildcard needs at least two labels after "*.", e.g. "*.web.example.com"`;
  } else if (!LABEL.test(first)) {
    return `"${pattern}" is not a host name or "*.<domain>" (only a whole leftmost "*" label may be a wildcard)`;
  }
  if (!rest.every((l) => LABEL.test(l))) {
    return `"${pattern}" is not a host name or "*.<domain>" (only a whole leftmost "*" label may be a wildcard)`;
  }
  return null;
}

/** Whether `host` is covered by one of `patterns` (stored normalised). */
export function hostAllowed(patterns: readonly string[], host: string): boolean {
  const h = normalizeHost(host);
  return patterns.some((p) => {
    if (!p.startsWith('*.')) return p === h;
    const suffix = p.slice(1); // ".web.example.com"
    if (!h.endsWith(suffix)) return false;
    const head = h.slice(0, h.length - suffix.length);
    return head.length > 0 && !head.includes('.');
  });
}

/**
 * A PostgreSQL regular expression matching exactly the (normalised) hosts `hostAllowed(patterns, …)`
 * accepts, for filtering rows in SQL; null when there are no patterns (nothing matches). Patterns
 * are stored validated (labels of [a-z0-9-] only), so escaping the dots is all the quoting needed.
 */
export function patternsRegex(patterns: readonly string[]): string | null {
  if (patterns.length === 0) return null;
  const one = (p: string) => (p.startsWith('*.') ? '[^.]+' + p.slice(1).replace(/\./g, '\\.') : p.replace(/\./g, '\\.'));
  return `^(${patterns.map(one).join('|')})$`;
}
