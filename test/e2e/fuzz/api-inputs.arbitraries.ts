/**
 * Hostile HTTP calls for the public API: each generator yields a method, a path and a raw body with
 * its content type. Everything generated here is invalid by construction (no valid CSR for the host
 * named, no certificate that fits the store it is sent to, no certificate carrying the pending CSR's
 * key), so no call may store anything.
 */
import fc from 'fast-check';
import { hostileDer, hostilePem, pemOf } from '../../../libs/pki/src/fuzz/hostile-input.arbitraries';

export interface HostileCall {
  endpoint: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ApiFuzzSeeds {
  /** CSRs (DER) made for `csrHost`, which no generated `host` names. */
  csrs: Uint8Array[];
  csrHost: string;
  /** A leaf, an intermediate and a root (DER), for trust and upload bodies. */
  leaf: Uint8Array;
  intermediate: Uint8Array;
  root: Uint8Array;
  /** An offline request left PENDING, and an internal one already ASSIGNED. */
  pendingId: string;
  assignedId: string;
}

const JSON_TYPE = 'application/json';
const ODD_TYPES = ['text/plain', 'application/x-pem-file', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/json; charset=utf-7', 'application/json; charset=latin1', 'application/problem+json', 'text/html', ''];

/** Malformed JSON text: cut, junk-spliced, deeply nested, odd literals. */
function badJsonText(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.json({ maxDepth: 4 }).chain((j) => fc.nat({ max: Math.max(0, j.length - 1) }).map((n) => j.slice(0, n))),
    fc.tuple(fc.json({ maxDepth: 3 }), fc.string({ minLength: 1, maxLength: 8 })).map(([j, junk]) => `${j}${junk}`),
    fc.integer({ min: 1, max: 100_000 }).map((n) => '['.repeat(n)),
    fc.integer({ min: 1, max: 50_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
    fc.constantFrom('', 'null', 'true', '"text"', '1e999999', 'NaN', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '\u0000', '{,}', "{'host':'a'}", '\ufeff{}'),
    fc.string({ maxLength: 200, unit: 'binary' }),
  );
}

/** A hostile value for any JSON field: wrong types, huge strings, deep arrays. */
function anyValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n)) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 1_000 }).map((n) => JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`) as unknown) },
  );
}

/**
 * Valid JSON nested far deeper than the client's JSON.stringify can write (so built as text): a
 * server that re-serialises or walks the body recursively overflows its stack on it.
 */
function deepJsonCall(endpoint: string, path: string): fc.Arbitrary<HostileCall> {
  return fc.tuple(fc.integer({ min: 5_000, max: 100_000 }), fc.constantFrom('usages', 'host', 'csr', 'certificate', 'chain', 'pem', 'x')).map(([n, key]) => ({
    endpoint,
    method: 'POST' as const,
    path,
    body: `{"host":"deep.example.com","${key}":${'['.repeat(n)}${']'.repeat(n)}}`,
    contentType: JSON_TYPE,
  }));
}

function hostileCsrText(s: ApiFuzzSeeds): fc.Arbitrary<string> {
  const signatureBroken = s.csrs.map((der) => {
    const bad = Uint8Array.from(der);
    bad[bad.length - 1] ^= 0x01;
    return pemOf(bad, 'CERTIFICATE REQUEST');
  });
  return fc.oneof(
    { weight: 5, arbitrary: hostilePem([...s.csrs, s.leaf], 'CERTIFICATE REQUEST') },
    { weight: 2, arbitrary: fc.constantFrom(...s.csrs.map((d) => pemOf(d, 'CERTIFICATE REQUEST'))) }, // valid, but for another host
    { weight: 1, arbitrary: fc.constantFrom(...signatureBroken) },
    { weight: 1, arbitrary: fc.constant(`${pemOf(s.csrs[0], 'CERTIFICATE REQUEST')}\n${'A'.repeat(70_000)}`) },
  );
}

function host(s: ApiFuzzSeeds): fc.Arbitrary<unknown> {
  return fc.oneof(fc.domain(), fc.constantFrom('192.0.2.7', '::1', '*.example.com', 'a..b', '-a.example.com', `${'a'.repeat(64)}.example.com`, `${'a.'.repeat(130)}com`), anyValue()).filter((h) => typeof h !== 'string' || !h.toLowerCase().includes(s.csrHost));
}

const jsonCall = (endpoint: string, path: string) => (body: unknown): HostileCall => ({ endpoint, method: 'POST', path, body: JSON.stringify(body), contentType: JSON_TYPE });

function submitBodies(s: ApiFuzzSeeds): fc.Arbitrary<HostileCall> {
  const field = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 4 });
  const record = fc
    .record({
      host: field(host(s)),
      csr: field(fc.oneof({ weight: 4, arbitrary: hostileCsrText(s) }, { weight: 1, arbitrary: anyValue() })),
      usages: field(fc.oneof(fc.array(fc.constantFrom('Default', 'WebServicesInternal', 'WebServicesExternal', 'default', '', 'Other'), { maxLength: 5 }), fc.integer({ min: 1_000, max: 20_000 }).map((n) => Array(n).fill('Default')), anyValue())),
      autoAssign: field(anyValue()),
      issuer: field(fc.oneof(fc.constantFrom('internal', 'offline', 'acme', ''), anyValue())),
      friendlyName: field(anyValue()),
    })
    .chain((r) => fc.option(fc.dictionary(fc.string({ maxLength: 12 }), anyValue(), { maxKeys: 3 }), { nil: undefined }).map((extra) => ({ ...r, ...extra })));
  return fc.oneof(
    { weight: 6, arbitrary: record.map(jsonCall('submit', '/api/v1/requests')) },
    { weight: 1, arbitrary: anyValue().map(jsonCall('submit', '/api/v1/requests')) },
    { weight: 2, arbitrary: badJsonText().map((body) => ({ endpoint: 'submit', method: 'POST' as const, path: '/api/v1/requests', body, contentType: JSON_TYPE })) },
    {
      weight: 1,
      arbitrary: fc.tuple(record, fc.constantFrom(...ODD_TYPES)).map(([r, contentType]) => ({ endpoint: 'submit', method: 'POST' as const, path: '/api/v1/requests', body: JSON.stringify(r), contentType })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(record, fc.string({ maxLength: 300 })).map(([r, key]) => ({ ...jsonCall('submit', '/api/v1/requests')(r), headers: { 'idempotency-key': key.replace(/[\r\n\0]/g, '') } })),
    },
  );
}

/** Request ids: the real ones, random UUIDs, and path segments that are not ids at all. */
function requestId(s: ApiFuzzSeeds): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(s.pendingId, s.assignedId, s.pendingId.toUpperCase()),
    fc.uuid(),
    fc.string({ maxLength: 80 }).map(encodeURIComponent),
    fc.constantFrom('%00', '..', '%2e%2e%2f', 'null', '0', '-1', `${s.pendingId}%00`, `${s.pendingId} `, 'x'.repeat(5_000), '%ff%fe', "1' OR '1'='1"),
  );
}

function uploadBodies(s: ApiFuzzSeeds): fc.Arbitrary<HostileCall> {
  const pem = hostilePem([s.leaf, s.intermediate, s.root]);
  const body = fc.oneof(
    { weight: 5, arbitrary: fc.record({ certificate: fc.oneof(pem, anyValue()), chain: fc.option(fc.oneof(pem, fc.array(pem, { maxLength: 15 }), fc.constant(Array(20).fill(pemOf(s.intermediate)) as string[]), anyValue()), { nil: undefined }) }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: anyValue() },
  );
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(requestId(s), body).map(([id, b]) => jsonCall('upload', `/api/v1/requests/${id}/certificate`)(b)) },
    { weight: 1, arbitrary: fc.tuple(requestId(s), badJsonText()).map(([id, b]) => ({ endpoint: 'upload', method: 'POST' as const, path: `/api/v1/requests/${id}/certificate`, body: b, contentType: JSON_TYPE })) },
    { weight: 1, arbitrary: fc.tuple(requestId(s), pem, fc.constantFrom(...ODD_TYPES)).map(([id, b, contentType]) => ({ endpoint: 'upload', method: 'POST' as const, path: `/api/v1/requests/${id}/certificate`, body: b, contentType })) },
  );
}

function trustBodies(s: ApiFuzzSeeds): fc.Arbitrary<HostileCall> {
  // What cannot belong in each store. Roots: leaves, intermediates, and any damaged root (its
  // signature no longer verifies with its own key). Intermediates: leaves, and an intact root. A
  // damaged CA certificate IS a valid intermediate by the store's rules (it cannot be told from a
  // CA key-rollover certificate signed by another key), so none is sent there.
  const unfit = { roots: [s.leaf, s.intermediate], intermediates: [s.leaf] };
  const store = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('roots', 'intermediates') }, { weight: 1, arbitrary: fc.constantFrom('Roots', 'root', '..', '%00', 'x'.repeat(300)) });
  return store.chain((name) => {
    const seeds = unfit[name as keyof typeof unfit] ?? [s.leaf, s.intermediate, s.root];
    const damagedCa = name === 'intermediates' ? fc.constant(pemOf(s.root)) : hostilePem([s.root]).filter((p) => !p.includes(pemOf(s.root)));
    const pem = fc.oneof({ weight: 4, arbitrary: hostilePem(seeds) }, { weight: 1, arbitrary: damagedCa }, { weight: 1, arbitrary: fc.integer({ min: 51, max: 300 }).map((n) => pemOf(seeds[0]).repeat(n)) });
    const path = `/api/v1/trust/${name}`;
    return fc.oneof(
      { weight: 4, arbitrary: fc.tuple(pem, fc.constantFrom('text/plain', 'application/x-pem-file', 'application/pkix-cert', 'application/x-x509-ca-cert')).map(([body, contentType]) => ({ endpoint: 'trust', method: 'POST' as const, path, body, contentType })) },
      { weight: 2, arbitrary: fc.oneof(pem.map((p) => ({ pem: p })), fc.record({ pem: anyValue() }, { requiredKeys: [] }), anyValue()).map(jsonCall('trust', path)) },
      { weight: 1, arbitrary: badJsonText().map((body) => ({ endpoint: 'trust', method: 'POST' as const, path, body, contentType: JSON_TYPE })) },
      { weight: 1, arbitrary: fc.tuple(pem, fc.constantFrom(...ODD_TYPES)).map(([body, contentType]) => ({ endpoint: 'trust', method: 'POST' as const, path, body, contentType })) },
    );
  });
}

function assignBodies(s: ApiFuzzSeeds): fc.Arbitrary<HostileCall> {
  const body = fc.oneof(fc.record({ usages: anyValue() }, { requiredKeys: [] }), fc.record({ usages: fc.array(fc.constantFrom('Default', 'WebServicesInternal', 'Nope'), { maxLength: 4 }) }), anyValue());
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(requestId(s), body).map(([id, b]) => jsonCall('assign', `/api/v1/requests/${id}/assign`)(b)) },
    { weight: 1, arbitrary: fc.tuple(requestId(s), badJsonText()).map(([id, b]) => ({ endpoint: 'assign', method: 'POST' as const, path: `/api/v1/requests/${id}/assign`, body: b, contentType: JSON_TYPE })) },
  );
}

function listQueries(): fc.Arbitrary<HostileCall> {
  const key = fc.oneof(fc.constantFrom('state', 'host', 'issuer', 'limit', 'cursor', 'state[]', 'host[a]', 'limit[]', '__proto__', 'constructor'), fc.string({ maxLength: 10 }));
  const value = fc.oneof(
    fc.constantFrom('SUBMITTED', 'PENDING', 'ASSIGNED', '0', '-1', '501', '1.5', '1e3', 'NaN', '', 'null', 'eyJhdCI6IjEgMiIsImlkIjoiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIn0'),
    fc.string({ maxLength: 100 }),
    fc.record({ at: fc.oneof(fc.string({ maxLength: 30 }), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('1 2', '0', '-271821-04-20T00:00:00Z', '275760-09-13T00:00:00.000Z')), id: fc.oneof(fc.uuid(), fc.string({ maxLength: 40 })) }).map((c) => Buffer.from(JSON.stringify(c)).toString('base64url')),
  );
  return fc.tuple(fc.constantFrom('/api/v1/requests', '/api/v1/requests/counts'), fc.array(fc.tuple(key, value), { maxLength: 6 })).map(([path, pairs]) => ({
    endpoint: 'list',
    method: 'GET' as const,
    path: `${path}?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`,
  }));
}

/** Every endpoint's hostile calls, weighted toward the ones that parse PKI input. */
export function hostileCalls(s: ApiFuzzSeeds): fc.Arbitrary<HostileCall> {
  return fc.oneof(
    { weight: 4, arbitrary: submitBodies(s) },
    { weight: 3, arbitrary: trustBodies(s) },
    { weight: 2, arbitrary: uploadBodies(s) },
    { weight: 1, arbitrary: assignBodies(s) },
    { weight: 1, arbitrary: listQueries() },
    { weight: 1, arbitrary: fc.oneof(deepJsonCall('submit', '/api/v1/requests'), deepJsonCall('trust', '/api/v1/trust/roots'), deepJsonCall('upload', `/api/v1/requests/${s.pendingId}/certificate`), deepJsonCall('assign', `/api/v1/requests/${s.pendingId}/assign`)) },
    { weight: 1, arbitrary: hostileDer([s.leaf]).map((d) => ({ endpoint: 'submit', method: 'POST' as const, path: '/api/v1/requests', body: Buffer.from(d).toString('latin1'), contentType: 'application/octet-stream' })) },
  );
}
