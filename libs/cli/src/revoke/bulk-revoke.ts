import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { CertificateInventoryItem, RevocationReason } from '@certflow/contracts';
import type { ApiClient } from '../api-client';
import { writeFileAtomic } from '../atomic-file';
import { exitFor, printSummary, summarize, type BulkItem } from '../bulk/bulk-report';
import { interruptible } from '../bulk/interruptible';
import { globToRegExp, runPool } from '../bulk/pool';
import { StateFile } from '../bulk/state-file';
import { CliError, EXIT, worstExitCode } from '../exit-codes';
import { inventoryAll, type InventoryQuery } from '../lifecycle/lifecycle-api';
import { ProgressBar, info, table } from '../ui';
import { revokeCertificate, type RevokeResult } from './revoke-api';

/** Which certificates: exactly one of the three. */
export type RevokeSelection = { issuer: string } | { hostGlob: string } | { issuedBy: string };

export interface BulkRevokeOptions {
  selection: RevokeSelection;
  reason: RevocationReason;
  dryRun?: boolean;
  concurrency: number;
  stateFile?: string;
  report?: string;
}

/** States of a revocation the server has taken: the certificate needs nothing more from this run. */
export const REVOKE_DONE = new Set(['requested', 'revoked', 'after-renewal', 'ALREADY_REVOKED']);

export function selectionText(s: RevokeSelection): string {
  return 'issuer' in s ? `--issuer ${s.issuer}` : 'hostGlob' in s ? `--host-glob ${s.hostGlob}` : `--issued-by ${s.issuedBy}`;
}

/** `certflow-revoke-<kind>-<12 hex of the selection>.state.json` in the working directory: the same command finds it again. */
export function defaultRevokeStatePath(s: RevokeSelection): string {
  const kind = 'issuer' in s ? 'issuer' : 'hostGlob' in s ? 'host-glob' : 'issued-by';
  return `certflow-revoke-${kind}-${createHash('sha256').update(selectionText(s)).digest('hex').slice(0, 12)}.state.json`;
}

/**
 * The inventory's certificates the selection covers (every page). The server filters by issuer or
 * issuing CA; the same test is made again here so a server that ignored a filter cannot widen a
 * revocation to the whole fleet. Host globs are matched here (the API has no host pattern filter),
 * with the rules of `bulk assign --host-glob`.
 */
export async function selectCertificates(api: ApiClient, s: RevokeSelection): Promise<CertificateInventoryItem[]> {
  const q: InventoryQuery = 'issuer' in s ? { issuer: s.issuer } : 'issuedBy' in s ? { issuedBy: s.issuedBy } : {};
  const all = await inventoryAll(api, q);
  let keep: (c: CertificateInventoryItem) => boolean;
  if ('issuer' in s) keep = (c) => c.issuer === s.issuer;
  else if ('issuedBy' in s) keep = (c) => c.issuedBy?.toUpperCase() === s.issuedBy.toUpperCase();
  else {
    const glob = globToRegExp(s.hostGlob);
    keep = (c) => glob.test(c.host);
  }
  const seen = new Set<string>();
  return all.filter((c) => keep(c) && !seen.has(c.thumbprint) && seen.add(c.thumbprint));
}

export const alreadyRevoked = (c: CertificateInventoryItem): boolean => c.status === 'revoked' || !!c.revocation;

/**
 * `certflow bulk revoke`: revokes every selected certificate not revoked yet, `--concurrency` at a
 * time, with a progress bar on stderr. Resumable: the state file (keyed by thumbprint) records each
 * answer, so the same command run again skips what the server took; an item whose answer was lost
 * (killed mid-call) is simply asked again — the server answers a second revocation with the first.
 */
export async function bulkRevoke(api: ApiClient, o: BulkRevokeOptions): Promise<void> {
  const startedAt = new Date();
  const sel = selectionText(o.selection);
  const selected = await selectCertificates(api, o.selection);
  const before = selected.filter(alreadyRevoked);
  const statePath = resolve(o.stateFile ?? defaultRevokeStatePath(o.selection));
  let state: StateFile | undefined;
  if (!o.dryRun) {
    try {
      state = StateFile.open(statePath, { inventory: `bulk revoke ${sel}`, url: api.url });
    } catch (e) {
      throw new CliError((e as Error).message, EXIT.USAGE, 'STATE_FILE_INVALID');
    }
  }
  const doneBefore = (c: CertificateInventoryItem) => REVOKE_DONE.has(state?.get(c.thumbprint)?.state ?? '');
  const todo = selected.filter((c) => !alreadyRevoked(c) && !doneBefore(c));
  info(`${selected.length} certificate(s) for ${sel}: ${before.length} already revoked, ${selected.length - before.length - todo.length} done by an earlier run, ${todo.length} to revoke (reason ${o.reason})${state ? `; state ${statePath}` : ''}`);
  if (o.dryRun) {
    if (todo.length) process.stdout.write(table(['HOST', 'THUMBPRINT', 'ISSUER', 'STATUS', 'NOT AFTER', 'REQUEST'], todo.map((c) => [c.host, c.thumbprint, c.issuer, c.status, c.notAfter, c.requestId])) + '\n');
    process.stdout.write(`dry run: would revoke ${todo.length} certificate(s) (reason ${o.reason}); nothing was changed\n`);
    return;
  }

  const items: BulkItem[] = [
    ...before.map((c) => ({ host: c.host, requestId: c.requestId, thumbprint: c.thumbprint, state: 'ALREADY_REVOKED', skipped: true })),
    ...selected.filter((c) => !alreadyRevoked(c) && doneBefore(c)).map((c) => ({ host: c.host, requestId: c.requestId, thumbprint: c.thumbprint, state: state!.get(c.thumbprint)!.state!, skipped: true })),
  ];
  const bar = new ProgressBar(todo.length);
  const intr = interruptible();
  const manual: RevokeResult[] = [];
  let answered = 0;
  try {
    await runPool(
      todo,
      o.concurrency,
      async (c) => {
        try {
          const r = await revokeCertificate(api, c.thumbprint, { reason: o.reason }, intr.signal);
          if (r.atCa === 'manual') manual.push(r);
          await state!.update(c.thumbprint, { host: c.host, requestId: r.requestId, thumbprint: c.thumbprint, state: r.state, error: undefined });
          const first = r.reason !== o.reason ? `revoked before with reason ${r.reason} (${r.requestedAt}); the first revocation stands` : undefined;
          items.push({ host: c.host, requestId: r.requestId, thumbprint: c.thumbprint, state: r.state, ...(first ? { detail: first } : {}) });
          answered++;
          bar.tick(r.state, `${c.host} ${c.thumbprint}`);
        } catch (e) {
          // Interrupted mid-call: the outcome is unknown; the next run asks again (safe).
          if (intr.stopped() && !(e instanceof CliError)) return;
          const err = e instanceof CliError ? { code: e.code ?? 'ERROR', message: e.message } : { code: 'ERROR', message: (e as Error).message };
          if (e instanceof CliError && (e.exitCode === EXIT.AUTH || e.exitCode === EXIT.UNREACHABLE) && !intr.stopped()) bar.note(e.line());
          await state!.update(c.thumbprint, { host: c.host, requestId: c.requestId, thumbprint: c.thumbprint, error: err }).catch(() => undefined);
          items.push({ host: c.host, requestId: c.requestId, thumbprint: c.thumbprint, state: 'ERROR', error: err });
          answered++;
          bar.tick('ERROR', `${c.host} ${c.thumbprint}`);
        }
      },
      intr.stopped,
    );
  } finally {
    intr.dispose();
    bar.finish();
  }
  await state!.flush();
  const report = summarize(`bulk revoke ${sel} --reason ${o.reason}`, startedAt, selected.length, items, intr.stopped());
  if (o.report) writeFileAtomic(resolve(o.report), JSON.stringify(report, null, 2) + '\n');
  printSummary(report, o.report, REVOKE_DONE);
  if (manual.length) process.stdout.write(`${manual.length} certificate(s) from an offline issuer: ${manual[0].message}\n`);
  if (intr.stopped()) {
    info(`certflow: interrupted after ${answered} of ${todo.length} — run the same command again to resume`);
    process.exitCode = EXIT.INTERRUPTED;
    return;
  }
  process.exitCode = worstExitCode(items.map(exitFor));
}
