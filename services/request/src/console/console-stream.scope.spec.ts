import { streamScopeOf, visibleIn } from './console-stream.scope';

describe('console stream scope', () => {
  describe('streamScopeOf', () => {
    it.each(['admin', 'trust-admin', 'viewer'] as const)('lets a %s token see everything', (role) => {
      expect(streamScopeOf({ role, hosts: ['a.example.com'] })).toBeNull();
    });

    it("limits a requester to its token's host patterns", () => {
      expect(streamScopeOf({ role: 'requester', hosts: ['*.web.example.com'] })).toEqual(['*.web.example.com']);
    });

    it('gives a requester without patterns an empty scope (sees nothing), not everything', () => {
      expect(streamScopeOf({ role: 'requester' })).toEqual([]);
    });
  });

  describe('visibleIn', () => {
    const scope = ['*.web.example.com', 'db01.corp.example.com'];

    it.each([
      ['a host matching its wildcard', 'a.web.example.com', true],
      ['an exact host, in another case and with a trailing dot', 'DB01.corp.example.com.', true],
      ['another host', 'bank.example.org', false],
      ['the wildcard base itself', 'web.example.com', false],
      ['two labels under the wildcard', 'a.b.web.example.com', false],
      ['no host (a trust-store change)', undefined, false],
      ['an empty host', '', false],
    ])('for a scoped stream and %s: %s', (_what, host, expected) => {
      expect(visibleIn(scope, host)).toBe(expected);
    });

    it('lets an unscoped stream see events with or without a host', () => {
      expect(visibleIn(null, 'bank.example.org')).toBe(true);
      expect(visibleIn(null, undefined)).toBe(true);
    });

    it('shows nothing to an empty scope', () => {
      expect(visibleIn([], 'a.web.example.com')).toBe(false);
    });
  });
});
