import type { BatchSubmitView, CertificateDetails, RequestView, RotationPolicy } from '@certflow/contracts';
import type { Connection } from './config';
import { CliError, EXIT } from './exit-codes';

export interface SubmitBody {
  host: string;
  csr: string;
  usages?: string[];
  autoAssign?: boolean;
  issuer?: string;
  friendlyName?: string;
  /** ISO 8601 duration before notAfter when the renewal window opens (server default: a third of the lifetime). */
  renewBefore?: string;
  rotationPolicy?: RotationPolicy;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface TrustImportResult {
  imported: string[];
  alreadyPresent: string[];
}

/** What to do about an API error, by its code (or HTTP status). */
export function hintFor(status: number, code: string | undefined, url: string): string | undefined {
  if (status === 401 || status === 403) return 'pass a valid token with --token, CERTFLOW_TOKEN or ~/.config/certflow/config.json';
  switch (code) {
    case 'NOT_ASSIGNABLE':
      return 'see what is missing with `certflow status ID`; import it with `certflow trust import-root|import-intermediate FILE`';
    case 'REQUEST_NOT_FOUND':
      return 'check the id with `certflow list`';
    case 'CERTIFICATE_NOT_FOUND':
      return 'check the thumbprint (SHA-1 or SHA-256) with `certflow certs list` or `certflow trust list`';
    case 'INVALID_REASON':
    case 'HOLD_NOT_SUPPORTED':
      return 'give an RFC 5280 reason name: keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn, aACompromise, unspecified';
    case 'CSR_REQUIRED':
      return 'the request rotates its key ("Always"): make a new key and CSR on the host and pass --csr FILE, or revoke without --renew';
    case 'HOST_NOT_IN_CSR':
      return 'give the host as one of --name, or leave --name out';
    case 'UNKNOWN_ISSUER':
      return 'use an issuer the server knows (GET /api/v1/issuers; default "internal")';
    case 'UNKNOWN_USAGE':
      return 'usages are Default, WebServicesInternal, WebServicesExternal';
    case 'IDEMPOTENCY_KEY_REUSED':
      return 'this host was submitted before with other options; keep the options of the first run, or remove its entry from the state file';
    case 'NOT_PENDING':
    case 'NOT_OFFLINE':
      return 'see the request with `certflow status ID`';
  }
  if (status === 404) return `is ${url} a certflow API? check --url / CERTFLOW_URL`;
  if (status >= 500) return 'the server had a problem; retry, and check the service logs if it persists';
  return undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The certflow HTTP API with a bearer token. Every failure becomes a CliError with one clear line. */
export class ApiClient {
  constructor(
    private readonly conn: Connection,
    private readonly opts: { retries?: number } = {},
  ) {}

  get url(): string {
    return this.conn.url;
  }

  async call<T>(
    method: string,
    path: string,
    init: { json?: unknown; text?: string; contentType?: string; headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal; idempotent?: boolean } = {},
  ): Promise<{ status: number; body: T }> {
    if (!this.conn.token) {
      throw new CliError('no API token', EXIT.AUTH, 'TOKEN_MISSING', 'pass --token, set CERTFLOW_TOKEN, or put {"token": "…"} in ~/.config/certflow/config.json (the admin token is in .certflow/admin.token)');
    }
    const headers: Record<string, string> = { authorization: `Bearer ${this.conn.token}`, accept: 'application/json', ...init.headers };
    let body: string | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.text !== undefined) {
      headers['content-type'] = init.contentType ?? 'text/plain';
      body = init.text;
    }
    // Retries only what is safe: connection failures and 502/503/504. A POST is retried only with an
    // Idempotency-Key (the server then returns the first request) or when nothing reached the server.
    const retries = this.opts.retries ?? 3;
    const idempotent = method === 'GET' || !!headers['Idempotency-Key'] || init.idempotent === true;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        const timeout = AbortSignal.timeout(init.timeoutMs ?? 30_000);
        res = await fetch(this.conn.url + path, { method, headers, body, signal: init.signal ? AbortSignal.any([timeout, init.signal]) : timeout });
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
        const refused = cause === 'ECONNREFUSED' || cause === 'ENOTFOUND' || cause === 'EAI_AGAIN';
        if (attempt < retries && (idempotent || refused)) {
          await sleep(300 * 2 ** attempt);
          continue;
        }
        throw new CliError(`cannot reach the certflow API at ${this.conn.url}: ${cause}`, EXIT.UNREACHABLE, 'API_UNREACHABLE', 'is certflow running (npm start)? set the address with --url or CERTFLOW_URL');
      }
      if ([502, 503, 504].includes(res.status) && idempotent && attempt < retries) {
        await sleep(300 * 2 ** attempt);
        continue;
      }
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      if (res.ok) return { status: res.status, body: parsed as T };
      const err = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
      const message = err?.message ?? `${method} ${path} answered ${res.status} ${res.statusText}`;
      const exitCode = res.status === 401 || res.status === 403 ? EXIT.AUTH : EXIT.ERROR;
      throw new CliError(message, exitCode, err?.code ?? `HTTP_${res.status}`, hintFor(res.status, err?.code, this.conn.url), err?.details);
    }
  }

  async submit(body: SubmitBody, idempotencyKey?: string): Promise<RequestView> {
    return (await this.call<RequestView>('POST', '/api/v1/requests', { json: body, headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {} })).body;
  }

  /**
   * POST /api/v1/requests/batch: one result per item, in order. Retried like a keyed submission
   * when every item carries its idempotency key (a retry then returns the requests stored before).
   */
  async submitBatch(items: (SubmitBody & { idempotencyKey?: string })[]): Promise<BatchSubmitView> {
    const idempotent = items.every((i) => i.idempotencyKey);
    return (await this.call<BatchSubmitView>('POST', '/api/v1/requests/batch', { json: { items }, idempotent, timeoutMs: 300_000 })).body;
  }

  async request(id: string): Promise<RequestView> {
    return (await this.call<RequestView>('GET', `/api/v1/requests/${encodeURIComponent(id)}`)).body;
  }

  async listPage(q: { state?: string; host?: string; limit?: number; cursor?: string }): Promise<Page<RequestView>> {
    const params = new URLSearchParams();
    if (q.state) params.set('state', q.state);
    if (q.host) params.set('host', q.host);
    if (q.limit) params.set('limit', String(q.limit));
    if (q.cursor) params.set('cursor', q.cursor);
    return (await this.call<Page<RequestView>>('GET', `/api/v1/requests?${params}`)).body;
  }

  /** Every request matching, following cursors, up to `max`. */
  async listAll(q: { state?: string; host?: string }, max = Infinity): Promise<RequestView[]> {
    const out: RequestView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listPage({ ...q, limit: Math.min(500, Math.max(1, max - out.length)), cursor });
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && out.length < max);
    return out;
  }

  async assign(id: string, usages?: string[]): Promise<RequestView> {
    return (await this.call<RequestView>('POST', `/api/v1/requests/${encodeURIComponent(id)}/assign`, { json: usages ? { usages } : {} })).body;
  }

  async certificate(thumbprint: string): Promise<CertificateDetails> {
    return (await this.call<CertificateDetails>('GET', `/api/v1/certificates/${encodeURIComponent(thumbprint)}`)).body;
  }

  /** A host's events after `after` (long-polls up to `waitSeconds`), as GET /api/v1/hosts/{host}/events answers them. */
  async hostEvents(host: string, after: string, waitSeconds: number, signal?: AbortSignal): Promise<{ items: unknown[]; nextCursor: string }> {
    const q = new URLSearchParams({ after, wait: String(waitSeconds) });
    const path = `/api/v1/hosts/${encodeURIComponent(host)}/events?${q}`;
    return (await this.call<{ items: unknown[]; nextCursor: string }>('GET', path, { timeoutMs: (waitSeconds + 15) * 1000, signal })).body;
  }

  async trustImport(store: 'roots' | 'intermediates', pem: string): Promise<TrustImportResult> {
    return (await this.call<TrustImportResult>('POST', `/api/v1/trust/${store}`, { text: pem, contentType: 'application/x-pem-file' })).body;
  }

  async trustList(store: 'roots' | 'intermediates'): Promise<CertificateDetails[]> {
    return (await this.call<{ items: CertificateDetails[] }>('GET', `/api/v1/trust/${store}`)).body.items;
  }
}
