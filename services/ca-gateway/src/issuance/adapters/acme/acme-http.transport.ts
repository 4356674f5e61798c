import { AsyncLocalStorage } from 'node:async_hooks';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import * as acme from 'acme-client';

/** The CA's last answer of 400 or more during one ACME call: status, RFC 8555 problem type, Retry-After. */
export interface AcmeProblem {
  status: number;
  url: string;
  type?: string;
  detail?: string;
  retryAfter?: string;
}

/**
 * What the HTTP layer saw during one drive of an order. acme-client throws plain `Error(detail)`,
 * dropping the problem type and the status, which decide between "retry" and "fail": they are
 * recorded here, per async call chain, so two orders driven at once never mix.
 */
export interface AcmeCallTrace {
  lastProblem?: AcmeProblem;
  /** `ECONNREFUSED`, `ECONNABORTED` (timeout), `ENOTFOUND`… of the last request that got no answer. */
  networkError?: string;
}

const traces = new AsyncLocalStorage<AcmeCallTrace>();
const agents = new Map<string, https.Agent>();
let installed = false;

type AxiosLikeConfig = { url?: string; httpsAgent?: unknown };
type AxiosLikeResponse = { status: number; config: AxiosLikeConfig; headers: Record<string, string | undefined>; data?: unknown };

function record(response: AxiosLikeResponse): void {
  const trace = traces.getStore();
  if (!trace) return;
  trace.networkError = undefined;
  if (response.status < 400) {
    trace.lastProblem = undefined;
    return;
  }
  const data = (typeof response.data === 'object' && response.data) as { type?: string; detail?: string } | false;
  trace.lastProblem = {
    status: response.status,
    url: response.config.url ?? '',
    ...(data && data.type ? { type: data.type } : {}),
    ...(data && data.detail ? { detail: data.detail } : {}),
    ...(response.headers['retry-after'] ? { retryAfter: String(response.headers['retry-after']) } : {}),
  };
}

/**
 * Sets up acme-client's shared axios instance once per process:
 * - no retries inside the library (its default sleeps up to 75 s in the call): the gateway's order
 *   poller retries with backoff instead, so a slow CA never blocks a worker;
 * - a timeout per HTTP request;
 * - the CA's own TLS trust per origin (see trustCaFor), never a global switch-off of verification;
 * - the trace of problems and network errors (see AcmeCallTrace).
 */
export function installAcmeHttp(timeoutMs: number): void {
  if (installed) return;
  installed = true;
  const instance = acme.axios;
  const defaults = instance.defaults as typeof instance.defaults & { acmeSettings?: { retryMaxAttempts: number } };
  if (defaults.acmeSettings) defaults.acmeSettings.retryMaxAttempts = 0;
  defaults.timeout = timeoutMs;
  instance.interceptors.request.use((config) => {
    const origin = config.url ? safeOrigin(config.url) : undefined;
    const agent = origin ? agents.get(origin) : undefined;
    if (agent) config.httpsAgent = agent;
    return config;
  });
  instance.interceptors.response.use((response) => {
    record(response as unknown as AxiosLikeResponse);
    return response;
  });
  // acme-client's own error interceptor turns a request that got no answer into a TypeError (it reads
  // `response.status` of undefined); this one runs first so the network error code is kept.
  const manager = instance.interceptors.response as unknown as { handlers?: unknown[] };
  const noteNetworkError = (error: { code?: string; message?: string; response?: unknown }) => {
    const trace = traces.getStore();
    if (trace && !error.response) trace.networkError = error.code ?? error.message ?? 'network error';
    return Promise.reject(error);
  };
  if (Array.isArray(manager.handlers)) manager.handlers.unshift({ fulfilled: undefined, rejected: noteNetworkError, synchronous: false, runWhen: null });
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** Trusts `caPem` (plus the system roots) for TLS connections to the origin of `directoryUrl`. */
export function trustCaFor(directoryUrl: string, caPem: string | undefined): void {
  const origin = safeOrigin(directoryUrl);
  if (!origin || !caPem) return;
  agents.set(origin, new https.Agent({ ca: [...rootCertificates, caPem], keepAlive: false }));
}

/** Runs `fn` with a fresh trace; the trace is also handed back when `fn` throws (see classifyAcmeError). */
export async function traced<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown; trace: AcmeCallTrace }> {
  const trace: AcmeCallTrace = {};
  try {
    return { ok: true, value: await traces.run(trace, fn) };
  } catch (error) {
    return { ok: false, error, trace };
  }
}
