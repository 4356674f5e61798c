// Live updates: GET /api/v1/events/stream read with fetch() (EventSource cannot send the
// Authorization header, and the token never goes in a URL). Reconnects with backoff.
import { session } from './api.js';

export function connectLive({ onEvent, onStatus }) {
  let stopped = false;
  let ctrl;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function loop() {
    let delay = 1000;
    while (!stopped) {
      ctrl = new AbortController();
      try {
        const res = await fetch('/api/v1/events/stream', {
          headers: { authorization: `Bearer ${session.token}`, accept: 'text/event-stream' },
          signal: ctrl.signal,
          cache: 'no-store',
        });
        if (res.status === 401) {
          onStatus('unauthorized');
          return;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        onStatus('live');
        delay = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value.replace(/\r\n?/g, '\n');
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const chunk = buf.slice(0, i);
            buf = buf.slice(i + 2);
            dispatch(chunk);
          }
        }
      } catch {
        if (stopped) return;
      }
      if (stopped) return;
      onStatus('offline');
      await sleep(delay);
      delay = Math.min(delay * 2, 15_000);
    }
  }

  function dispatch(chunk) {
    let event = 'message';
    const data = [];
    for (const line of chunk.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (!data.length) return;
    try {
      onEvent({ event, data: JSON.parse(data.join('\n')) });
    } catch {
      /* not JSON: ignored */
    }
  }

  loop();
  return {
    stop() {
      stopped = true;
      ctrl?.abort();
    },
  };
}
