import { join } from 'node:path';
import type { RequestView } from '@certflow/contracts';
import type { ApiClient } from './api-client';
import { writeFileAtomic } from './atomic-file';
import { CliError, EXIT } from './exit-codes';
import { printJson } from './options';
import { Spinner, info } from './ui';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/**
 * True when a request will not move on by itself: ASSIGNED, FAILED, CHAIN_INCOMPLETE (waits for an
 * import), or ASSIGNABLE when nothing will assign it (autoAssign off, or it went through
 * CHAIN_INCOMPLETE and waits for an explicit Assign).
 */
export function isSettled(v: Pick<RequestView, 'state' | 'autoAssign' | 'history'>): boolean {
  if (v.state === 'ASSIGNED' || v.state === 'FAILED' || v.state === 'CHAIN_INCOMPLETE') return true;
  if (v.state === 'ASSIGNABLE') return !v.autoAssign || (v.history ?? []).some((h) => h.state === 'CHAIN_INCOMPLETE');
  return false;
}

/** One line saying where a request is. */
export function stateLine(v: RequestView): string {
  switch (v.state) {
    case 'PENDING':
      return `PENDING${v.pending?.detail ? ` — ${v.pending.detail}` : v.issuer === 'offline' ? ' — waiting for the offline CA\'s certificate to be uploaded' : ' — the CA has it'}`;
    case 'ISSUED':
      return `ISSUED — thumbprint ${v.thumbprint ?? '?'}, validating the chain`;
    case 'ASSIGNABLE':
      return `ASSIGNABLE — chain complete${isSettled(v) ? `; assign with: certflow assign ${v.id}` : ', assigning'}`;
    case 'ASSIGNED':
      return `ASSIGNED — ${v.thumbprint} bound to ${(v.assignment?.usages ?? v.usages).join(', ')}`;
    case 'CHAIN_INCOMPLETE':
      return `CHAIN_INCOMPLETE — ${(v.validation?.missing ?? []).map((m) => `${m.kind} "${m.subject}" missing`).join('; ') || 'chain cannot be built'}`;
    case 'SUPERSEDED':
      return `SUPERSEDED — its bindings were taken over${v.supersededBy ? ` by ${v.supersededBy}` : ''}`;
    case 'FAILED':
      return `FAILED — ${v.failure ? `${v.failure.message} (${v.failure.code}, ${v.failure.stage})` : 'no reason given'}`;
    default:
      return v.state;
  }
}

/** What to import to close the gaps of a CHAIN_INCOMPLETE request, one line each. */
export function missingLines(v: RequestView): string[] {
  const missing = v.validation?.missing ?? [];
  if (!missing.length) return [`the chain of ${v.thumbprint ?? 'the certificate'} cannot be built: ${(v.validation?.reasons ?? []).join('; ') || 'no detail'}`];
  return missing.map((m) => {
    const cmd = m.kind === 'root' ? 'certflow trust import-root FILE' : 'certflow trust import-intermediate FILE';
    return `import the ${m.kind} CA "${m.subject}"${m.authorityKeyIdentifier ? ` (key id ${m.authorityKeyIdentifier})` : ''}: ${cmd}`;
  });
}

export class WaitTimeout extends Error {
  constructor(readonly last: RequestView) {
    super(`request ${last.id} is still ${last.state}`);
  }
}

/** Polls a request until it settles; calls `onChange` for each new state. Throws WaitTimeout. */
export async function waitUntilSettled(
  api: ApiClient,
  id: string,
  opts: { timeoutMs?: number; intervalMs?: number; onChange?: (v: RequestView) => void; signal?: AbortSignal; until?: (v: RequestView) => boolean } = {},
): Promise<RequestView> {
  const end = opts.timeoutMs ? Date.now() + opts.timeoutMs : Infinity;
  const until = opts.until ?? isSettled;
  let lastState = '';
  let interval = opts.intervalMs ?? 300;
  for (;;) {
    const v = await api.request(id);
    if (v.state !== lastState) {
      lastState = v.state;
      opts.onChange?.(v);
      interval = opts.intervalMs ?? 300;
    }
    if (until(v)) return v;
    if (Date.now() >= end || opts.signal?.aborted) throw new WaitTimeout(v);
    await sleep(Math.min(interval, Math.max(0, end - Date.now())), opts.signal);
    interval = Math.min(interval * 1.5, 3000);
  }
}

export const CERT_FILES = { cert: 'cert.pem', chain: 'chain.pem', fullchain: 'fullchain.pem' } as const;

/**
 * The chain to install with a certificate: the validated path's CA certificates after the leaf,
 * without the self-signed root (clients have it; certbot's chain.pem is the same).
 */
export async function chainOf(api: ApiClient, v: RequestView): Promise<string[]> {
  const path = v.validation?.path ?? [];
  const out: string[] = [];
  for (const t of path.slice(1)) {
    const d = await api.certificate(t);
    if (d.subject === d.issuer && d.basicConstraints?.ca) continue;
    out.push(d.pem.endsWith('\n') ? d.pem : d.pem + '\n');
  }
  return out;
}

/** Writes cert.pem, chain.pem, fullchain.pem into `dir` atomically (previous ones kept as *.prev). */
export function writeCertificateFiles(dir: string, certificatePem: string, chain: string[]): string[] {
  const cert = certificatePem.endsWith('\n') ? certificatePem : certificatePem + '\n';
  const files: [string, string][] = [
    [join(dir, CERT_FILES.cert), cert],
    [join(dir, CERT_FILES.chain), chain.join('')],
    [join(dir, CERT_FILES.fullchain), cert + chain.join('')],
  ];
  for (const [p, text] of files) writeFileAtomic(p, text, { mode: 0o644, keepPrevious: true });
  return files.map(([p]) => p);
}

/** Fails with the exit code and one line that fit a settled request that is not usable. */
export function failForState(v: RequestView): never {
  if (v.state === 'CHAIN_INCOMPLETE') {
    const lines = missingLines(v);
    throw new CliError(
      `request ${v.id} for ${v.host}: certificate ${v.thumbprint} returned but its chain is incomplete; ${lines.join('; ')}`,
      EXIT.CHAIN_INCOMPLETE,
      'CHAIN_INCOMPLETE',
      `then: certflow assign ${v.id}`,
    );
  }
  if (v.state === 'FAILED') {
    throw new CliError(
      `request ${v.id} for ${v.host} failed at ${v.failure?.stage ?? '?'}: ${v.failure?.message ?? 'no reason given'}`,
      EXIT.FAILED,
      v.failure?.code ?? 'FAILED',
      'fix the cause and run certflow request again',
    );
  }
  throw new CliError(`request ${v.id} is ${v.state}`, EXIT.ERROR);
}

/**
 * Follows a submitted request until it settles, showing each state, then writes cert.pem,
 * chain.pem and fullchain.pem in `out` (ASSIGNED, or ASSIGNABLE waiting for Assign); fails with
 * exit 3 (CHAIN_INCOMPLETE), 4 (FAILED) or 5 (timeout) otherwise. `certflow request` and `renew`.
 */
export async function settleAndInstall(api: ApiClient, created: RequestView, out: string, o: { timeout?: number; json?: boolean }): Promise<RequestView> {
  const spinner = new Spinner();
  spinner.note(`request ${created.id} submitted for ${created.host} (issuer ${created.issuer})`);
  spinner.start(`${created.id} ${created.state}`);
  let view: RequestView;
  try {
    view = await waitUntilSettled(api, created.id, {
      timeoutMs: o.timeout,
      onChange: (v) => {
        spinner.note(`${v.id} ${stateLine(v)}`);
        spinner.update(`${v.id} ${v.state}`);
      },
    });
  } catch (e) {
    spinner.stop();
    if (e instanceof WaitTimeout) {
      throw new CliError(
        `request ${e.last.id} is still ${e.last.state} after ${Math.round((o.timeout ?? 0) / 1000)}s; it goes on in certflow`,
        EXIT.TIMEOUT,
        'TIMEOUT',
        `follow it with: certflow status ${e.last.id}`,
      );
    }
    throw e;
  }
  spinner.stop();
  if (o.json) printJson(view);
  if (view.state === 'ASSIGNED' || (view.state === 'ASSIGNABLE' && isSettled(view))) {
    const files = writeCertificateFiles(out, view.certificate!.pem, await chainOf(api, view));
    for (const f of files) info(`wrote ${f}`);
    if (!o.json) process.stdout.write(`${view.id} ${view.state} ${view.thumbprint}\n`);
    return view;
  }
  return failForState(view);
}
