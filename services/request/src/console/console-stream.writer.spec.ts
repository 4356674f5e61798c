import { SseWriter, type SseSink } from './console-stream.writer';

/** A writable whose reader takes nothing until `drain(n)`: what is written stays queued. */
class StalledSink implements SseSink {
  writableLength = 0;
  destroyed = false;
  written: string[] = [];
  ended = false;
  write(chunk: string): boolean {
    if (this.destroyed) throw new Error('write after destroy');
    this.written.push(chunk);
    this.writableLength += Buffer.byteLength(chunk);
    return this.writableLength < 16;
  }
  drain(bytes: number): void {
    this.writableLength = Math.max(0, this.writableLength - bytes);
  }
  end(): void {
    if (this.ended) throw new Error('end twice');
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

describe('SseWriter', () => {
  describe('when the stream is ended', () => {
    it('writes the last event, ends once, and writes nothing after', () => {
      const sink = new StalledSink();
      const w = new SseWriter(sink, () => undefined, 100);
      w.send('a\n\n');
      w.end('event: closed\n\n');
      w.end('again\n\n');
      expect(w.send('late\n\n')).toBe(false);
      expect(sink.written).toEqual(['a\n\n', 'event: closed\n\n']);
      expect(sink.ended).toBe(true);
    });
  });

  describe('when the reader keeps up', () => {
    it('writes every event and never drops it', () => {
      const sink = new StalledSink();
      const onDrop = jest.fn();
      const w = new SseWriter(sink, onDrop, 100);
      for (let i = 0; i < 50; i++) {
        expect(w.send('data: 0123456789\n\n')).toBe(true);
        sink.drain(1_000);
      }
      expect(sink.written).toHaveLength(50);
      expect([sink.destroyed, onDrop.mock.calls.length, w.isDropped]).toEqual([false, 0, false]);
    });
  });

  describe('when the reader stalls', () => {
    it('destroys the connection before the queue passes the bound, and reports it once', () => {
      const sink = new StalledSink();
      const onDrop = jest.fn();
      const w = new SseWriter(sink, onDrop, 100);
      const chunk = 'data: 0123456789\n\n'; // 18 bytes
      const results = Array.from({ length: 20 }, () => w.send(chunk));
      expect(results.filter(Boolean)).toHaveLength(Math.floor(100 / 18));
      expect(sink.writableLength).toBeLessThanOrEqual(100);
      expect(sink.destroyed).toBe(true);
      expect(onDrop).toHaveBeenCalledTimes(1);
      expect(w.isDropped).toBe(true);
    });

    it('does not write again once dropped, even if the queue drains', () => {
      const sink = new StalledSink();
      const w = new SseWriter(sink, () => undefined, 10);
      expect(w.send('x'.repeat(11))).toBe(false);
      sink.drain(1_000);
      expect(w.send('y')).toBe(false);
      expect(sink.written).toEqual([]);
    });

    it('does not end a dropped stream (its connection is already gone)', () => {
      const sink = new StalledSink();
      const w = new SseWriter(sink, () => undefined, 10);
      w.send('x'.repeat(11));
      w.end('event: closed\n\n');
      expect([sink.destroyed, sink.ended]).toEqual([true, false]);
    });

    it('counts bytes, not characters, against the bound', () => {
      const sink = new StalledSink();
      const w = new SseWriter(sink, () => undefined, 10);
      expect(w.send('ü'.repeat(6))).toBe(false); // 6 characters, 12 bytes
    });
  });
});
