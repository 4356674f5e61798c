/** The part of an HTTP response the writer uses (a fake in tests). */
export interface SseSink {
  write(chunk: string): boolean;
  /** Bytes queued in the process and not yet handed to the kernel (ServerResponse counts its socket's too). */
  readonly writableLength: number;
  /** Ends the response once what is queued is sent. */
  end(): void;
  /** Drops the connection and what is queued for it. */
  destroy(): void;
}

/** Bytes a stream may have queued before its reader counts as too slow: about a thousand events. */
export const MAX_BUFFERED_BYTES = 256 * 1024;

/**
 * Writes server-sent events to one reader and drops a reader that does not keep up: once what is
 * queued for it would pass `maxBuffered`, the connection is destroyed (not ended, which would wait
 * for the backlog to drain) and `onDrop` called once. The queue per stream so stays bounded, where
 * a plain `res.write` grows it for as long as the reader stalls. A dropped client reconnects and
 * re-reads, as after any other break of the stream.
 */
export class SseWriter {
  private dropped = false;
  private ended = false;

  constructor(
    private readonly sink: SseSink,
    private readonly onDrop: () => void,
    private readonly maxBuffered = MAX_BUFFERED_BYTES,
  ) {}

  /** Whether the reader was dropped for being slow. */
  get isDropped(): boolean {
    return this.dropped;
  }

  /**
   * Ends the stream, after `last` if given. Later sends write nothing: an event arriving between
   * the end and the socket's close must not write after the end (Node reports that as an error).
   */
  end(last?: string): void {
    if (this.ended || this.dropped) return;
    if (last !== undefined && !this.send(last)) return;
    this.ended = true;
    this.sink.end();
  }

  /** Queues `chunk`; false when the stream is ended or the reader (now) dropped, and nothing was written. */
  send(chunk: string): boolean {
    if (this.dropped || this.ended) return false;
    if (this.sink.writableLength + Buffer.byteLength(chunk) > this.maxBuffered) {
      this.dropped = true;
      this.sink.destroy();
      this.onDrop();
      return false;
    }
    this.sink.write(chunk);
    return true;
  }
}
