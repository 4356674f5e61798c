/**
 * Hostile input against every public parse/check entry point of libs/pki. Each property: the
 * function answers or throws its documented error type (never anything else), answers within a
 * time bound, and never accepts a broken structure as the original. Runs scale with FUZZ_RUNS /
 * FUZZ_RUNS_SCALE; a failure prints a seed to replay with FUZZ_SEED (docs/hostile-input.md).
 */
import fc from 'fast-check';
import { checkCsr } from '../csr.check';
import { parseCertificate, parseCertificates } from '../certificate.parser';
import { normalizeThumbprint, pemThumbprints, thumbprintSha1 } from '../certificate.thumbprint';
import { certificateDetails, certificateNames } from '../certificate.details';
import { describeSpki } from '../public-key.describe';
import { isPkiInputError } from '../pki-input.error';
import { DerError } from '../path/der.reader';
import { certificateFacts, decodeCertificate } from '../path/certificate.facts';
import { pemToDer } from '../path/pem.decode';
import { verifyPath } from '../path/path.verify';
import { validateChain } from '../chain.validation';
import { fuzzParameters, fuzzRuns, hostileDer, hostilePem, mutatedDer, pemOf } from './hostile-input.arbitraries';
import { makePkiSeeds, type PkiSeeds } from './pki-seeds';

/** Longest any single input may take (a hang or a quadratic blow-up fails here, not as a jest timeout). */
const MAX_MILLIS_PER_INPUT = 2_000;
const CSR_CODES = new Set(['CSR_TOO_LARGE', 'CSR_NOT_PEM', 'CSR_UNPARSABLE', 'CSR_KEY_UNSUPPORTED', 'CSR_KEY_TOO_WEAK', 'CSR_SIGNATURE_INVALID', 'HOST_NOT_IN_CSR']);
const CERT_CODES = new Set(['CERTIFICATE_NOT_PEM', 'CERTIFICATE_UNPARSABLE', 'TOO_MANY_CERTIFICATES']);

let seeds: PkiSeeds;
let originals: Set<string>;
const counts: Record<string, number> = {};
const hex = (der: Uint8Array | ArrayBuffer) => Buffer.from(der as Uint8Array).toString('hex');

/** Runs `fn`, returns the error it threw (or undefined), and checks the time bound. */
async function outcome<T>(name: string, fn: () => T | Promise<T>): Promise<{ value?: T; error?: unknown }> {
  counts[name] = (counts[name] ?? 0) + 1;
  const started = performance.now();
  let result: { value?: T; error?: unknown };
  try {
    result = { value: await fn() };
  } catch (error) {
    result = { error };
  }
  const took = performance.now() - started;
  if (took > MAX_MILLIS_PER_INPUT) throw new Error(`${name} took ${Math.round(took)} ms on one input (bound ${MAX_MILLIS_PER_INPUT} ms)`);
  return result;
}

function expectPkiError(error: unknown, codes: Set<string>): void {
  if (!isPkiInputError(error)) throw new Error(`expected a PkiInputError, got ${String((error as Error)?.stack ?? error)}`);
  if (!codes.has(error.code)) throw new Error(`undocumented code ${error.code}: ${error.message}`);
}

beforeAll(async () => {
  seeds = await makePkiSeeds();
  originals = new Set([...seeds.certificates, ...seeds.csrs].map(hex));
}, 60_000);

afterAll(() => {
  // The numbers the report quotes: inputs thrown at each entry point.
  process.stdout.write(`pki fuzz inputs: ${JSON.stringify(counts)} total ${Object.values(counts).reduce((a, b) => a + b, 0)}\n`);
});

describe('PKI parsers under hostile input', () => {
  const heapAtStart = process.memoryUsage().heapUsed;

  it('checkCsr throws only its documented PkiInputError codes, and accepts no damaged CSR', async () => {
    const all = [...seeds.csrs, ...seeds.certificates];
    const host = fc.oneof(fc.constant(seeds.host), fc.constant(`ALT.${seeds.host}.`), fc.constant('192.0.2.7'), fc.string({ maxLength: 300 }), fc.anything() as fc.Arbitrary<string>);
    const pem = fc.oneof({ weight: 8, arbitrary: hostilePem(all, 'CERTIFICATE REQUEST') }, { weight: 1, arbitrary: fc.constant('A'.repeat(70_000)) }, { weight: 1, arbitrary: fc.anything() as fc.Arbitrary<string> });
    await fc.assert(
      fc.asyncProperty(pem, host, async (text, h) => {
        const { value, error } = await outcome('checkCsr', () => checkCsr(text, h));
        if (error !== undefined) return expectPkiError(error, CSR_CODES);
        // Accepted: it must be one of the CSRs as made, never a mutation of one.
        expect(originals.has(hex(value!.csr.rawData))).toBe(true);
      }),
      fuzzParameters(fuzzRuns(1_500)),
    );
  }, 180_000);

  it('parseCertificates throws only its codes, respects its limit, and what it returns can be described', async () => {
    const limit = fc.constantFrom(1, 10, 50);
    await fc.assert(
      fc.asyncProperty(hostilePem(seeds.certificates), limit, async (text, max) => {
        const { value, error } = await outcome('parseCertificates', () => parseCertificates(text, max));
        if (error !== undefined) return expectPkiError(error, CERT_CODES);
        expect(value!.length).toBeGreaterThan(0);
        expect(value!.length).toBeLessThanOrEqual(max);
        for (const cert of value!) {
          // What the parser accepts, the path engine must be able to read: exactly one DER certificate,
          // no trailing bytes (else a trust store holds an anchor no path can use, under a thumbprint
          // that is not the certificate's).
          const strict = await outcome('decodeCertificate', () => decodeCertificate(new Uint8Array(cert.rawData)));
          if (strict.error !== undefined) throw new Error(`parseCertificates accepted a certificate the DER reader refuses: ${String((strict.error as Error).message)}`);
          const described = await outcome('certificateDetails', () => ({ details: certificateDetails(cert), names: certificateNames(cert) }));
          if (described.error !== undefined) throw new Error(`certificateDetails threw on a parsed certificate: ${String(described.error)}`);
        }
      }),
      fuzzParameters(fuzzRuns(1_500)),
    );
  }, 180_000);

  it('parseCertificate and pemThumbprints throw only PkiInputError and agree when both read a certificate', async () => {
    await fc.assert(
      fc.asyncProperty(hostilePem(seeds.certificates), async (text) => {
        const one = await outcome('parseCertificate', () => parseCertificate(text));
        if (one.error !== undefined) expectPkiError(one.error, CERT_CODES);
        const tp = await outcome('pemThumbprints', () => pemThumbprints(text));
        if (tp.error !== undefined) expectPkiError(tp.error, CERT_CODES);
        if (one.value && tp.value) expect(tp.value.sha1).toBe(thumbprintSha1(one.value));
      }),
      fuzzParameters(fuzzRuns(1_000)),
    );
  }, 180_000);

  it("the path engine's DER reader throws only DerError, and its facts are of the input", async () => {
    await fc.assert(
      fc.asyncProperty(hostileDer([...seeds.certificates, ...seeds.csrs]), async (der) => {
        const { value, error } = await outcome('certificateFacts', () => certificateFacts(der));
        if (error !== undefined && !(error instanceof DerError)) throw new Error(`certificateFacts threw ${String((error as Error)?.stack ?? error)}`);
        if (value) expect(hex(value.der)).toBe(hex(der));
        const direct = await outcome('decodeCertificate', () => decodeCertificate(der));
        expect(direct.error === undefined).toBe(error === undefined);
        const spki = await outcome('describeSpki', () => describeSpki(der));
        expect(spki.error).toBeUndefined();
      }),
      fuzzParameters(fuzzRuns(2_000)),
    );
  }, 180_000);

  it('pemToDer throws only "no CERTIFICATE block", and normalizeThumbprint never throws', async () => {
    await fc.assert(
      fc.asyncProperty(hostilePem(seeds.certificates), fc.oneof(fc.string({ maxLength: 400 }), fc.anything() as fc.Arbitrary<string>), async (text, thumb) => {
        const { error } = await outcome('pemToDer', () => pemToDer(text));
        if (error !== undefined) expect((error as Error).message).toBe('no CERTIFICATE block in the PEM text');
        const n = await outcome('normalizeThumbprint', () => normalizeThumbprint(thumb));
        expect(n.error).toBeUndefined();
        if (n.value) expect(n.value.value).toMatch(/^([0-9A-F]{40}|[0-9A-F]{64})$/);
      }),
      fuzzParameters(fuzzRuns(500)),
    );
  }, 180_000);

  it('verifyPath throws only DerError for an unreadable leaf, and never validates a damaged certificate', async () => {
    const leafDer = new Uint8Array(seeds.leaf.rawData);
    const intermediateDer = new Uint8Array(seeds.intermediate.certificate.rawData);
    const rootDer = new Uint8Array(seeds.root.certificate.rawData);
    const leaf = fc.oneof(mutatedDer([leafDer]), hostileDer(seeds.certificates), fc.constant(leafDer));
    const others = fc.array(fc.oneof(mutatedDer([intermediateDer, rootDer]), fc.constant(intermediateDer), hostileDer(seeds.certificates)), { maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(leaf, others, fc.array(hostileDer([rootDer]), { maxLength: 2 }), async (l, inter, extraRoots) => {
        const { value, error } = await outcome('verifyPath', () => verifyPath({ leaf: l, intermediates: inter, roots: [rootDer, ...extraRoots], at: new Date(), validationKind: 'SERVER' }));
        if (error !== undefined) {
          if (!(error instanceof DerError)) throw new Error(`verifyPath threw ${String((error as Error)?.stack ?? error)}`);
          return;
        }
        if (value!.valid) for (const c of value!.path) expect(originals.has(hex(c.der))).toBe(true);
      }),
      fuzzParameters(fuzzRuns(1_000)),
    );
  }, 180_000);

  it('validateChain always resolves to complete/incomplete/invalid, and never completes a damaged chain', async () => {
    const leafDer = new Uint8Array(seeds.leaf.rawData);
    const intermediateDer = new Uint8Array(seeds.intermediate.certificate.rawData);
    const readable = (der: Uint8Array) => {
      try {
        return parseCertificate(pemOf(der));
      } catch {
        return null;
      }
    };
    await fc.assert(
      fc.asyncProperty(mutatedDer([leafDer]), fc.array(fc.oneof(mutatedDer([intermediateDer]), fc.constant(intermediateDer)), { maxLength: 4 }), async (l, provided) => {
        const leaf = readable(l) ?? seeds.leaf;
        const chain = provided.map(readable).filter((c) => c !== null);
        const { value, error } = await outcome('validateChain', () => validateChain({ leaf, provided: chain, roots: [seeds.root.certificate], at: new Date() }));
        if (error !== undefined) throw new Error(`validateChain threw ${String((error as Error)?.stack ?? error)}`);
        expect(['complete', 'incomplete', 'invalid']).toContain(value!.status);
        if (value!.status === 'complete') for (const c of value!.path) expect(originals.has(hex(c.rawData))).toBe(true);
      }),
      fuzzParameters(fuzzRuns(500)),
    );
  }, 180_000);

  describe('regressions the fuzzer found', () => {
    it('refuses a certificate followed by extra bytes (it was accepted, thumbprinted and stored with them)', () => {
      const root = new Uint8Array(seeds.root.certificate.rawData);
      const withTail = Uint8Array.from([...root, 0xd4, 0x9d, 0x80, 0xad]);
      expect(() => parseCertificates(pemOf(withTail))).toThrow(expect.objectContaining({ code: 'CERTIFICATE_UNPARSABLE' }));
      expect(() => parseCertificates(pemOf(root))).not.toThrow();
    });

    it('refuses a certificate whose validity time is not digits (the path engine could not read it)', () => {
      const leaf = Buffer.from(seeds.leaf.rawData);
      const at = leaf.indexOf(0x17); // the first UTCTime: notBefore
      expect(at).toBeGreaterThan(0);
      const bad = Uint8Array.from(leaf);
      bad[at + 2] = 0x41; // 'A' in place of the first year digit
      expect(() => parseCertificates(pemOf(bad))).toThrow(expect.objectContaining({ code: 'CERTIFICATE_UNPARSABLE' }));
    });
  });

  it('keeps memory bounded: the heap grows by less than 256 MiB over all of the above', () => {
    (globalThis as { gc?: () => void }).gc?.();
    const growth = process.memoryUsage().heapUsed - heapAtStart;
    process.stdout.write(`pki fuzz heap growth: ${Math.round(growth / 1024 / 1024)} MiB\n`);
    expect(growth).toBeLessThan(256 * 1024 * 1024);
  });
});
