import { normalizeHost } from '@certflow/contracts';
import { hostAllowed, hostPatternProblem, patternsRegex } from './host-pattern';

describe('host patterns', () => {
  describe('hostPatternProblem', () => {
    it.each(['web01.corp.example.com', '*.web.example.com', 'WEB01.Corp.Example.com.', 'localhost', 'a-b.example.com'])('accepts %s', (p) => {
      expect(hostPatternProblem(p)).toBeNull();
    });
    it.each([
      ['', 'non-empty'],
      ['*.com', 'two labels'],
      ['*', 'two labels'],
      ['a.*.example.com', 'wildcard'],
      ['*web.example.com', 'wildcard'],
      ['web_01.example.com', 'wildcard'],
      ['-web.example.com', 'wildcard'],
      ['web..example.com', 'wildcard'],
      ['a'.repeat(254), 'longer than 253'],
    ])('refuses %j, saying why', (p, why) => {
      expect(hostPatternProblem(p)).toContain(why);
    });
    it('refuses what is not a string', () => {
      expect(hostPatternProblem(42)).toContain('non-empty string');
    });
  });

  describe('hostAllowed', () => {
    const patterns = ['*.web.example.com', 'db01.corp.example.com'].map(normalizeHost);
    it.each([
      ['a.web.example.com', true],
      ['A.WEB.example.com.', true],
      ['db01.corp.example.com', true],
      ['web.example.com', false],
      ['a.b.web.example.com', false],
      ['aweb.example.com', false],
      ['db02.corp.example.com', false],
      ['x.db01.corp.example.com', false],
      ['evil.com', false],
    ])('%s → %s', (host, allowed) => {
      expect(hostAllowed(patterns, host as string)).toBe(allowed);
    });
    it('allows nothing with no patterns', () => {
      expect(hostAllowed([], 'a.web.example.com')).toBe(false);
    });
  });

  describe('patternsRegex', () => {
    const hosts = ['a.web.example.com', 'web.example.com', 'a.b.web.example.com', 'db01.corp.example.com', 'db01xcorp.example.com', 'xdb01.corp.example.com', 'a.webxexample.com'];
    it('matches in SQL exactly what hostAllowed accepts', () => {
      const patterns = ['*.web.example.com', 'db01.corp.example.com'];
      // PostgreSQL's ARE and JavaScript agree on this subset (anchors, groups, [^.], escaped dots).
      const re = new RegExp(patternsRegex(patterns)!);
      for (const h of hosts) expect([h, re.test(h)]).toEqual([h, hostAllowed(patterns, h)]);
      expect(hosts.filter((h) => re.test(h))).toEqual(['a.web.example.com', 'db01.corp.example.com']);
    });
    it('is null when there are no patterns, so the caller matches nothing', () => {
      expect(patternsRegex([])).toBeNull();
    });
  });
});
