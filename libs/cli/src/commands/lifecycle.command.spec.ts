import { InvalidArgumentError } from 'commander';
import type { ApiClient } from '../api-client';
import type { CertificateInventoryItem } from '@certflow/contracts';
import { inventoryAll, inventoryQueryString } from '../lifecycle/lifecycle-api';
import { parseRenewBefore, parseSpan } from '../options';
import { buildProgram } from '../main';
import { daysLeft, expiresBeforeFor, formatInventory } from './lifecycle.command';
import { renewalLines } from './requests.command';

const NOW = Date.parse('2026-03-01T00:00:00Z');

const item = (over: Partial<CertificateInventoryItem> = {}): CertificateInventoryItem => ({
  thumbprint: 'AB'.repeat(20), requestId: 'r1', host: 'web01.example.com', issuer: 'internal',
  notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-03-11T00:00:00.000Z', status: 'active', usages: ['Default'], requestState: 'ASSIGNED', ...over,
});

describe('certs list and list --expiring', () => {
  describe('parseSpan', () => {
    it.each([
      ['30d', 30 * 86_400_000],
      ['12h', 12 * 3_600_000],
      ['2w', 14 * 86_400_000],
      ['7', 7 * 86_400_000],
      ['2W', 14 * 86_400_000],
    ])('reads %s', (text, ms) => expect(parseSpan(text)).toBe(ms));

    it.each(['', '0d', '-1d', '1.5d', '30m', 'P30D', 'd'])('refuses %j with an example', (text) => {
      expect(() => parseSpan(text)).toThrow(InvalidArgumentError);
      expect(() => parseSpan(text)).toThrow(/e\.g\. 30d, 12h, 2w/);
    });
  });

  it('asks the inventory for what expires before now + the span, without empty filters', () => {
    expect(expiresBeforeFor(parseSpan('30d'), NOW)).toBe('2026-03-31T00:00:00.000Z');
    expect(expiresBeforeFor(undefined, NOW)).toBeUndefined();
    expect(inventoryQueryString({ host: 'a.example.com', status: 'active', expiresBefore: '2026-03-31T00:00:00.000Z', limit: 1000 })).toBe(
      'host=a.example.com&status=active&expiresBefore=2026-03-31T00%3A00%3A00.000Z&limit=1000',
    );
    expect(inventoryQueryString({ issuer: '' })).toBe('');
  });

  it('follows every cursor of the inventory', async () => {
    const paths: string[] = [];
    const pages: Record<string, { items: CertificateInventoryItem[]; nextCursor: string | null }> = {
      '': { items: [item({ requestId: 'r1' })], nextCursor: 'c1' },
      c1: { items: [item({ requestId: 'r2' })], nextCursor: 'c2' },
      c2: { items: [item({ requestId: 'r3' })], nextCursor: null },
    };
    const api = {
      async call(_m: string, path: string) {
        paths.push(path);
        return { status: 200, body: pages[new URLSearchParams(path.split('?')[1]).get('cursor') ?? ''] };
      },
    } as unknown as ApiClient;
    expect((await inventoryAll(api, { host: 'web01.example.com' })).map((c) => c.requestId)).toEqual(['r1', 'r2', 'r3']);
    expect(paths).toEqual([
      '/api/v1/certificates?host=web01.example.com&limit=1000',
      '/api/v1/certificates?host=web01.example.com&limit=1000&cursor=c1',
      '/api/v1/certificates?host=web01.example.com&limit=1000&cursor=c2',
    ]);
  });

  it('shows days left (rounded up, negative once expired) and the renewal state', () => {
    expect(daysLeft('2026-03-11T00:00:00.000Z', NOW)).toBe(10);
    expect(daysLeft('2026-03-01T00:00:01.000Z', NOW)).toBe(1);
    expect(daysLeft('2026-02-27T00:00:00.000Z', NOW)).toBe(-2);
    const lines = formatInventory([item({ renewal: { dueAt: '2026-02-20T00:00:00.000Z', state: 'waiting-for-host' } }), item({ status: 'expired', notAfter: '2026-02-27T00:00:00.000Z', host: 'b\x1b[2Jx' })], NOW).split('\n');
    expect(lines[0]).toMatch(/^HOST\s+STATUS\s+NOT AFTER\s+DAYS\s+ISSUER\s+THUMBPRINT\s+REQUEST\s+RENEWAL$/);
    expect(lines[1]).toMatch(/active\s+2026-03-11T00:00:00.000Z\s+10\s+internal .* r1\s+waiting-for-host 2026-02-20T00:00:00.000Z$/);
    expect(lines[2]).toMatch(/^b\\x1b\[2Jx\s+expired .* -2 .* -$/);
  });

  it('status shows the policy, what the request renews, what replaced it, and a renewal waiting for the host', () => {
    expect(renewalLines({ rotationPolicy: 'Always', renewBefore: 'P30D', renewalOf: 'r0', supersededBy: 'r2', renewal: { dueAt: '2026-02-20T00:00:00.000Z', state: 'waiting-for-host' } } as never)).toEqual([
      'Rotation  Always, renew P30D before expiry',
      'Renews    r0',
      'Superseded by r2',
      'Renewal   waiting for the host (certflow renew, or its agent), due 2026-02-20T00:00:00.000Z',
    ]);
    expect(renewalLines({} as never)).toEqual([]);
  });

  it('request takes --renew-before as an ISO 8601 duration and --rotation-policy Always|Never', () => {
    expect(parseRenewBefore('P30D')).toBe('P30D');
    expect(parseRenewBefore('pt720h')).toBe('PT720H');
    expect(() => parseRenewBefore('30d')).toThrow(/is not an ISO 8601 duration .*e\.g\. P30D/);
    expect(() => parseRenewBefore('P1M')).toThrow(InvalidArgumentError);
    const request = buildProgram().commands.find((c) => c.name() === 'request')!;
    expect(request.options.find((o) => o.long === '--rotation-policy')!.argChoices).toEqual(['Always', 'Never']);
    expect(request.options.map((o) => o.long)).toContain('--renew-before');
  });

  it('has the commands: certs list, renew, and list --expiring', () => {
    const program = buildProgram();
    const certs = program.commands.find((c) => c.name() === 'certs')!;
    expect(certs.commands.map((c) => c.name())).toEqual(['list']);
    expect(certs.commands[0].options.map((o) => o.long)).toEqual(expect.arrayContaining(['--host', '--issuer', '--status', '--expiring', '--json']));
    const renew = program.commands.find((c) => c.name() === 'renew')!;
    expect(renew.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--csr', '--out', '--timeout']));
    expect(program.commands.find((c) => c.name() === 'list')!.options.map((o) => o.long)).toContain('--expiring');
  });
});
