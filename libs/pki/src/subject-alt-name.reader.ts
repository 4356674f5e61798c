import { x509 } from './x509.setup';

/** The names a certificate or CSR is for: subject CN plus DNS and IP subject alternative names. */
export interface SubjectNames {
  dnsNames: string[];
  ipAddresses: string[];
  commonName?: string;
}

const LABELS: Record<string, string> = {
  dns: 'DNS',
  ip: 'IP',
  email: 'email',
  url: 'URI',
  dn: 'DirName',
  guid: 'GUID',
  upn: 'UPN',
  id: 'RID',
};

/** Reads a SubjectAlternativeName extension; an unreadable one yields no names (never throws). */
export function readGeneralNames(extension: x509.Extension | null | undefined): { type: string; value: string }[] {
  if (!extension) return [];
  try {
    const san = extension instanceof x509.SubjectAlternativeNameExtension ? extension : new x509.SubjectAlternativeNameExtension(extension.rawData);
    return san.names.toJSON().map((n) => ({ type: n.type, value: n.value }));
  } catch {
    return [];
  }
}

/** `["DNS:host", "IP:10.0.0.1", "email:a@b", "URI:http://…"]`, as in the CertificateDetails contract. */
export function formatGeneralNames(names: { type: string; value: string }[]): string[] {
  return names.map((n) => `${LABELS[n.type] ?? n.type}:${n.value}`);
}

/** DNS names, IP addresses and CN from a subject and a SubjectAlternativeName extension. */
export function subjectNames(subject: x509.Name, sanExtension: x509.Extension | null | undefined): SubjectNames {
  const general = readGeneralNames(sanExtension);
  const result: SubjectNames = {
    dnsNames: general.filter((n) => n.type === 'dns').map((n) => n.value),
    ipAddresses: general.filter((n) => n.type === 'ip').map((n) => n.value),
  };
  try {
    const cn = subject.getField('CN');
    if (cn.length > 0) result.commonName = cn[cn.length - 1];
  } catch {
    // a subject with an undecodable CN has no usable common name
  }
  return result;
}
