// The bench's load generator's HTTP side, shared by the certflow run and its peer.
import http from 'node:http';

/**
 * POST of JSON bodies to `url` over kept-alive node:http connections, at most `concurrency` of them.
 * The load generator runs on the measured system's own cores, so it should take as little of them
 * as it can: `fetch` (undici) cost it about three times as much CPU per call. Resolves to the status
 * and the parsed body (null when not JSON); status 0 when the connection failed.
 */
export function jsonPoster(url, { concurrency, headers = {} }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const allHeaders = { ...headers, 'content-type': 'application/json' };
  const post = (payload) =>
    new Promise((resolve) => {
      const req = http.request(url, { method: 'POST', agent, headers: allHeaders }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          let body = null;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            // not JSON: the caller judges by the status
          }
          resolve({ status: res.statusCode, body });
        });
        res.on('error', () => resolve({ status: 0, body: null }));
      });
      req.on('error', () => resolve({ status: 0, body: null }));
      req.end(JSON.stringify(payload));
    });
  return { post, close: () => agent.destroy() };
}
