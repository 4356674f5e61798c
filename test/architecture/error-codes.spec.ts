/**
 * Error codes are listed once, in libs/contracts/src/error-codes.ts. `ApiError` takes only catalogued
 * codes (the compiler checks that); the codes thrown any other way (RpcError, PkiInputError, the
 * error filter's bodies, the refusals of the trust store) are read from the sources here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ERROR_CODES, INTERNAL_ERROR_CODES } from '@certflow/contracts';

const ROOT = join(__dirname, '..', '..');

/** Where API answers come from: every service, and the libraries whose errors reach them. */
const SCANNED = [
  ...readdirSync(join(ROOT, 'services')).map((s) => join('services', s, 'src')),
  'libs/pki/src',
  'libs/messaging/src',
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : sources(path);
    return path.endsWith('.ts') && !/\.(int-)?spec\.ts$/.test(path) ? [path] : [];
  });
}

const FILES = SCANNED.flatMap((d) => sources(join(ROOT, d))).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));

const CODE = `'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)'`;
/** How a code is thrown or answered, with the capture group of its HTTP status where the source states one. */
const THROWN: { re: RegExp; status?: number }[] = [
  { re: new RegExp(`new ApiError\\(\\s*(\\d{3}),\\s*${CODE}`, 'g'), status: 1 },
  { re: new RegExp(`new RpcError\\(\\s*${CODE},[^;]*?,\\s*(\\d{3})\\s*[,)]`, 'g') },
  { re: new RegExp(`new PkiInputError\\(\\s*${CODE}`, 'g') },
  { re: new RegExp(`\\[(\\d{3}), \\{ error: \\{ code: ${CODE}`, 'g'), status: 1 },
  { re: new RegExp(`(\\d{3}): \\[${CODE},`, 'g'), status: 1 },
  { re: new RegExp(`\\bcode: ${CODE}`, 'g') },
];

interface Found {
  code: string;
  status?: number;
  where: string;
}

function thrown(): Found[] {
  const out: Found[] = [];
  for (const { path, text } of FILES) {
    for (const { re, status } of THROWN) {
      for (const m of text.matchAll(re)) {
        const code = status === 1 ? m[2] : m[1];
        out.push({ code, status: status === 1 ? Number(m[1]) : m[2] ? Number(m[2]) : undefined, where: path });
      }
    }
  }
  return out;
}

/** Codes the HTTP layer of metrics and the CLI own are not the API's; nothing here scans them. */
const CATALOGUED = new Set<string>([...Object.keys(ERROR_CODES), ...Object.keys(INTERNAL_ERROR_CODES)]);

describe('the error code catalog (libs/contracts/src/error-codes.ts)', () => {
  const found = thrown();

  it('reads codes from the sources (the patterns still match the code)', () => {
    expect(found.length).toBeGreaterThan(50);
    expect(found.map((f) => f.code)).toEqual(expect.arrayContaining(['CSR_UNPARSABLE', 'HOST_NOT_ALLOWED', 'PAYLOAD_TOO_LARGE', 'NOT_A_ROOT', 'UNSUPPORTED_MEDIA_TYPE']));
  });

  it('lists every code a service or library throws', () => {
    const missing = found.filter((f) => !CATALOGUED.has(f.code)).map((f) => `${f.code} (${f.where})`);
    expect([...new Set(missing)]).toEqual([]);
  });

  it('gives each code the HTTP status it is thrown with', () => {
    const wrong = found
      .filter((f) => f.status !== undefined && f.code in ERROR_CODES && ERROR_CODES[f.code as keyof typeof ERROR_CODES].status !== f.status)
      .map((f) => `${f.code} is thrown with ${f.status} in ${f.where}`);
    expect(wrong).toEqual([]);
  });

  it('lists no code that nobody throws', () => {
    const all = FILES.map((f) => f.text).join('\n');
    const unused = [...CATALOGUED].filter((code) => !all.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });

  it('keeps internal codes apart from public ones', () => {
    expect(Object.keys(INTERNAL_ERROR_CODES).filter((c) => c in ERROR_CODES)).toEqual([]);
  });
});
