import type { CertificateUntrustedV1, EventData, MissingIssuer, UntrustedView, Usage } from '@certflow/contracts';
import { defineTable } from '@certflow/messaging';

/** The `untrusted` column of certificate_request as stored (migration 1700000008500). */
export interface UntrustedMark {
  since: string;
  thumbprint: string;
  missing: MissingIssuer[];
  hosts: { host: string; usages: Usage[] }[];
}

/**
 * Only the marker of certificate_request: written beside the state machine's writes, never by them
 * (they update only the columns a transition changed), so neither overwrites the other.
 */
export const UNTRUSTED_MARK = defineTable<{ id: string; untrusted: UntrustedMark }>(
  'certificate_request',
  { id: { name: 'id', type: 'uuid' }, untrusted: { name: 'untrusted', type: 'jsonb' } },
  ['id'],
);

/**
 * The marker after one more report: the first report's time is kept, the latest missing issuers
 * win, and a host reported again has its usages replaced. A report about another certificate than
 * the one marked starts over (cannot happen for one request today; a request has one certificate).
 */
export function markUntrusted(current: UntrustedMark | null, report: EventData<typeof CertificateUntrustedV1>, at: Date): UntrustedMark {
  const base = current && current.thumbprint === report.thumbprint ? current : { since: at.toISOString(), thumbprint: report.thumbprint, missing: [], hosts: [] };
  const hosts = [...base.hosts.filter((h) => h.host !== report.host), { host: report.host, usages: [...report.usages].sort() }].sort((a, b) => a.host.localeCompare(b.host));
  return { since: base.since, thumbprint: base.thumbprint, missing: report.missing, hosts };
}

/** The RequestView's part of a marker. */
export function untrustedView(mark: UntrustedMark): UntrustedView {
  return { since: mark.since, missing: mark.missing, hosts: mark.hosts };
}
