import { generateKeyPairSync, createPublicKey, type KeyObject } from 'node:crypto';
import { importSpki, rsaModulusBits } from './spki.import';
import { describeSpki } from './public-key.describe';

const spkiOf = (key: KeyObject) => new Uint8Array(key.export({ type: 'spki', format: 'der' }));

describe('importSpki', () => {
  const keys: [string, KeyObject][] = [
    ['EC P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey],
    ['EC P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey],
    ['EC P-521', generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey],
    ['EC secp256k1 (through the DER decoder)', generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey],
    ['RSA 2048', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey],
    ['RSA 3072', generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey],
    ['Ed25519 (through the DER decoder)', generateKeyPairSync('ed25519').publicKey],
  ];

  it.each(keys)('%s: the same key, described as OpenSSL describes it', (_name, original) => {
    const spki = spkiOf(original);
    const imported = importSpki(spki);
    expect(imported).not.toBeNull();
    expect(Buffer.from(spkiOf(imported!.key))).toEqual(Buffer.from(spki));
    expect(imported!.info).toEqual(describeSpki(spki));
  });

  it('reads an RSA modulus size from the SPKI', () => {
    expect(rsaModulusBits(spkiOf(keys[5][1]))).toBe(3072);
    expect(rsaModulusBits(spkiOf(keys[0][1]))).toBeNull();
  });

  it('refuses an EC point that is not on its curve', () => {
    const spki = spkiOf(keys[0][1]);
    spki[spki.length - 1] ^= 0x01; // last byte of y
    expect(importSpki(spki)).toBeNull();
    expect(() => createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' })).toThrow();
  });

  it('takes a compressed EC point through the DER decoder', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const x = Buffer.from(jwk.x!, 'base64url');
    const y = Buffer.from(jwk.y!, 'base64url');
    const uncompressed = spkiOf(publicKey);
    // SEQUENCE { AlgorithmIdentifier (the same), BIT STRING 0x00 || 0x02/0x03 || x }
    const alg = uncompressed.subarray(2, 2 + 2 + uncompressed[3]);
    const bits = Buffer.concat([Buffer.from([0x03, 2 + x.length, 0x00, 0x02 | (y[y.length - 1] & 1)]), x]);
    const body = Buffer.concat([alg, bits]);
    const compressed = new Uint8Array(Buffer.concat([Buffer.from([0x30, body.length]), body]));
    const imported = importSpki(compressed);
    expect(imported?.info).toEqual({ algorithm: 'EC', curve: 'P-256' });
    expect(imported!.key.export({ format: 'jwk' })).toEqual(jwk);
  });

  it('is null for bytes that are not a key', () => {
    expect(importSpki(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]))).toBeNull();
    expect(importSpki(new Uint8Array(0))).toBeNull();
  });
});
