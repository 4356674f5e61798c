import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { ApiError } from '../http/api-error';
import { HTTP_LOGGER } from '../http/http-logger';
import { REQUEST_CONFIG, type RequestConfig } from '../config';
import type { Caller } from '../access/auth/token.guard';
import { TokenStore } from '../access/tokens/token.store';
import { StreamCounts } from './console-stream.limits';
import { consoleStreamsClosed, consoleStreamsOpen, consoleStreamsRefused } from './console-stream.metrics';

/**
 * How often the tokens of open streams are looked up again. A revocation may be made on another
 * instance of the request service, so an in-process signal would not reach every stream; one
 * query per period for all of them does, and bounds how long a revoked token keeps reading.
 */
export const TOKEN_RECHECK_MS = 2_000;

/** Why the server closed a stream itself. */
export type StreamCloseReason = 'token_revoked';

/** What the registry needs of the token table. */
export type LiveTokens = Pick<TokenStore, 'liveIds'>;

interface OpenStream {
  key: string;
  tokenId?: string;
  close: (reason: StreamCloseReason) => void;
  closing: boolean;
}

/**
 * The live event streams open on this instance: admits a new one under the caps (per token and in
 * total, 429 TOO_MANY_STREAMS past either), and closes the streams of a revoked token within about
 * TOKEN_RECHECK_MS. The bootstrap admin token has no row and cannot be revoked this way; its
 * streams count against the caps like any other token's.
 */
@Injectable()
export class ConsoleStreams implements BeforeApplicationShutdown {
  private readonly counts: StreamCounts;
  private readonly streams = new Set<OpenStream>();
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    @Inject(REQUEST_CONFIG) config: Pick<RequestConfig, 'CERTFLOW_SSE_MAX_PER_TOKEN' | 'CERTFLOW_SSE_MAX_STREAMS'>,
    @Inject(TokenStore) private readonly tokens: LiveTokens,
    @Inject(HTTP_LOGGER) private readonly logger: Pick<Logger, 'warn'>,
  ) {
    this.counts = new StreamCounts({ perToken: config.CERTFLOW_SSE_MAX_PER_TOKEN, total: config.CERTFLOW_SSE_MAX_STREAMS });
  }

  /**
   * Admits a stream for `caller`, or throws 429 TOO_MANY_STREAMS. `close` is called (once) when the
   * server ends it (its token was revoked). Returns the release, to call when the connection closes
   * for whatever reason; calling it again does nothing.
   */
  open(caller: Pick<Caller, 'name' | 'tokenId'>, close: (reason: StreamCloseReason) => void): () => void {
    const key = caller.tokenId ? `token:${caller.tokenId}` : `bootstrap:${caller.name}`;
    const refusal = this.counts.tryAcquire(key);
    if (refusal) {
      consoleStreamsRefused.inc({ limit: refusal.limit });
      throw refusal.limit === 'per_token'
        ? new ApiError(429, 'TOO_MANY_STREAMS', `this token already has ${refusal.max} live event streams open, its limit (CERTFLOW_SSE_MAX_PER_TOKEN); close one (another console tab or script) and retry`, refusal)
        : new ApiError(429, 'TOO_MANY_STREAMS', `this service instance has ${refusal.max} live event streams open, its limit (CERTFLOW_SSE_MAX_STREAMS); retry in a few seconds, or ask the operator to raise the limit`, refusal);
    }
    const stream: OpenStream = { key, tokenId: caller.tokenId, close, closing: false };
    this.streams.add(stream);
    consoleStreamsOpen.inc();
    this.timer ??= setInterval(() => void this.sweepRevoked(), TOKEN_RECHECK_MS).unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.streams.delete(stream);
      this.counts.release(key);
      consoleStreamsOpen.dec();
      if (this.streams.size === 0) this.stopTimer();
    };
  }

  /** Streams open now. */
  get size(): number {
    return this.counts.size;
  }

  /**
   * Closes the streams whose token is no longer live; resolves to how many. Runs every
   * TOKEN_RECHECK_MS while a stream is open. If the lookup fails (database away) the streams stay
   * open and the next period tries again: dropping every stream on a database blip would only
   * make every console reconnect into the same outage.
   */
  async sweepRevoked(): Promise<number> {
    if (this.sweeping) return 0;
    const ids = [...new Set([...this.streams].flatMap((s) => (s.tokenId && !s.closing ? [s.tokenId] : [])))];
    if (!ids.length) return 0;
    this.sweeping = true;
    try {
      const live = await this.tokens.liveIds(ids);
      let closed = 0;
      for (const s of [...this.streams]) {
        if (!s.tokenId || s.closing || live.has(s.tokenId)) continue;
        s.closing = true;
        consoleStreamsClosed.inc({ reason: 'token_revoked' });
        closed++;
        try {
          s.close('token_revoked');
        } catch {
          /* a stream that cannot be ended is released by its own close handler */
        }
      }
      return closed;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'console streams: could not re-check their tokens; trying again');
      return 0;
    } finally {
      this.sweeping = false;
    }
  }

  beforeApplicationShutdown(): void {
    this.stopTimer();
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
