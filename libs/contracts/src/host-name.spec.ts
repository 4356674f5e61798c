import { normalizeHost } from './host-name';

describe('normalizeHost', () => {
  it.each([
    ['Pool01.Example.COM.', 'pool01.example.com'],
    ['  web.example.com ', 'web.example.com'],
    ['*.Example.com', '*.example.com'],
    ['192.0.2.1', '192.0.2.1'],
  ])('%p is stored as %p', (given, stored) => expect(normalizeHost(given)).toBe(stored));
});
