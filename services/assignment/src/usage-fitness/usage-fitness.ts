import type { Usage, UsageRefusal } from '@certflow/contracts';
import { hostInCertificate, type CertificateNames } from './host-name.match';

/**
 * Why a certificate does not fit a usage. Stable codes; the reason beside each says it in plain words.
 * - `HostNotInCertificate`: the host is not among the certificate's names (any usage).
 * - `MissingServerAuth`: the EKU lacks serverAuth (every usage is a TLS server).
 * - `MissingClientAuth`: the EKU lacks clientAuth (`Default` is mutual TLS).
 */
export type UsageRefusalCode = 'HostNotInCertificate' | 'MissingServerAuth' | 'MissingClientAuth';

/** What usage fitness needs to know about a certificate. */
export interface FitnessInput {
  host: string;
  usages: readonly Usage[];
  /** EKU names ("serverAuth", "clientAuth", …); `null` when the certificate has no EKU extension (any use). */
  extendedKeyUsage: readonly string[] | null;
  names: CertificateNames;
}

export interface FitnessResult {
  /** The usages the certificate may be bound to, in the order asked. */
  fits: Usage[];
  /** One refusal per usage that does not fit: its first problem's code, every problem in the reason. */
  notBound: UsageRefusal[];
}

/** EKU purposes each usage needs (Skype for Business Server: Default is mutual TLS). */
const NEEDS: Record<Usage, readonly ('serverAuth' | 'clientAuth')[]> = {
  Default: ['serverAuth', 'clientAuth'],
  WebServicesInternal: ['serverAuth'],
  WebServicesExternal: ['serverAuth'],
};

const PURPOSE_WORDS = { serverAuth: 'server authentication', clientAuth: 'client authentication' } as const;

function allows(eku: readonly string[] | null, purpose: 'serverAuth' | 'clientAuth'): boolean {
  // No EKU extension means no restriction; anyExtendedKeyUsage means the same (RFC 5280 §4.2.1.12).
  return eku === null || eku.includes(purpose) || eku.includes('anyExtendedKeyUsage');
}

function describeNames(names: CertificateNames): string {
  const all = [...names.dnsNames, ...names.ipAddresses];
  if (all.length > 0) return all.join(', ');
  return names.commonName ? `CN=${names.commonName}` : 'no names';
}

/** Decides which of the asked usages a certificate fits on a host. Pure. */
export function assessUsageFitness(input: FitnessInput): FitnessResult {
  const hostFits = hostInCertificate(input.host, input.names);
  const result: FitnessResult = { fits: [], notBound: [] };
  for (const usage of [...new Set(input.usages)]) {
    const problems: { code: UsageRefusalCode; reason: string }[] = [];
    if (!hostFits) {
      problems.push({
        code: 'HostNotInCertificate',
        reason: `The certificate is not for ${input.host}: it names ${describeNames(input.names)}.`,
      });
    }
    for (const purpose of NEEDS[usage]) {
      if (!allows(input.extendedKeyUsage, purpose)) {
        problems.push({
          code: purpose === 'serverAuth' ? 'MissingServerAuth' : 'MissingClientAuth',
          reason: `${usage} needs ${PURPOSE_WORDS[purpose]} (${purpose}), which the certificate's extended key usage (${(input.extendedKeyUsage ?? []).join(', ') || 'empty'}) does not allow.`,
        });
      }
    }
    if (problems.length === 0) result.fits.push(usage);
    else result.notBound.push({ usage, code: problems[0].code, reason: problems.map((p) => p.reason).join(' ') });
  }
  return result;
}

/** The failure message when no usage fits: every usage with why. */
export function noUsageFitsMessage(host: string, notBound: readonly UsageRefusal[]): string {
  return `The certificate fits none of the usages asked for on ${host}. ${notBound.map((r) => `${r.usage}: ${r.reason}`).join(' ')}`;
}
