import { markUntrusted } from './untrusted.mark';

const T = 'A'.repeat(40);
const report = (host: string, usages: ('Default' | 'WebServicesInternal')[], subject = 'CN=Gone') => ({
  requestId: 'r',
  host,
  thumbprint: T,
  usages,
  missing: [{ kind: 'intermediate' as const, subject }],
});

describe('markUntrusted', () => {
  const first = new Date('2030-01-01T00:00:00Z');
  const later = new Date('2030-01-02T00:00:00Z');

  it('starts a marker at the first report', () => {
    expect(markUntrusted(null, report('a.example.com', ['WebServicesInternal', 'Default']), first)).toEqual({
      since: first.toISOString(),
      thumbprint: T,
      missing: [{ kind: 'intermediate', subject: 'CN=Gone' }],
      hosts: [{ host: 'a.example.com', usages: ['Default', 'WebServicesInternal'] }],
    });
  });

  it('keeps the first time, adds another host, replaces a host reported again, and takes the latest missing issuers', () => {
    const one = markUntrusted(null, report('b.example.com', ['Default']), first);
    const two = markUntrusted(one, report('a.example.com', ['Default']), later);
    const three = markUntrusted(two, report('b.example.com', ['WebServicesInternal'], 'CN=Root'), later);
    expect(three.since).toBe(first.toISOString());
    expect(three.hosts).toEqual([
      { host: 'a.example.com', usages: ['Default'] },
      { host: 'b.example.com', usages: ['WebServicesInternal'] },
    ]);
    expect(three.missing).toEqual([{ kind: 'intermediate', subject: 'CN=Root' }]);
  });

  it('starts over for another certificate', () => {
    const one = markUntrusted(null, report('a.example.com', ['Default']), first);
    expect(markUntrusted(one, { ...report('a.example.com', ['Default']), thumbprint: 'B'.repeat(40) }, later)).toMatchObject({ since: later.toISOString(), thumbprint: 'B'.repeat(40) });
  });
});
