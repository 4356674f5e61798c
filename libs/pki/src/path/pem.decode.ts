import { BoundedCache } from '../bounded-cache';

/**
 * PEM → DER for the path engine, cached by the PEM text: a conformance suite or a trust store hands
 * the same PEM strings over and over, and base64 decoding 41 MB of them each time would dominate.
 */
const cache = new BoundedCache<string, Uint8Array>(20_000);
const BLOCK = /-----BEGIN (?:X509 )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 )?CERTIFICATE-----/;

/** DER of the first CERTIFICATE block of `pem`. Throws when there is none. */
export function pemToDer(pem: string): Uint8Array {
  return cache.getOrSet(pem, () => {
    const match = BLOCK.exec(pem);
    if (!match) throw new Error('no CERTIFICATE block in the PEM text');
    return Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
  });
}
