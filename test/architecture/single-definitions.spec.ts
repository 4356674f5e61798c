/**
 * The UUID pattern and host-name normalisation are defined once, in libs/contracts (uuid.ts,
 * host-name.ts). A copy elsewhere drifts (one trims, the next does not); this finds one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : sources(path);
    return path.endsWith('.ts') && !/\.(int-)?spec\.ts$/.test(path) ? [path] : [];
  });
}

const FILES = ['services', 'libs'].flatMap((d) => sources(join(ROOT, d))).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));

describe('defined once', () => {
  it('the UUID pattern lives in libs/contracts/src/uuid.ts only', () => {
    const copies = FILES.filter((f) => /\[0-9a-f\]\{8\}-/i.test(f.text)).map((f) => f.path);
    expect(copies).toEqual(['libs/contracts/src/uuid.ts']);
  });

  it('host names are normalised by libs/contracts/src/host-name.ts only (lower-case, trailing dot dropped)', () => {
    const copies = FILES.filter((f) => /toLowerCase\(\)\s*\.replace\(\/\\\.\$\//.test(f.text)).map((f) => f.path);
    expect(copies).toEqual(['libs/contracts/src/host-name.ts']);
  });
});
