/**
 * fast-check generators of hostile PKI input, shared by the PKI parser fuzz (libs/pki/src/fuzz) and
 * the API fuzz (test/e2e/fuzz). They start from real DER (certificates and CSRs a test made) and
 * break it the ways a transfer, a careless copy or an attacker would: bit flips, truncation, length
 * fields that lie, spliced and duplicated ranges, deep nesting, PEM armour that is wrong or repeated.
 * Test support only: excluded from the library build (libs/pki package.json).
 */
import fc from 'fast-check';

/** How many runs a property makes: FUZZ_RUNS scales every fuzz test (default `base`). */
export function fuzzRuns(base: number): number {
  const scale = Number(process.env.FUZZ_RUNS_SCALE ?? '');
  const runs = Number(process.env.FUZZ_RUNS ?? '');
  if (Number.isInteger(runs) && runs > 0) return runs;
  return Number.isFinite(scale) && scale > 0 ? Math.max(1, Math.round(base * scale)) : base;
}

/**
 * fast-check parameters: `numRuns`, `FUZZ_SEED` to replay a failing run, and a short failure report
 * (seed, path, the property's own message) instead of the whole shrunk counterexample, which for
 * hostile bodies is hundreds of kilobytes.
 */
export function fuzzParameters<T>(numRuns: number): fc.Parameters<T> {
  const seed = Number(process.env.FUZZ_SEED ?? '');
  return {
    numRuns,
    ...(Number.isInteger(seed) && process.env.FUZZ_SEED ? { seed } : {}),
    reporter: (run) => {
      if (!run.failed) return;
      const cause = run.errorInstance instanceof Error ? run.errorInstance.message : String(run.errorInstance);
      const example = JSON.stringify(run.counterexample, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v))?.slice(0, 600);
      throw new Error(`fuzz property failed after ${run.numRuns} runs (replay: FUZZ_SEED=${run.seed}, path ${run.counterexamplePath}):\n${cause.slice(0, 3_000)}\ncounterexample (cut): ${example}`);
    },
  };
}

export function pemOf(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

type Mutation = (der: Uint8Array) => Uint8Array;

const at = (len: number) => fc.nat({ max: Math.max(0, len - 1) });

/** One structural mutation of `der`; most keep the outer shape so the parsers get deep into it. */
function mutation(len: number): fc.Arbitrary<Mutation> {
  return fc.oneof(
    // flip one to eight bits
    fc.array(fc.tuple(at(len), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }).map((flips) => (der: Uint8Array) => {
      const out = Uint8Array.from(der);
      for (const [i, bit] of flips) out[i % out.length] ^= 1 << bit;
      return out;
    }),
    // truncate
    at(len).map((n) => (der: Uint8Array) => der.slice(0, n)),
    // overwrite a byte with a DER-significant value (tags, length forms)
    fc.tuple(at(len), fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x30, 0x31, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x85, 0xa0, 0xa3, 0xff)).map(([i, v]) => (der: Uint8Array) => {
      const out = Uint8Array.from(der);
      out[i % out.length] = v;
      return out;
    }),
    // a length field that lies: long form with a huge or indefinite length at a random position
    fc.tuple(at(len), fc.constantFrom([0x80], [0x84, 0xff, 0xff, 0xff, 0xff], [0x83, 0x7f, 0xff, 0xff], [0x81, 0x00], [0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0x00])).map(([i, bytes]) => (der: Uint8Array) => {
      const out = Uint8Array.from(der);
      const p = (i % Math.max(1, out.length - 1)) + 1;
      return Uint8Array.from([...out.subarray(0, p), ...bytes, ...out.subarray(p + 1)]);
    }),
    // insert random bytes
    fc.tuple(at(len), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([i, bytes]) => (der: Uint8Array) => Uint8Array.from([...der.subarray(0, i), ...bytes, ...der.subarray(i)])),
    // delete a range
    fc.tuple(at(len), fc.integer({ min: 1, max: 256 })).map(([i, n]) => (der: Uint8Array) => Uint8Array.from([...der.subarray(0, i), ...der.subarray(i + n)])),
    // duplicate a range in place (repeated extensions, RDNs, certificates)
    fc.tuple(at(len), fc.integer({ min: 1, max: 200 })).map(([i, n]) => (der: Uint8Array) => Uint8Array.from([...der.subarray(0, i + n), ...der.subarray(i, i + n), ...der.subarray(i + n)])),
    // trailing garbage
    fc.uint8Array({ minLength: 1, maxLength: 32 }).map((tail) => (der: Uint8Array) => Uint8Array.from([...der, ...tail])),
  );
}

/** `seed` broken by one to three mutations (never the seed itself: two flips of one bit cancel). */
export function mutatedDer(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const longest = Math.max(...seeds.map((s) => s.length));
  const intact = new Set(seeds.map((s) => Buffer.from(s).toString('hex')));
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutation(longest), { minLength: 1, maxLength: 3 }))
    .map(([seed, ms]) => ms.reduce((der, m) => (der.length === 0 ? der : m(der)), seed))
    .filter((der) => der.length > 0 && !intact.has(Buffer.from(der).toString('hex')));
}

/** ASN.1 nested `depth` deep: definite lengths (valid BER, absurd for a certificate) or indefinite. */
export function deepNesting(): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.integer({ min: 2, max: 20_000 }), fc.constantFrom(0x30, 0x31, 0xa0, 0x04), fc.boolean()).map(([depth, tag, indefinite]) => {
    if (indefinite) {
      const out = new Uint8Array(depth * 4);
      for (let i = 0; i < depth; i++) out.set([tag, 0x80], i * 2);
      return out; // the end-of-contents octets (zeros) follow
    }
    let inner = Uint8Array.from([0x05, 0x00]);
    for (let i = 0; i < depth; i++) {
      const n = inner.length;
      const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
      const next = new Uint8Array(1 + len.length + n);
      next[0] = tag;
      next.set(len, 1);
      next.set(inner, 1 + len.length);
      inner = next;
    }
    return inner;
  });
}

/** Any DER-ish bytes: random, mutated real structures, deep nesting. */
export function hostileDer(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof({ weight: 2, arbitrary: fc.uint8Array({ maxLength: 2048 }) }, { weight: 6, arbitrary: mutatedDer(seeds) }, { weight: 1, arbitrary: deepNesting() });
}

const LABELS = ['CERTIFICATE', 'X509 CERTIFICATE', 'CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST', 'PKCS7', 'CMS', 'PRIVATE KEY', 'PUBLIC KEY', 'TRUSTED CERTIFICATE', 'certificate', ''];

/** PEM armour around `der`, often wrong: mismatched or odd labels, base64 broken, lines cut, CRLF, headers. */
function armour(der: Uint8Array, label: string): fc.Arbitrary<string> {
  const b64 = Buffer.from(der).toString('base64');
  return fc
    .record({
      begin: fc.constantFrom(label, ...LABELS),
      end: fc.constantFrom(label, label, ...LABELS),
      body: fc.oneof(
        fc.constant(b64.replace(/.{1,64}/g, '$&\n')),
        fc.constant(b64),
        fc.tuple(fc.nat({ max: b64.length }), fc.constantFrom('!', '*', '-', '=', '==', '\u00e9', '\u0000', '-----END CERTIFICATE-----', '\n\n', ' ', '%')).map(([i, junk]) => `${b64.slice(0, i)}${junk}${b64.slice(i)}`),
        fc.constant(b64.replace(/=+$/, '')),
        fc.constant(`${b64}====`),
        fc.constant(`Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n${b64}`),
      ),
      eol: fc.constantFrom('\n', '\r\n', '\r', ''),
      endMissing: fc.boolean(),
    })
    .map(({ begin, end, body, eol, endMissing }) => `-----BEGIN ${begin}-----${eol}${body.replace(/\n/g, eol)}${eol}${endMissing ? '' : `-----END ${end}-----${eol}`}`);
}

/** Hostile PEM text: broken armour around hostile DER, many blocks, bare base64, random text, huge BEGIN counts. */
export function hostilePem(seeds: Uint8Array[], label = 'CERTIFICATE'): fc.Arbitrary<string> {
  const validPems = seeds.map((s) => pemOf(s, label));
  return fc.oneof(
    { weight: 5, arbitrary: hostileDer(seeds).chain((der) => armour(der, label)) },
    { weight: 2, arbitrary: fc.tuple(mutatedDer(seeds), fc.boolean()).map(([der, crlf]) => (crlf ? pemOf(der, label).replace(/\n/g, '\r\n') : pemOf(der, label))) },
    // several blocks: valid ones around broken ones
    { weight: 2, arbitrary: fc.array(fc.oneof(fc.constantFrom(...validPems), hostileDer(seeds).map((d) => pemOf(d, label))), { minLength: 2, maxLength: 8 }).map((blocks) => blocks.join('text between blocks\n')) },
    // a huge number of blocks, complete or only BEGIN lines
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 50, max: 5_000 }), fc.boolean(), fc.constantFrom(...validPems)).map(([n, full, pem]) => (full ? pem.repeat(Math.min(n, 200)) : `-----BEGIN ${label}-----\n`.repeat(n))) },
    { weight: 1, arbitrary: hostileDer(seeds).map((d) => Buffer.from(d).toString('base64')) },
    { weight: 1, arbitrary: fc.string({ maxLength: 400, unit: 'binary' }) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '\n', '-----BEGIN CERTIFICATE-----', '-----BEGIN CERTIFICATE----------END CERTIFICATE-----', `-----BEGIN ${label}-----\n=\n-----END ${label}-----\n`) },
  );
}
