import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './api-error';

/**
 * Deepest JSON nesting a body may have. Every body the API takes is two levels deep; a body nested
 * thousands deep parses (V8's JSON.parse is iterative) but overflows the stack of anything that walks
 * or re-serialises it afterwards, so it is refused before any handler sees it.
 */
export const MAX_JSON_DEPTH = 32;

/** Nesting depth of a parsed JSON value (a scalar is 0, `[]` and `{}` are 1), walked without recursion; stops past `max`. */
export function jsonDepth(value: unknown, max = Infinity): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > max) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, here]);
  }
  return deepest;
}

/**
 * Middleware after the JSON body parser: refuses a body nested deeper than {@link MAX_JSON_DEPTH}
 * before any handler walks it. An ApiError passed to `next` reaches the error filter as it is.
 */
export function refuseDeepJson(req: IncomingMessage & { body?: unknown }, _res: ServerResponse, next: (error?: unknown) => void): void {
  if (jsonDepth(req.body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    return next(new ApiError(400, 'JSON_TOO_DEEP', `the JSON body is nested more than ${MAX_JSON_DEPTH} levels deep; the API's bodies are at most 2 levels deep`));
  }
  next();
}

/** The one route whose body may be larger than CERTFLOW_MAX_BODY_BYTES: many submissions at once. */
export const BATCH_ROUTE = '/api/v1/requests/batch';
/** The public PKI routes (outside /api/v1: TLS clients call them, with no token). */
export const PKI_ROUTE = '/pki';
/** Largest OCSP request accepted (a request for a few certificates is a few hundred bytes). */
export const OCSP_REQUEST_LIMIT = 10 * 1024;

/**
 * The 413 message, with the numbers body-parser knows (`limit`, and `length` when the client declared
 * it), naming the setting of the route's limit (`path`: the URL called).
 */
export function bodyTooLargeMessage(cause: unknown, path = ''): string {
  const { limit, length } = (cause ?? {}) as { limit?: unknown; length?: unknown };
  const size = typeof length === 'number' ? `is ${length} bytes` : 'is too large';
  const max = typeof limit === 'number' ? `at most ${limit} bytes are accepted` : 'send at most the configured limit';
  const setting = path.split('?')[0] === BATCH_ROUTE ? 'CERTFLOW_MAX_BATCH_BODY_BYTES; send fewer items per call' : 'CERTFLOW_MAX_BODY_BYTES';
  return `the request body ${size}; ${max} (${setting})`;
}
