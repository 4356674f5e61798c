import { createHash, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { type CaMaterial } from '@certflow/pki';
import { REVOCATION_REASON_CODES, type RevocationReason } from '@certflow/contracts';
import { normalizeSerial } from './serial-number';

/** What the gateway knows of one serial of the issuer. */
export type SerialStatus = { kind: 'good' } | { kind: 'revoked'; revokedAt: Date; reason: RevocationReason } | { kind: 'unknown' };

const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const OID_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
const HASH_OIDS: Record<string, string> = { '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512' };
/** RFC 6960 §4.2.1 OCSPResponseStatus. */
const MALFORMED_REQUEST = 1;
const INTERNAL_ERROR = 2;

const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto });

/** The issuer's hashes a CertID is compared with: its subject Name and its public key bits, per hash. */
interface IssuerIdentity {
  nameDer: Buffer;
  keyBits: Buffer;
}

function identityOf(ca: CaMaterial): IssuerIdentity {
  const cert = pkijs.Certificate.fromBER(ca.certificate.rawData);
  return {
    nameDer: Buffer.from(cert.subject.toSchema().toBER(false)),
    keyBits: Buffer.from(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView),
  };
}

const hash = (alg: string, data: Buffer): Buffer => createHash(alg).update(data).digest();

/** A bare OCSPResponse with an error status and no responseBytes (RFC 6960 §4.2.1). */
export function ocspErrorResponse(status: number = MALFORMED_REQUEST): Buffer {
  const response = new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: status }) });
  return Buffer.from(response.toSchema().toBER(false));
}

/** The serials an OCSP request asks about, normalised (see normalizeSerial); null when it does not parse. */
export function parseOcspRequest(der: Uint8Array): pkijs.OCSPRequest | null {
  try {
    const req = pkijs.OCSPRequest.fromBER(new Uint8Array(der));
    return req.tbsRequest.requestList.length > 0 ? req : null;
  } catch {
    return null;
  }
}

function certStatusOf(status: SerialStatus): asn1js.BaseBlock {
  switch (status.kind) {
    case 'good':
      return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
    case 'unknown':
      return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
    case 'revoked': {
      // RevokedInfo ::= [1] IMPLICIT SEQUENCE { revocationTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
      const value: asn1js.BaseBlock[] = [new asn1js.GeneralizedTime({ valueDate: status.revokedAt })];
      if (status.reason !== 'unspecified') {
        value.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Enumerated({ value: REVOCATION_REASON_CODES[status.reason] })] }));
      }
      return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value });
    }
  }
}

/**
 * Answers an RFC 6960 request for the issuing CA `ca`, signed by that CA's own key (no delegated
 * responder). One SingleResponse per CertID, in the request's order: a CertID whose name and key
 * hashes are not this CA's (another issuer's) is `unknown`, as is a serial the CA never issued.
 * The request's nonce is echoed. A request that does not parse gets `malformedRequest`.
 * `statuses` looks the serials up (normalised); `nextUpdate` is the current CRL's.
 */
export async function answerOcsp(opts: {
  ca: CaMaterial;
  request: Uint8Array;
  now: Date;
  nextUpdate?: Date;
  statuses: (serials: string[]) => Promise<Map<string, SerialStatus>>;
}): Promise<{ der: Buffer; status: 'successful' | 'malformedRequest'; serials: string[] }> {
  const req = parseOcspRequest(opts.request);
  if (!req) return { der: ocspErrorResponse(MALFORMED_REQUEST), status: 'malformedRequest', serials: [] };
  const issuer = identityOf(opts.ca);
  const asked = req.tbsRequest.requestList.map((r) => {
    const id = r.reqCert;
    const alg = HASH_OIDS[id.hashAlgorithm.algorithmId];
    const ours =
      !!alg &&
      Buffer.from(id.issuerNameHash.valueBlock.valueHexView).equals(hash(alg, issuer.nameDer)) &&
      Buffer.from(id.issuerKeyHash.valueBlock.valueHexView).equals(hash(alg, issuer.keyBits));
    return { certId: id, ours, serial: normalizeSerial(Buffer.from(id.serialNumber.valueBlock.valueHexView).toString('hex')) };
  });
  const known = await opts.statuses(asked.filter((a) => a.ours).map((a) => a.serial));
  const responses = asked.map(
    (a) =>
      new pkijs.SingleResponse({
        certID: a.certId,
        certStatus: certStatusOf(a.ours ? (known.get(a.serial) ?? { kind: 'unknown' }) : { kind: 'unknown' }),
        thisUpdate: opts.now,
        ...(opts.nextUpdate ? { nextUpdate: opts.nextUpdate } : {}),
      }),
  );
  const nonce = req.tbsRequest.requestExtensions?.find((e) => e.extnID === OID_OCSP_NONCE);
  const basic = new pkijs.BasicOCSPResponse({
    tbsResponseData: new pkijs.ResponseData({
      // byKey KeyHash (pkijs adds the [2] tag): SHA-1 of the responder's (the CA's) public key bits.
      responderID: new asn1js.OctetString({ valueHex: hash('sha1', issuer.keyBits) }),
      producedAt: opts.now,
      responses,
      ...(nonce ? { responseExtensions: [nonce] } : {}),
    }),
  });
  try {
    await basic.sign(opts.ca.privateKey, hashOf(opts.ca.privateKey), engine);
  } catch {
    return { der: ocspErrorResponse(INTERNAL_ERROR), status: 'malformedRequest', serials: [] };
  }
  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: 0 }),
    responseBytes: new pkijs.ResponseBytes({ responseType: OID_OCSP_BASIC, response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }) }),
  });
  return { der: Buffer.from(response.toSchema().toBER(false)), status: 'successful', serials: asked.map((a) => a.serial) };
}

function hashOf(key: CryptoKey): string {
  const curve = (key.algorithm as EcKeyAlgorithm).namedCurve;
  return curve === 'P-384' ? 'SHA-384' : curve === 'P-521' ? 'SHA-512' : 'SHA-256';
}
