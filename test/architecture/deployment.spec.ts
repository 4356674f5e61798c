/**
 * docker-compose.yml and deploy/Dockerfile cannot be run on the development machines (no Docker
 * engine, no registry to pull base images from), so what can drift without anyone noticing is
 * checked here: the services it builds, the variables it sets, what the image leaves out.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const SERVICES = readdirSync(join(ROOT, 'services'));

/** Every variable name a configuration schema reads: the shared ones (libs/runtime) and each service's. */
function configuredNames(): Set<string> {
  const runtime = readdirSync(join(ROOT, 'libs', 'runtime', 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('spec.ts'))
    .map((f) => join('libs', 'runtime', 'src', f));
  const files = [...runtime, ...SERVICES.map((s) => join('services', s, 'src', 'config.ts'))];
  const names = new Set<string>();
  for (const f of files.filter((f) => existsSync(join(ROOT, f)))) for (const m of read(f).matchAll(/\b((?:CERTFLOW|DATABASE|NATS)_[A-Z0-9_]+)\b/g)) names.add(m[1]);
  return names;
}

describe('deployment files', () => {
  const compose = read('docker-compose.yml');

  it.each(SERVICES)('docker-compose.yml builds and runs the %s service', (service) => {
    expect(compose).toMatch(new RegExp(`^  ${service}:\\n(?:    .*\\n)*?    build: \\{[^}]*args: \\{ SERVICE: ${service} \\}`, 'm'));
    expect(existsSync(join(ROOT, 'services', service, 'src', 'main.ts'))).toBe(true);
  });

  it('sets only variables a configuration schema reads', () => {
    const known = configuredNames();
    const set = [...compose.matchAll(/\b((?:CERTFLOW|DATABASE|NATS)_[A-Z0-9_]+)\s*:/g)].map((m) => m[1]);
    expect(set.length).toBeGreaterThan(3);
    expect(set.filter((name) => !known.has(name))).toEqual([]);
  });

  it.each(SERVICES)('gives the %s service its own NATS identity', (service) => {
    expect(compose).toMatch(new RegExp(`^  ${service}:\\n(?:    .*\\n)*?    environment: \\{[^}]*NATS_NKEY_SEED_FILE: /auth/${service}\\.nk`, 'm'));
  });

  it('gives the CA key to ca-gateway alone', () => {
    const blocks = compose.split(/^(?=  [a-z-]+:\n)/m);
    const holders = blocks.filter((b) => b.includes('CERTFLOW_CA_KEY:')).map((b) => b.trim().split(':')[0]);
    expect(holders).toEqual(['ca-gateway']);
  });

  it('runs the built entry point of the service the image was built for', () => {
    expect(read('deploy/Dockerfile')).toMatch(/node services\/\$\{SERVICE\}\/dist\/main\.js/);
  });

  it('keeps local state, host builds and dependencies out of the image', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['.certflow/', 'node_modules/', '**/dist/', '.git/']) expect(ignored).toContain(entry);
  });
});
