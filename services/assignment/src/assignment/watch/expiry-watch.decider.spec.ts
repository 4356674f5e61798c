import { DAY_MS, decideWatch, renewAtOf, UNKNOWN_ISSUER, type WatchState } from './expiry-watch.decider';

const WARN = [30, 14, 7, 1];
const NOT_AFTER = new Date('2031-01-31T00:00:00.000Z');
const before = (days: number) => new Date(NOT_AFTER.getTime() - days * DAY_MS);
const after = (ms: number) => new Date(NOT_AFTER.getTime() + ms);

function row(over: Partial<WatchState> = {}): WatchState {
  return {
    requestId: 'req-1',
    thumbprint: 'a'.repeat(40),
    host: 'web.example.com',
    usages: ['Default'],
    issuer: 'internal',
    rotationPolicy: 'Always',
    notAfter: NOT_AFTER,
    renewAt: before(30),
    renewalDueSentAt: null,
    lastWarnedDays: null,
    expiredSentAt: null,
    releasedAt: null,
    ...over,
  };
}

/** Runs the decider and applies its patch, as the job does with the row. */
function step(r: WatchState, now: Date, warn = WARN) {
  const d = decideWatch(r, now, warn);
  return { ...d, types: d.events.map((e) => (e.type === 'expiring' ? `expiring ${e.data.threshold}` : e.type)), next: { ...r, ...d.patch } };
}

describe('decideWatch', () => {
  describe('before any window', () => {
    it('sends nothing and is next due when the renewal window opens', () => {
      const d = step(row({ renewAt: before(40) }), before(60));
      expect(d.events).toEqual([]);
      expect(d.patch).toEqual({ renewalDueSentAt: null, lastWarnedDays: null, expiredSentAt: null, nextDueAt: before(40) });
    });

    it('is next due at the first threshold when that comes before the renewal window', () => {
      const d = step(row({ renewAt: before(10) }), before(60));
      expect(d.patch.nextDueAt).toEqual(before(30));
    });
  });

  describe('the renewal window', () => {
    it('sends renewal-due once, at renewAt, with what the host needs to renew', () => {
      const r = row({ renewAt: before(40) });
      const d = step(r, before(40));
      expect(d.types).toEqual(['renewal-due']);
      expect(d.events[0].data).toEqual({
        requestId: 'req-1',
        host: 'web.example.com',
        thumbprint: r.thumbprint,
        notAfter: NOT_AFTER.toISOString(),
        usages: ['Default'],
        issuer: 'internal',
        rotationPolicy: 'Always',
        dueAt: before(40).toISOString(),
      });
      expect(d.patch.renewalDueSentAt).toEqual(before(40));
      expect(d.patch.nextDueAt).toEqual(before(30));
      expect(step(d.next, before(35)).events).toEqual([]);
    });

    it('names the issuer as unknown for a request that did not carry one', () => {
      const d = step(row({ renewAt: before(40), issuer: null }), before(39));
      expect(d.events[0].data).toMatchObject({ issuer: UNKNOWN_ISSUER });
    });

    it('sends renewal-due together with the expiring warning when both are reached in one round', () => {
      expect(step(row({ renewAt: before(10) }), before(9)).types).toEqual(['renewal-due', 'expiring 14']);
    });

    it('still sends renewal-due when the certificate has already expired', () => {
      expect(step(row(), after(1)).types).toEqual(['renewal-due', 'expired']);
    });
  });

  describe('expiring thresholds', () => {
    it('sends each threshold once, in order, as the clock reaches it, with the days left', () => {
      let r = row({ renewalDueSentAt: before(30), renewAt: before(30) });
      const seen: string[] = [];
      const daysLeft: number[] = [];
      for (const days of [31, 30, 29, 14, 13.5, 7, 2, 1, 0.5]) {
        const d = step(r, before(days));
        seen.push(...d.types);
        for (const e of d.events) if (e.type === 'expiring') daysLeft.push(e.data.daysLeft);
        r = d.next;
      }
      expect(seen).toEqual(['expiring 30', 'expiring 14', 'expiring 7', 'expiring 1']);
      expect(daysLeft).toEqual([30, 14, 7, 1]);
    });

    it('rounds the days left up', () => {
      const d = step(row({ renewalDueSentAt: before(30) }), new Date(before(7).getTime() + 3_600_000));
      expect(d.events[0].data).toMatchObject({ daysLeft: 7, threshold: 7 });
    });

    it('is next due at the next smaller threshold once one is sent', () => {
      const d = step(row({ renewalDueSentAt: before(30) }), before(30));
      expect(d.patch).toMatchObject({ lastWarnedDays: 30, nextDueAt: before(14) });
    });

    it('is next due at notAfter after the last threshold', () => {
      const d = step(row({ renewalDueSentAt: before(30), lastWarnedDays: 7 }), before(1));
      expect(d.types).toEqual(['expiring 1']);
      expect(d.patch.nextDueAt).toEqual(NOT_AFTER);
    });

    it('sends only the latest threshold reached, never the earlier ones it skipped', () => {
      const d = step(row({ renewalDueSentAt: before(30) }), before(6));
      expect(d.types).toEqual(['expiring 7']);
      expect(d.patch).toMatchObject({ lastWarnedDays: 7, nextDueAt: before(1) });
      // The skipped 30 and 14 never come later either.
      expect(step(d.next, before(3)).events).toEqual([]);
    });

    it('skips thresholds the row slept past (a service down for days) and sends the current one', () => {
      const d = step(row({ renewalDueSentAt: before(30), lastWarnedDays: 30 }), before(5));
      expect(d.types).toEqual(['expiring 7']);
    });

    it('does not send a threshold again when the round comes early (nothing new reached)', () => {
      const d = step(row({ renewalDueSentAt: before(30), lastWarnedDays: 14 }), before(10));
      expect(d.events).toEqual([]);
      expect(d.patch.nextDueAt).toEqual(before(7));
    });
  });

  describe('a certificate bound already inside a window', () => {
    it('sends renewal-due and only the 7-day warning when bound 6 days before notAfter', () => {
      const d = step(row({ renewAt: before(10) }), before(6));
      expect(d.types).toEqual(['renewal-due', 'expiring 7']);
    });

    it('sends only expired (and renewal-due) when bound after notAfter', () => {
      const d = step(row(), after(DAY_MS));
      expect(d.types).toEqual(['renewal-due', 'expired']);
      expect(d.patch.nextDueAt).toBeNull();
    });
  });

  describe('expiry', () => {
    it('sends expired once, at notAfter exactly, and nothing after', () => {
      const r = row({ renewalDueSentAt: before(30), lastWarnedDays: 1 });
      const d = step(r, NOT_AFTER);
      expect(d.types).toEqual(['expired']);
      expect(d.events[0].data).toEqual({ requestId: 'req-1', host: 'web.example.com', thumbprint: r.thumbprint, notAfter: NOT_AFTER.toISOString(), usages: ['Default'] });
      expect(d.patch).toMatchObject({ expiredSentAt: NOT_AFTER, nextDueAt: null });
      expect(step(d.next, after(DAY_MS)).events).toEqual([]);
    });

    it('sends no expiring warning once expired, whatever was warned', () => {
      expect(step(row({ renewalDueSentAt: before(30), lastWarnedDays: null }), after(1)).types).toEqual(['expired']);
    });

    it('one millisecond before notAfter is still the 1-day warning, not expiry', () => {
      const d = step(row({ renewalDueSentAt: before(30), lastWarnedDays: 7 }), after(-1));
      expect(d.types).toEqual(['expiring 1']);
      expect(d.events[0].data).toMatchObject({ daysLeft: 1 });
    });
  });

  describe('a clock that went backwards', () => {
    it('sends nothing early and keeps the row due at its instant', () => {
      const r = row({ renewalDueSentAt: before(30), lastWarnedDays: 14 });
      const d = step(r, before(20));
      expect(d.events).toEqual([]);
      expect(d.patch).toEqual({ renewalDueSentAt: before(30), lastWarnedDays: 14, expiredSentAt: null, nextDueAt: before(7) });
    });

    it('does not send renewal-due before renewAt, even if the row was taken early', () => {
      const d = step(row({ renewAt: before(40) }), before(41));
      expect(d.events).toEqual([]);
      expect(d.patch.nextDueAt).toEqual(before(40));
    });

    it('does not send expired again after the clock comes back past notAfter', () => {
      const sent = step(row({ renewalDueSentAt: before(30), lastWarnedDays: 1 }), NOT_AFTER).next;
      expect(step(sent, before(1)).events).toEqual([]);
      expect(step(sent, after(5)).events).toEqual([]);
    });
  });

  describe('custom thresholds', () => {
    it('uses the configured days, in any order', () => {
      let r = row({ renewalDueSentAt: before(30) });
      const seen: string[] = [];
      for (const days of [60, 45, 20, 3, 2]) {
        const d = step(r, before(days), [3, 45]);
        seen.push(...d.types);
        r = d.next;
      }
      expect(seen).toEqual(['expiring 45', 'expiring 3']);
    });

    it('with no thresholds sends only renewal-due and expired', () => {
      const d = step(row({ renewAt: before(5) }), before(2), []);
      expect(d.types).toEqual(['renewal-due']);
      expect(d.patch.nextDueAt).toEqual(NOT_AFTER);
    });
  });

  describe('a released row', () => {
    it('sends nothing and is due never again', () => {
      const d = step(row({ releasedAt: before(40) }), after(1));
      expect(d.events).toEqual([]);
      expect(d.patch.nextDueAt).toBeNull();
    });
  });
});

describe('renewAtOf', () => {
  const notBefore = new Date('2030-01-01T00:00:00.000Z');
  const notAfter = new Date('2030-04-01T00:00:00.000Z'); // 90 days

  it('defaults to one third of the lifetime before notAfter', () => {
    expect(renewAtOf(notBefore, notAfter, null)).toEqual(new Date('2030-03-02T00:00:00.000Z'));
  });

  it('takes a renewBefore in seconds', () => {
    expect(renewAtOf(notBefore, notAfter, 30 * 86_400)).toEqual(new Date('2030-03-02T00:00:00.000Z'));
    expect(renewAtOf(notBefore, notAfter, 86_400)).toEqual(new Date('2030-03-31T00:00:00.000Z'));
  });

  it('never opens the window before notBefore', () => {
    expect(renewAtOf(notBefore, notAfter, 365 * 86_400)).toEqual(notBefore);
  });
});
