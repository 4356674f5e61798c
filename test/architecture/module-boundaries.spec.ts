/**
 * The boundaries STYLE.md asks for, checked on every import in the tree (what
 * @nx/enforce-module-boundaries would do, without its plugin, which does not install with Nest 12).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SERVICES = ['request', 'ca-gateway', 'trust-validation', 'assignment'];
const FRAMEWORK = /^(@nestjs\/|typeorm$|typeorm\/|@nats-io\/|pg$)/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') && !path.endsWith('.int-spec.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

describe('module boundaries', () => {
  it.each(SERVICES)('the %s service imports no other service', (service) => {
    const offenders = sources(join(ROOT, 'services', service, 'src')).flatMap((file) =>
      imports(file)
        .filter((i) => SERVICES.some((other) => other !== service && (i === `@certflow/${other}` || i.includes(`services/${other}`))))
        .map((i) => `${relative(ROOT, file)} → ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it.each(['contracts', 'pki'])('libs/%s imports no framework, ORM or broker', (lib) => {
    const offenders = sources(join(ROOT, 'libs', lib, 'src')).flatMap((file) => imports(file).filter((i) => FRAMEWORK.test(i)).map((i) => `${relative(ROOT, file)} → ${i}`));
    expect(offenders).toEqual([]);
  });

  it('domain code (services/*/src/**/domain) imports no framework, ORM or broker', () => {
    const domainFiles = SERVICES.flatMap((s) => sources(join(ROOT, 'services', s, 'src'))).filter((f) => f.includes('/domain/'));
    expect(domainFiles.length).toBeGreaterThan(0);
    const offenders = domainFiles.flatMap((file) => imports(file).filter((i) => FRAMEWORK.test(i) || i.startsWith('@certflow/messaging') || i.startsWith('@certflow/persistence')).map((i) => `${relative(ROOT, file)} → ${i}`));
    expect(offenders).toEqual([]);
  });

  it('declares each event subject in libs/contracts only', () => {
    const offenders = [...SERVICES.flatMap((s) => sources(join(ROOT, 'services', s, 'src'))), ...['messaging', 'persistence', 'runtime', 'pki'].flatMap((l) => sources(join(ROOT, 'libs', l, 'src')))]
      .filter((file) => /['"`]certflow\.[a-z-]+\.[a-z-]+\.v\d+['"`]/.test(withoutComments(readFileSync(file, 'utf8'))))
      .map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });
});
