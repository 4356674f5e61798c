import { ApiError } from '../http/api-error';
import { ConsoleStreams, type LiveTokens } from './console-streams.registry';

/** A token table where `revoked` ids are not live; `fail` makes the lookup throw. */
class FakeTokens implements LiveTokens {
  revoked = new Set<string>();
  fail = false;
  calls: string[][] = [];
  async liveIds(ids: readonly string[]): Promise<Set<string>> {
    this.calls.push([...ids]);
    if (this.fail) throw new Error('connection refused');
    return new Set(ids.filter((id) => !this.revoked.has(id)));
  }
}

const make = (perToken = 2, total = 10) => {
  const tokens = new FakeTokens();
  const warn = jest.fn();
  const streams = new ConsoleStreams({ CERTFLOW_SSE_MAX_PER_TOKEN: perToken, CERTFLOW_SSE_MAX_STREAMS: total }, tokens, { warn } as never);
  return { streams, tokens, warn };
};
const refusal = (fn: () => unknown): ApiError => {
  try {
    fn();
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected a refusal');
};

describe('ConsoleStreams', () => {
  const releases: Array<() => void> = [];
  afterEach(() => releases.splice(0).forEach((r) => r()));
  const open = (s: ConsoleStreams, caller: { name: string; tokenId?: string }, close = jest.fn()) => {
    const release = s.open(caller, close);
    releases.push(release);
    return release;
  };

  describe('when a token is at its cap', () => {
    it('answers 429 TOO_MANY_STREAMS naming the per-token variable, and admits it again after a release', () => {
      const { streams } = make(2, 10);
      const first = open(streams, { name: 'ci', tokenId: 't1' });
      open(streams, { name: 'ci', tokenId: 't1' });
      const e = refusal(() => streams.open({ name: 'ci', tokenId: 't1' }, jest.fn()));
      expect(e).toBeInstanceOf(ApiError);
      expect([e.getStatus(), e.code]).toEqual([429, 'TOO_MANY_STREAMS']);
      expect(JSON.stringify(e.getResponse())).toContain('CERTFLOW_SSE_MAX_PER_TOKEN');
      expect(streams.size).toBe(2);
      first();
      first(); // a second release frees nothing more
      expect(streams.size).toBe(1);
      expect(() => open(streams, { name: 'ci', tokenId: 't1' })).not.toThrow();
    });

    it('counts the bootstrap admin (no token id) as one token too', () => {
      const { streams } = make(1, 10);
      open(streams, { name: 'admin' });
      expect(refusal(() => streams.open({ name: 'admin' }, jest.fn())).code).toBe('TOO_MANY_STREAMS');
    });
  });

  describe('when the instance is at its total cap', () => {
    it('refuses any token, naming the total variable', () => {
      const { streams } = make(5, 2);
      open(streams, { name: 'a', tokenId: 'ta' });
      open(streams, { name: 'b', tokenId: 'tb' });
      const e = refusal(() => streams.open({ name: 'c', tokenId: 'tc' }, jest.fn()));
      expect([e.getStatus(), e.code]).toEqual([429, 'TOO_MANY_STREAMS']);
      expect(JSON.stringify(e.getResponse())).toContain('CERTFLOW_SSE_MAX_STREAMS');
    });
  });

  describe('when a token of open streams is revoked', () => {
    it('closes its streams on the next sweep, once, and leaves the others open', async () => {
      const { streams, tokens } = make(5, 10);
      const [revokedA, revokedB, live, admin] = [jest.fn(), jest.fn(), jest.fn(), jest.fn()];
      open(streams, { name: 'ci', tokenId: 't1' }, revokedA);
      open(streams, { name: 'ci', tokenId: 't1' }, revokedB);
      open(streams, { name: 'ops', tokenId: 't2' }, live);
      open(streams, { name: 'admin' }, admin);
      expect(await streams.sweepRevoked()).toBe(0);
      tokens.revoked.add('t1');
      expect(await streams.sweepRevoked()).toBe(2);
      expect(revokedA).toHaveBeenCalledWith('token_revoked');
      expect(revokedB).toHaveBeenCalledWith('token_revoked');
      expect([live.mock.calls.length, admin.mock.calls.length]).toEqual([0, 0]);
      // Not closed twice while its socket is still closing.
      expect(await streams.sweepRevoked()).toBe(0);
      expect(revokedA).toHaveBeenCalledTimes(1);
    });

    it('looks up every token of the open streams in one query, each once', async () => {
      const { streams, tokens } = make(5, 10);
      open(streams, { name: 'a', tokenId: 't1' });
      open(streams, { name: 'a', tokenId: 't1' });
      open(streams, { name: 'b', tokenId: 't2' });
      open(streams, { name: 'admin' });
      await streams.sweepRevoked();
      expect(tokens.calls).toEqual([['t1', 't2']]);
    });

    it('keeps the streams open when the lookup fails, and says so in the log', async () => {
      const { streams, tokens, warn } = make(5, 10);
      const close = jest.fn();
      open(streams, { name: 'ci', tokenId: 't1' }, close);
      tokens.revoked.add('t1');
      tokens.fail = true;
      expect(await streams.sweepRevoked()).toBe(0);
      expect(close).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledTimes(1);
      tokens.fail = false;
      expect(await streams.sweepRevoked()).toBe(1);
    });
  });

  describe('when no stream is open', () => {
    it('does not query the token table', async () => {
      const { streams, tokens } = make();
      open(streams, { name: 'admin' });
      await streams.sweepRevoked();
      expect(tokens.calls).toEqual([]);
    });
  });
});
