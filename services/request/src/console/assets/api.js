// Every call to the certflow API. The token lives in sessionStorage (this tab only) and goes in the
// Authorization header; never in a URL.
const KEY = 'certflow.token';

export const session = {
  get token() {
    return sessionStorage.getItem(KEY);
  },
  set(token) {
    sessionStorage.setItem(KEY, token);
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

/** An error answer of the API, kept as written: `{error: {code, message, details?}}`. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let onUnauthorized = () => undefined;
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

export async function api(path, { method = 'GET', json, text, headers = {}, signal, token } = {}) {
  const h = { accept: 'application/json', ...headers };
  const t = token ?? session.token;
  if (t) h.authorization = `Bearer ${t}`;
  let body;
  if (json !== undefined) {
    h['content-type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (text !== undefined) {
    h['content-type'] = 'text/plain';
    body = text;
  }
  let res;
  try {
    res = await fetch(path, { method, headers: h, body, signal, cache: 'no-store' });
  } catch (e) {
    if (e?.name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK_ERROR', `certflow did not answer (${e?.message ?? e}). Is it running?`);
  }
  const raw = await res.text();
  let data = null;
  try {
    data = raw ? JSON.parse(raw) : null;
  } catch {
    data = raw;
  }
  if (!res.ok) {
    const err = data && typeof data === 'object' ? data.error : undefined;
    const e = new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? (typeof data === 'string' && data ? data : res.statusText), err?.details);
    if (res.status === 401 && !token) onUnauthorized(e);
    throw e;
  }
  return data;
}

export const enc = encodeURIComponent;
