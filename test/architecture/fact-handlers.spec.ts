/**
 * Every JetStream consumer in the services is a fact handler (docs/messaging.md): one shape, the
 * library doing inbox, transaction, outbox, publish and acks. This reads the code and fails when a
 * consumer goes back to handling messages its own way.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' || name === 'migrations' ? [] : sources(path);
    return path.endsWith('.ts') && !/\.(int-|e2e-)?spec\.ts$/.test(path) ? [path] : [];
  });
}

const files = readdirSync(join(ROOT, 'services')).flatMap((s) => sources(join(ROOT, 'services', s, 'src')));
const code = files.map((f) => ({ file: relative(ROOT, f), text: readFileSync(f, 'utf8') }));

/** The ways of handling an event once that the fact-handler shape replaced. */
const RETIRED = ['handleOnce', 'inboxClaimSql', 'outboxInsertSql', 'outboxParameter', 'FactSignals', 'RetryLaterError'];

describe('consumers', () => {
  it('are all fact handlers: no service consumes with a per-message @EventPattern', () => {
    expect(code.filter((c) => /@EventPattern\b/.test(c.text)).map((c) => c.file)).toEqual([]);
    expect(code.filter((c) => /@FactPattern\(/.test(c.text)).length).toBeGreaterThanOrEqual(10);
  });

  it('implement FactHandler where they declare @FactPattern', () => {
    const loose = code.filter((c) => /@FactPattern\(/.test(c.text) && !/implements\s+FactHandler</.test(c.text));
    expect(loose.map((c) => c.file)).toEqual([]);
  });

  it.each(RETIRED)('no service uses the retired %s', (name) => {
    expect(code.filter((c) => new RegExp(`\\b${name}\\b`).test(c.text)).map((c) => c.file)).toEqual([]);
  });
});
