import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIntermediateCa, createRootCa, issueLeaf, toPem } from '@certflow/pki';
import { answerOcsp, type SerialStatus } from './ocsp.responder';
import { normalizeSerial } from './serial-number';

const openssl = (args: string[]): string => {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}${r.status === 0 ? '' : 'FAILED'}`;
};

describe('answerOcsp (checked with openssl ocsp)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ocsp-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers good, revoked (reason) and unknown, signed by the issuing CA, nonce echoed', async () => {
    const root = await createRootCa({ subject: 'CN=Spec Root', keyType: 'ec-p384' });
    const ca = await createIntermediateCa({ subject: 'CN=Spec Issuing', issuer: root, keyType: 'ec-p256', pathLength: 0 });
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const leaves = await Promise.all(['good', 'revoked', 'stranger'].map((n) => issueLeaf({ issuer: ca, publicKey: keys.publicKey, subject: `${n}.example.com`, dnsNames: [`${n}.example.com`] })));
    writeFileSync(join(dir, 'root.pem'), toPem(root.certificate));
    writeFileSync(join(dir, 'int.pem'), toPem(ca.certificate));
    const statuses = new Map<string, SerialStatus>([
      [normalizeSerial(leaves[0].serialNumber), { kind: 'good' }],
      [normalizeSerial(leaves[1].serialNumber), { kind: 'revoked', revokedAt: new Date('2026-01-01T00:00:00Z'), reason: 'keyCompromise' }],
    ]);
    const outs: string[] = [];
    for (const [i, leaf] of leaves.entries()) {
      const cert = join(dir, `leaf${i}.pem`);
      writeFileSync(cert, toPem(leaf));
      openssl(['ocsp', '-issuer', join(dir, 'int.pem'), '-cert', cert, '-reqout', join(dir, `req${i}.der`)]);
      const answer = await answerOcsp({
        ca: { certificate: ca.certificate, privateKey: ca.privateKey },
        request: readFileSync(join(dir, `req${i}.der`)),
        now: new Date(),
        nextUpdate: new Date(Date.now() + 86_400_000),
        statuses: async (serials) => new Map(serials.flatMap((s) => (statuses.has(s) ? [[s, statuses.get(s)!] as const] : []))),
      });
      writeFileSync(join(dir, `resp${i}.der`), answer.der);
      const trust = ['-CAfile', join(dir, 'root.pem'), '-verify_other', join(dir, 'int.pem')];
      // With the request: signature and nonce checked. With -cert: the status printed (openssl would
      // make a request of its own, with another nonce, hence -no_nonce there).
      const verified = openssl(['ocsp', '-reqin', join(dir, `req${i}.der`), '-respin', join(dir, `resp${i}.der`), ...trust]);
      outs.push(verified + openssl(['ocsp', '-respin', join(dir, `resp${i}.der`), '-issuer', join(dir, 'int.pem'), '-cert', cert, '-no_nonce', ...trust]));
    }
    expect(outs[0]).toContain('Response verify OK');
    expect(outs[0]).toContain('leaf0.pem: good');
    expect(outs[1]).toContain('leaf1.pem: revoked');
    expect(outs[1]).toContain('Reason: keyCompromise');
    expect(outs[2]).toContain('leaf2.pem: unknown');
    for (const out of outs) {
      expect(out).toContain('Response verify OK');
      expect(out).not.toMatch(/nonce/i);
    }
  });
});
