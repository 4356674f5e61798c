import { ApiError } from '../../http/api-error';
import { parseCreateToken } from './tokens.service';
import { TOKEN_PREFIX, newTokenSecret, tokenDigest } from './token-secret';

function codeOf(body: unknown): string | null {
  try {
    parseCreateToken(body);
    return null;
  } catch (e) {
    return (e as ApiError).code;
  }
}

describe('parseCreateToken', () => {
  describe('when the body is valid', () => {
    it('takes a viewer without hosts', () => {
      expect(parseCreateToken({ name: 'ops', role: 'viewer' })).toEqual({ name: 'ops', role: 'viewer', hosts: [] });
    });
    it('takes a requester with patterns, normalised and deduplicated', () => {
      expect(parseCreateToken({ name: 'web-ci', role: 'requester', hosts: ['*.Web.example.com.', '*.web.example.com', 'db01.corp.example.com'] })).toEqual({
        name: 'web-ci',
        role: 'requester',
        hosts: ['*.web.example.com', 'db01.corp.example.com'],
      });
    });
  });
  describe('when the body is wrong', () => {
    it.each([
      [null, 'INVALID_BODY'],
      [[], 'INVALID_BODY'],
      [{ name: 'x', role: 'viewer', extra: 1 }, 'UNKNOWN_FIELD'],
      [{ role: 'viewer' }, 'INVALID_TOKEN_NAME'],
      [{ name: 'has space', role: 'viewer' }, 'INVALID_TOKEN_NAME'],
      [{ name: 'Admin', role: 'viewer' }, 'INVALID_TOKEN_NAME'],
      [{ name: 'auto', role: 'viewer' }, 'INVALID_TOKEN_NAME'],
      [{ name: 'x'.repeat(65), role: 'viewer' }, 'INVALID_TOKEN_NAME'],
      [{ name: 'x', role: 'root' }, 'UNKNOWN_ROLE'],
      [{ name: 'x', role: 'viewer', hosts: ['a.example.com'] }, 'HOSTS_NOT_ALLOWED'],
      [{ name: 'x', role: 'requester' }, 'HOSTS_REQUIRED'],
      [{ name: 'x', role: 'requester', hosts: [] }, 'HOSTS_REQUIRED'],
      [{ name: 'x', role: 'requester', hosts: ['*.com'] }, 'INVALID_HOST_PATTERN'],
      [{ name: 'x', role: 'requester', hosts: ['a.*.example.com'] }, 'INVALID_HOST_PATTERN'],
    ])('%j → %s', (body, code) => {
      expect(codeOf(body)).toBe(code);
    });
  });
});

describe('token secrets', () => {
  it('are prefixed, carry 256 random bits, and differ each time', () => {
    const a = newTokenSecret();
    expect(a.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(Buffer.from(a.slice(TOKEN_PREFIX.length), 'base64url')).toHaveLength(32);
    expect(newTokenSecret()).not.toBe(a);
  });
  it('are stored as their SHA-256, which does not contain the secret', () => {
    const s = newTokenSecret();
    expect(tokenDigest(s)).toHaveLength(32);
    expect(tokenDigest(s).toString('hex')).not.toContain(s);
    expect(tokenDigest(s).equals(tokenDigest(s))).toBe(true);
  });
});
