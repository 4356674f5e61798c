/**
 * The NATS permissions are generated from BUS_GRANTS (libs/contracts/src/bus-access.ts). A service
 * that starts consuming, publishing or answering a subject without a grant would be refused by the
 * server at run time; this reads the code and says so before that.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_EVENTS, BUS_GRANTS, BUS_SERVICES, DeadLetterV1, RPC, type BusService } from '@certflow/contracts';

const ROOT = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') && !path.endsWith('.int-spec.ts') ? [path] : [];
  });
}

/** Event definitions by their exported name (`ChainCompleteV1` → its subject). */
const SUBJECT_OF = new Map<string, string>();
for (const [name, value] of Object.entries(require('@certflow/contracts') as Record<string, unknown>)) {
  if (ALL_EVENTS.includes(value as never)) SUBJECT_OF.set(name, (value as { subject: string }).subject);
}

const RPC_OF: Record<string, string> = { hostAssignments: RPC.hostAssignments, trustImport: RPC.trustImport, trustList: RPC.trustList, trustRemove: RPC.trustRemove, certificateLookup: RPC.certificateLookup, pkiCrl: RPC.pkiCrl, pkiOcsp: RPC.pkiOcsp };

function codeOf(service: BusService): string {
  return sources(join(ROOT, 'services', service, 'src'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

function named(code: string, re: RegExp, table: (name: string) => string | undefined): string[] {
  // The name is the first group that matched (a pattern may offer alternatives).
  return [...new Set([...code.matchAll(re)].map((m) => m.slice(1).find((g) => g !== undefined)!).map((n) => table(n) ?? `unknown ${n}`))].sort();
}

describe('the bus grants and the code', () => {
  it.each(BUS_SERVICES)('%s has a durable consumer for exactly the subjects its grant lists', (service) => {
    // A fact handler (`@FactPattern(Def)`) or, for anything left on the per-message transport, `@EventPattern<string>(Def.subject)`.
    const consumed = named(codeOf(service), /@(?:FactPattern\((\w+)\)|EventPattern<string>\((\w+)\.subject)/g, (n) => SUBJECT_OF.get(n));
    expect(consumed).toEqual([...BUS_GRANTS[service].consumes].sort());
  });

  it.each(BUS_SERVICES)('%s publishes only events its grant lists', (service) => {
    const published = named(codeOf(service), /createEvent\(\s*(\w+)/g, (n) => SUBJECT_OF.get(n));
    // Every consumer may dead-letter (libs/messaging does it for them).
    const granted = BUS_GRANTS[service].publishes.filter((s) => s !== DeadLetterV1.subject);
    expect(published.filter((s) => !granted.includes(s))).toEqual([]);
    expect(BUS_GRANTS[service].publishes).toContain(DeadLetterV1.subject);
  });

  it.each(BUS_SERVICES)('%s answers exactly the RPC subjects its grant lists (besides its ping)', (service) => {
    const served = named(codeOf(service), /RPC\.(\w+),/g, (n) => RPC_OF[n]).filter((s) => BUS_GRANTS[service].calls.indexOf(s) < 0);
    expect(served).toEqual(BUS_GRANTS[service].serves.filter((s) => s !== RPC.ping(service)).sort());
  });

  it.each(BUS_SERVICES)('%s asks only the RPC subjects its grant lists', (service) => {
    const asked = named(codeOf(service), /callRpc(?:<[^>]*>)?\(\s*this\.nc,\s*RPC\.(?!ping)(\w+)/g, (n) => RPC_OF[n]);
    expect(asked.filter((s) => !BUS_GRANTS[service].calls.includes(s))).toEqual([]);
  });
});
