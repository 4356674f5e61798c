import { waitForDependencies, type Dependency } from './dependency.wait';
import { StartupStatus } from './startup.status';

/** A dependency that answers with the scripted reasons, one per check, then stays reachable. */
function scripted(name: string, reasons: (string | undefined)[]): Dependency & { checks: number } {
  const d = {
    name,
    label: `${name.toUpperCase()} at somewhere`,
    checks: 0,
    probe: async () => reasons[d.checks++],
  };
  return d;
}

function harness() {
  let t = 0;
  const sleeps: number[] = [];
  const lines: { level: 'info' | 'warn'; obj: any; msg: string }[] = [];
  return {
    sleeps,
    lines,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    logger: {
      info: (obj: object, msg: string) => lines.push({ level: 'info', obj, msg }),
      warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj, msg }),
    },
  };
}

describe('waitForDependencies', () => {
  describe('when every dependency answers at once', () => {
    it('returns without pausing or logging', async () => {
      const h = harness();
      await waitForDependencies([scripted('nats', []), scripted('postgres', [])], h);
      expect(h.sleeps).toEqual([]);
      expect(h.lines).toEqual([]);
    });
  });

  describe('when NATS refuses connections for a while', () => {
    it('pauses with doubling delays capped at the maximum', async () => {
      const h = harness();
      await waitForDependencies([scripted('nats', Array(8).fill('connection refused'))], { ...h, maxDelayMs: 5_000 });
      expect(h.sleeps).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
    });

    it('says so once, again after the repeat interval, and once when it answers', async () => {
      const h = harness();
      await waitForDependencies([scripted('nats', Array(12).fill('connection refused'))], { ...h, repeatLogMs: 30_000 });
      expect(h.lines.map((l) => l.level)).toEqual(['warn', 'warn', 'info']);
      expect(h.lines[0].msg).toBe('waiting for NATS at somewhere (connection refused); retrying in 250 ms');
      expect(h.lines[0].obj).toMatchObject({ dependency: 'nats', reason: 'connection refused' });
      expect(h.lines[1].msg).toMatch(/^waiting for NATS at somewhere \(connection refused\); retrying in 5 s, waited 3\d\.\d s so far$/);
      expect(h.lines[2].msg).toMatch(/^NATS at somewhere answers after \d+(\.\d)? s$/);
    });

    it('says so again at once when the reason changes', async () => {
      const h = harness();
      await waitForDependencies([scripted('nats', ['connection refused', 'connection refused', 'TIMEOUT'])], h);
      expect(h.lines.filter((l) => l.level === 'warn').map((l) => l.obj.reason)).toEqual(['connection refused', 'TIMEOUT']);
    });
  });

  describe('when one dependency answers and the other does not', () => {
    it('keeps waiting, and the status names only the one still down', async () => {
      const h = harness();
      const status = new StartupStatus(['nats', 'postgres']);
      const seen: string[][] = [];
      const nats = scripted('nats', []);
      const pg = scripted('postgres', ['connection refused', 'connection refused']);
      const probe = pg.probe;
      pg.probe = async () => {
        seen.push(status.report()!.waitingFor);
        return probe();
      };
      await waitForDependencies([nats, pg], { ...h, status });
      expect(seen).toEqual([['nats', 'postgres'], ['postgres'], ['postgres']]);
      expect(status.report()).toEqual({ status: 'starting', waitingFor: [], checks: { nats: true, postgres: true } });
      expect(nats.checks).toBe(3);
    });
  });

  describe('when a probe throws (waiting cannot help)', () => {
    it('ends the wait with that error', async () => {
      const h = harness();
      const refused: Dependency = { name: 'nats', label: 'NATS', probe: () => Promise.reject(new Error('Authorization Violation')) };
      await expect(waitForDependencies([refused], h)).rejects.toThrow('Authorization Violation');
    });
  });
});
