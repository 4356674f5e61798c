/** One server-sent event of GET /api/v1/events/stream: its name and parsed JSON data. */
export interface StreamEvent {
  event: string;
  data: any;
}

/**
 * Reads a text/event-stream body as the console does: blocks end at a blank line; each block with
 * `event:` and `data:` becomes a StreamEvent handed to `onEvent`. Resolves when the body ends.
 */
export async function readServerSentEvents(body: ReadableStream<Uint8Array> | null, onEvent: (e: StreamEvent) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) onEvent({ event, data: JSON.parse(data) });
    }
  }
}
