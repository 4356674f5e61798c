/**
 * A serial number as the gateway stores and compares it: upper-case hex of the INTEGER's value,
 * without the leading zero bytes DER adds to keep it positive. The same certificate's serial read
 * from its DER, from an OCSP CertID or from a CRL entry then compares equal.
 */
export function normalizeSerial(hex: string): string {
  let h = hex.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  if (h.length % 2) h = `0${h}`;
  while (h.length > 2 && h.startsWith('00')) h = h.slice(2);
  return h || '00';
}
