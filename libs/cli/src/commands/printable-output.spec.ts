import type { CertificateDetails, RequestView } from '@certflow/contracts';
import { formatDetails, formatRequest } from './requests.command';
import { eventLine } from './events.command';

const EVIL = 'CN=bank.example.org\x1b[8m\u202egro.elpmaxe';
const ESCAPED = 'CN=bank.example.org\\x1b[8m\\u{202E}gro.elpmaxe';
// Any C0/C1 control or bidi control left in the output would reach the terminal as is.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const details: CertificateDetails = {
  thumbprint: 'AA',
  thumbprintSha256: 'BB',
  subject: EVIL,
  issuer: `CN=Zürich CA\nO=東京`,
  serialNumber: '01',
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2027-01-01T00:00:00.000Z',
  subjectAltNames: ['DNS:a.example.com', `DNS:${EVIL}`],
  publicKey: { algorithm: 'EC', curve: 'P-256' },
  signatureAlgorithm: 'ecdsa-with-SHA256',
  keyUsage: [],
  extendedKeyUsage: [],
  pem: '',
} as unknown as CertificateDetails;

describe('CLI views of certificate and CA text', () => {
  it('certflow show: subject, issuer and SANs escaped, ordinary Unicode kept, one field a line', () => {
    const text = formatDetails(details);
    expect(text).not.toMatch(CONTROL);
    expect(text).toContain(`Subject               ${ESCAPED}`);
    expect(text).toContain('Issuer                CN=Zürich CA\\x0aO=東京');
    expect(text).toContain(`DNS:a.example.com, DNS:${ESCAPED}`);
    expect(text.split('\n')).toHaveLength(15);
  });

  it('certflow status: a failure message and a missing CA subject escaped', () => {
    const view = {
      id: 'r1',
      host: 'a.example.com',
      state: 'FAILED',
      usages: ['Default'],
      autoAssign: true,
      issuer: 'acme',
      friendlyName: null,
      createdAt: 'x',
      updatedAt: 'x',
      certificate: details,
      validation: { status: 'incomplete', missing: [{ kind: 'root', subject: EVIL }], reasons: [] },
      failure: { stage: 'issuance', code: 'CA_REJECTED', message: `order refused: ${EVIL}` },
      history: [{ state: 'FAILED', at: 'x', reason: `ca: ${EVIL}` }],
    } as unknown as RequestView;
    const text = formatRequest(view);
    expect(text).not.toMatch(CONTROL);
    expect(text).toContain(`Failure   order refused: ${ESCAPED} (CA_REJECTED, issuance)`);
    expect(text).toContain(`root CA "${ESCAPED}"`);
  });

  it('certflow events: one escaped line per event', () => {
    const line = eventLine({ id: '1', type: 'certflow.request.failed.v1', source: 's', subject: 'r1', time: 't', specversion: '1.0', data: { code: 'X', message: `a\nb ${EVIL}` } } as never);
    expect(line).not.toMatch(CONTROL);
    expect(line).not.toContain('\n');
    expect(line).toContain(`message="a\\x0ab ${ESCAPED}"`);
  });
});
