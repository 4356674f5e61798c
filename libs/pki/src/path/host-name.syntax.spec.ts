import { DerError, readTime, readWhole } from './der.reader';
import { formatIp, isDnsName, parseIp, parseLegacyIpv4 } from './host-name.syntax';
import { dnsNameMatches } from './peer-name.match';

describe('host-name syntax', () => {
  it.each([
    ['example.com', false, true],
    ['foo_bar.example.com', false, false],
    ['*.example.com', true, true],
    ['*.com', true, false],
    ['f*o.example.com', true, false],
    ['127.0.0.1', false, false],
  ])('isDnsName(%s, wildcard=%s) is %s', (name, wildcard, expected) => expect(isDnsName(name, wildcard)).toBe(expected));

  it('matches a wildcard for exactly one leftmost label', () => {
    expect(dnsNameMatches('*.example.com', 'a.example.com')).toBe(true);
    expect(dnsNameMatches('*.example.com', 'a.b.example.com')).toBe(false);
    expect(dnsNameMatches('*.example.com', 'example.com')).toBe(false);
  });

  it('parses IPv4 and IPv6 to bytes and prints them canonically (RFC 5952)', () => {
    expect(Array.from(parseIp('10.0.0.1') ?? [])).toEqual([10, 0, 0, 1]);
    expect(formatIp(parseIp('2001:0DB8:0:0:0:0:0:1') as Uint8Array)).toBe('2001:db8::1');
    expect(Array.from(parseLegacyIpv4('0x7f.000.0.1') ?? [])).toEqual([127, 0, 0, 1]);
    expect(parseIp('1.2.3')).toBeNull();
  });
});

describe('der reader times', () => {
  const time = (tag: number, text: string): number => {
    const bytes = new Uint8Array([tag, text.length, ...Buffer.from(text, 'latin1')]);
    return readTime(bytes, readWhole(bytes));
  };
  it('reads UTCTime and GeneralizedTime with whole seconds', () => {
    expect(new Date(time(0x17, '300101000000Z')).toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(new Date(time(0x18, '20500101000000Z')).toISOString()).toBe('2050-01-01T00:00:00.000Z');
  });
  it('refuses fractional seconds and offsets (RFC 5280 §4.1.2.5)', () => {
    expect(() => time(0x18, '20500101000000.5Z')).toThrow(DerError);
    expect(() => time(0x17, '3001010000+0100')).toThrow(DerError);
  });
});
