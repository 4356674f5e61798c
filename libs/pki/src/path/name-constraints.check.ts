import type { CertificateFacts } from './certificate.facts';
import type { GeneralName, NameConstraints } from './general-name.reader';
import { isDnsName, normalizeDnsName, splitMailbox } from './host-name.syntax';
import { OID_EMAIL_ADDRESS, attributeTexts, nameHasPrefix } from './name.facts';

/**
 * Name constraints (RFC 5280 §4.2.1.10) for DNS names, IP addresses, e-mail addresses and
 * directory names. A constraint on any other form (URI, otherName, …) is not evaluated, so a
 * certificate carrying a name of that form below it is rejected, as the RFC requires ("process the
 * constraint or reject"). A name that is not well formed for its form cannot be shown to be inside
 * or outside a subtree, so it is rejected too.
 */

/** `null` when the constraints themselves are well formed, else the problem. */
export function constraintsDefect(nc: NameConstraints): string | null {
  for (const base of [...(nc.permitted ?? []), ...(nc.excluded ?? [])]) {
    if (base.kind === 'dns') {
      const c = base.text.toLowerCase();
      // RFC 5280 allows no wildcard and no leading period in a DNS constraint (unlike URI ones).
      if (c !== '' && !isDnsName(c)) return `the DNS name constraint '${base.text}' is malformed`;
    } else if (base.kind === 'ip') {
      if (base.bytes.length !== 8 && base.bytes.length !== 32) return 'an IP name constraint is not an address and mask';
      if (!contiguousMask(base.bytes.subarray(base.bytes.length / 2))) return 'an IP name constraint has a mask that is not a prefix';
    } else if (base.kind === 'email') {
      const c = base.text;
      const ok = c.includes('@') ? splitMailbox(c) !== null : isDnsName(c.startsWith('.') ? c.slice(1).toLowerCase() : c.toLowerCase());
      if (!ok) return `the e-mail name constraint '${c}' is malformed`;
    }
  }
  return null;
}

function contiguousMask(mask: Uint8Array): boolean {
  let ended = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (byte >> bit) & 1;
      if (set && ended) return false;
      if (!set) ended = true;
    }
  }
  return true;
}

function dnsWithin(name: string, constraint: string): boolean {
  const c = normalizeDnsName(constraint);
  return c === '' || name === c || name.endsWith(`.${c}`);
}

/** Could some host the wildcard name `*.rest` stands for fall inside subtree `constraint`? */
function wildcardMayHit(name: string, constraint: string): boolean {
  if (dnsWithin(name, constraint)) return true;
  const c = normalizeDnsName(constraint);
  const rest = name.slice(2);
  return c.endsWith(`.${rest}`) && !c.slice(0, -rest.length - 1).includes('.');
}

function ipWithin(ip: Uint8Array, constraint: Uint8Array): boolean {
  const n = constraint.length / 2;
  if (ip.length !== n) return false;
  for (let i = 0; i < n; i++) if ((ip[i] & constraint[n + i]) !== (constraint[i] & constraint[n + i])) return false;
  return true;
}

function emailWithin(mailbox: { local: string; domain: string }, constraint: string): boolean {
  if (constraint.includes('@')) {
    const c = splitMailbox(constraint);
    return c !== null && c.local === mailbox.local && c.domain === mailbox.domain;
  }
  const c = constraint.toLowerCase();
  return c.startsWith('.') ? mailbox.domain.endsWith(c) : mailbox.domain === c;
}

type Verdict = 'in' | 'out' | 'unknown';

/** Whether `name` lies in subtree `base` (same form), for a permitted (`excluding=false`) or excluded check. */
function within(name: GeneralName, base: GeneralName, excluding: boolean): Verdict {
  if (name.kind === 'dns' && base.kind === 'dns') {
    const n = normalizeDnsName(name.text);
    if (n.startsWith('*.') && isDnsName(n, true)) return (excluding ? wildcardMayHit(n, base.text) : dnsWithin(n, base.text)) ? 'in' : 'out';
    if (!isDnsName(n)) return 'unknown';
    return dnsWithin(n, base.text) ? 'in' : 'out';
  }
  if (name.kind === 'ip' && base.kind === 'ip') {
    if (name.bytes.length !== 4 && name.bytes.length !== 16) return 'unknown';
    return ipWithin(name.bytes, base.bytes) ? 'in' : 'out';
  }
  if (name.kind === 'email' && base.kind === 'email') {
    const mailbox = splitMailbox(name.text);
    if (!mailbox) return 'unknown';
    return emailWithin(mailbox, base.text) ? 'in' : 'out';
  }
  if (name.kind === 'dn' && base.kind === 'dn') return nameHasPrefix(name.name, base.name) ? 'in' : 'out';
  return 'unknown';
}

/** The names of `cert` that name constraints apply to: SAN entries, the subject DN, subject e-mail attributes. */
export function constrainedNames(cert: CertificateFacts): GeneralName[] {
  const names: GeneralName[] = [...(cert.san ?? [])];
  if (!cert.subject.empty) names.push({ kind: 'dn', name: cert.subject });
  for (const email of attributeTexts(cert.subject, OID_EMAIL_ADDRESS)) names.push({ kind: 'email', text: email });
  return names;
}

function describe(name: GeneralName): string {
  switch (name.kind) {
    case 'dns':
    case 'email':
    case 'uri':
      return `'${name.text}'`;
    case 'ip':
      return name.bytes.length === 4 ? Array.from(name.bytes).join('.') : Buffer.from(name.bytes).toString('hex');
    case 'dn':
      return 'its subject name';
    default:
      return `a name of type ${name.kind}`;
  }
}

/**
 * Most names × subtrees compared for one certificate against one NameConstraints (Go's bound).
 * A certificate and a CA made to need more (a quadratic blow-up: limbo's nc-dos cases) are refused
 * rather than checked, so no input can make this slow.
 */
export const MAX_CONSTRAINT_COMPARISONS = 250_000;

/** `null` when every name of `cert` satisfies `nc`, else which name breaks it, in words. */
export function nameConstraintViolation(cert: CertificateFacts, nc: NameConstraints): string | null {
  const names = constrainedNames(cert);
  const subtrees = (nc.permitted?.length ?? 0) + (nc.excluded?.length ?? 0);
  if (names.length * subtrees > MAX_CONSTRAINT_COMPARISONS) {
    return `checking its ${names.length} names against ${subtrees} name constraints would take more than ${MAX_CONSTRAINT_COMPARISONS} comparisons; refused as a denial-of-service pattern`;
  }
  for (const name of names) {
    for (const base of nc.excluded ?? []) {
      if (base.kind !== name.kind) continue;
      const v = within(name, base, true);
      if (v === 'in') return `${describe(name)} is in an excluded subtree`;
      if (v === 'unknown') return `${describe(name)} cannot be checked against a ${base.kind} constraint`;
    }
    const permitted = (nc.permitted ?? []).filter((b) => b.kind === name.kind);
    if (permitted.length === 0) continue;
    let verdict: Verdict = 'out';
    for (const base of permitted) {
      const v = within(name, base, false);
      if (v === 'in') {
        verdict = 'in';
        break;
      }
      if (v === 'unknown') verdict = 'unknown';
    }
    if (verdict === 'out') return `${describe(name)} is outside the permitted subtrees`;
    if (verdict === 'unknown') return `${describe(name)} cannot be checked against a ${name.kind} constraint`;
  }
  return null;
}
