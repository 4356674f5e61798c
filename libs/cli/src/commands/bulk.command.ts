import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { RequestView } from '@certflow/contracts';
import type { ApiClient } from '../api-client';
import { writeFileAtomic } from '../atomic-file';
import { InventoryError, parseInventory, type InventoryEntry } from '../bulk/inventory';
import { globToRegExp, runPool } from '../bulk/pool';
import { StateFile, defaultStatePath } from '../bulk/state-file';
import { CliError, EXIT, worstExitCode } from '../exit-codes';
import { CSR_FILE, KEY_FILE, KEY_TYPES, createKey, loadKey, makeCsr, type CliKeyType } from '../key-store';
import { apiFor, collectUsages, parseDuration, parsePositiveInt } from '../options';
import { chainOf, isSettled, missingLines, waitUntilSettled, WaitTimeout, writeCertificateFiles } from '../request-flow';
import { ProgressBar, info, table } from '../ui';
import { interruptible } from '../bulk/interruptible';
import { registerBulkRevoke } from './revoke.command';
import { MAX_BATCH_ITEMS, submitInBatches, type BatchItem } from '../bulk/batch-submit';
import { OK_STATES, exitFor, printSummary, summarize, type BulkItem } from '../bulk/bulk-report';

interface BulkRequestOptions {
  inventory: string;
  out: string;
  concurrency: number;
  issuer?: string;
  keyType: CliKeyType;
  assign: boolean;
  usages?: string[];
  timeout: number;
  stateFile?: string;
  report?: string;
  batchSize: number;
}

async function bulkRequest(api: ApiClient, o: BulkRequestOptions): Promise<void> {
  const startedAt = new Date();
  const inventoryPath = resolve(o.inventory);
  let entries: InventoryEntry[];
  try {
    entries = parseInventory(readFileSync(inventoryPath, 'utf8'));
  } catch (e) {
    if (e instanceof InventoryError) throw new CliError(`${o.inventory} ${e.message}`, EXIT.USAGE, 'INVENTORY_INVALID', 'each line: host,names (;-separated),usages (;-separated)');
    throw new CliError(`cannot read ${o.inventory}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.USAGE, 'INVENTORY_UNREADABLE');
  }
  const statePath = resolve(o.stateFile ?? defaultStatePath(inventoryPath));
  let state: StateFile;
  try {
    state = StateFile.open(statePath, { inventory: inventoryPath, url: api.url });
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.USAGE, 'STATE_FILE_INVALID');
  }
  const out = resolve(o.out);
  const resumed = entries.filter((e) => state.get(e.host)?.requestId).length;
  info(`${entries.length} hosts from ${o.inventory}; state ${statePath}${resumed ? ` (resuming: ${resumed} submitted before)` : ''}; files under ${out}/<host>/`);

  const bar = new ProgressBar(entries.length);
  const items: BulkItem[] = [];
  const done = new Set<string>();
  const submitted = new Map<string, RequestView>();
  const intr = interruptible();

  const finish = (item: BulkItem) => {
    items.push(item);
    done.add(item.host);
    bar.tick(item.error ? 'ERROR' : item.skipped ? `${item.state} (skipped)` : item.state, item.host);
  };
  const errorOf = (e: unknown) => (e instanceof CliError ? { code: e.code ?? 'ERROR', message: e.message } : { code: 'ERROR', message: (e as Error).message });
  const fail = async (host: string, e: unknown) => {
    const err = errorOf(e);
    if (e instanceof CliError && (e.exitCode === EXIT.AUTH || e.exitCode === EXIT.UNREACHABLE)) {
      if (!intr.stopped()) bar.note(e.line());
    }
    await state.update(host, { error: err }).catch(() => undefined);
    finish({ host, requestId: state.get(host)?.requestId, state: state.get(host)?.state ?? 'NEW', error: err });
  };

  // A key and CSR left by an interrupted run are reused with the same idempotency key, so a
  // submission that reached the server before the state file was written is not repeated.
  const prepare = async (entry: InventoryEntry): Promise<BatchItem> => {
    const { host } = entry;
    const dir = join(out, host);
    const st = state.get(host);
    let csr: string;
    if (existsSync(join(dir, KEY_FILE)) && existsSync(join(dir, CSR_FILE)) && st?.idempotencyKey) {
      csr = readFileSync(join(dir, CSR_FILE), 'utf8');
      await loadKey(join(dir, KEY_FILE)); // fails loudly if the key is damaged
    } else {
      const { keys } = await createKey(dir, o.keyType, { replace: true });
      csr = await makeCsr(keys, host, entry.names);
      writeFileAtomic(join(dir, CSR_FILE), csr);
    }
    const idempotencyKey = st?.idempotencyKey ?? `certflow-bulk-${createHash('sha256').update(`${host}\n${csr}`).digest('hex').slice(0, 40)}`;
    const usages = entry.usages.length ? entry.usages : o.usages;
    return { host, idempotencyKey, body: { host, csr, ...(usages?.length ? { usages } : {}), autoAssign: o.assign, ...(o.issuer ? { issuer: o.issuer } : {}) } };
  };

  const settle = async (entry: InventoryEntry) => {
    const host = entry.host;
    const dir = join(out, host);
    const st = state.get(host)!;
    try {
      let view = submitted.get(host);
      if (!view) {
        view = await api.request(st.requestId!);
        if (OK_STATES.has(view.state) && isSettled(view) && st.filesWritten) {
          return finish({ host, requestId: view.id, state: view.state, thumbprint: view.thumbprint, skipped: true });
        }
      }
      if (!isSettled(view)) view = await waitUntilSettled(api, view.id, { timeoutMs: o.timeout, signal: intr.signal });
      let filesWritten = false;
      if (OK_STATES.has(view.state)) {
        writeCertificateFiles(dir, view.certificate!.pem, await chainOf(api, view));
        filesWritten = true;
      }
      await state.update(host, { state: view.state, thumbprint: view.thumbprint, filesWritten, error: undefined });
      const detail = view.state === 'CHAIN_INCOMPLETE' ? missingLines(view).join('; ') : view.state === 'FAILED' ? `${view.failure?.message} (${view.failure?.code})` : view.state === 'ASSIGNABLE' ? `certflow assign ${view.id}` : undefined;
      finish({ host, requestId: view.id, state: view.state, thumbprint: view.thumbprint, ...(detail ? { detail } : {}) });
    } catch (e) {
      if (e instanceof WaitTimeout) {
        if (intr.stopped()) return; // interrupted: the next run picks it up
        await state.update(host, { state: e.last.state });
        return finish({ host, requestId: e.last.id, state: e.last.state, error: { code: 'TIMEOUT', message: `still ${e.last.state} after ${o.timeout / 1000}s; run again to go on waiting` } });
      }
      await fail(host, e);
    }
  };

  try {
    // 1. Keys and CSRs for the hosts not submitted yet, their keys recorded before anything is sent.
    const order = new Map(entries.map((e, i) => [e.host, i]));
    const prepared: BatchItem[] = [];
    await runPool(entries.filter((e) => !state.get(e.host)?.requestId), o.concurrency, async (entry) => {
      try {
        prepared.push(await prepare(entry));
      } catch (e) {
        await fail(entry.host, e);
      }
    }, intr.stopped);
    prepared.sort((a, b) => order.get(a.host)! - order.get(b.host)!);
    await state.updateMany(prepared.map((p) => [p.host, { idempotencyKey: p.idempotencyKey, state: 'NEW' }]));

    // 2. Submitted in batch calls; a refused host is done (with its error), the others wait below.
    if (prepared.length) info(`submitting ${prepared.length} host(s) in batches of at most ${Math.min(o.batchSize, MAX_BATCH_ITEMS)}`);
    await submitInBatches(api, prepared, o.batchSize, {
      answered: async (answers) => {
        await state.updateMany(answers.map(({ item, result }) => [item.host, result.request ? { requestId: result.request.id, state: result.request.state, error: undefined } : { error: result.error }]));
        for (const { item, result } of answers) {
          if (result.request) submitted.set(item.host, result.request);
          else finish({ host: item.host, state: 'NEW', error: { code: result.error?.code ?? `HTTP_${result.status}`, message: result.error?.message ?? `answered ${result.status}` } });
        }
      },
      failed: async (failedItems, error) => {
        for (const item of failedItems) await fail(item.host, error);
      },
    }, intr.stopped);

    // 3. Waited for until settled, certificate files written.
    await runPool(entries.filter((e) => !done.has(e.host) && state.get(e.host)?.requestId), o.concurrency, settle, intr.stopped);
  } finally {
    intr.dispose();
    bar.finish();
  }
  await state.flush();
  const report = summarize(`bulk request --inventory ${o.inventory}`, startedAt, entries.length, items, intr.stopped());
  if (o.report) writeFileAtomic(resolve(o.report), JSON.stringify(report, null, 2) + '\n');
  printSummary(report, o.report);
  if (intr.stopped()) {
    info(`certflow: interrupted after ${items.length} of ${entries.length} hosts — run the same command again to resume`);
    process.exitCode = EXIT.INTERRUPTED;
    return;
  }
  process.exitCode = worstExitCode(items.map(exitFor));
}

interface BulkAssignOptions {
  state: string;
  hostGlob?: string;
  concurrency: number;
  usages?: string[];
  timeout: number;
  report?: string;
  dryRun?: boolean;
}

async function bulkAssign(api: ApiClient, o: BulkAssignOptions): Promise<void> {
  const startedAt = new Date();
  const glob = o.hostGlob ? globToRegExp(o.hostGlob) : undefined;
  const all = await api.listAll({ state: o.state });
  const todo = all.filter((v) => !glob || glob.test(v.host));
  info(`${todo.length} ${o.state} request(s)${o.hostGlob ? ` for hosts matching ${o.hostGlob}` : ''}`);
  if (o.dryRun) {
    process.stdout.write(table(['ID', 'HOST', 'THUMBPRINT'], todo.map((v) => [v.id, v.host, v.thumbprint ?? '-'])) + '\n');
    return;
  }
  const bar = new ProgressBar(todo.length);
  const items: BulkItem[] = [];
  const intr = interruptible();
  const finish = (item: BulkItem) => {
    items.push(item);
    bar.tick(item.error ? 'ERROR' : item.state, item.host);
  };
  try {
    await runPool(
      todo,
      o.concurrency,
      async (v) => {
        try {
          await api.assign(v.id, o.usages);
          const done = await waitUntilSettled(api, v.id, { timeoutMs: o.timeout, signal: intr.signal, until: (x) => x.state === 'ASSIGNED' || x.state === 'FAILED' });
          finish({ host: v.host, requestId: v.id, state: done.state, thumbprint: done.thumbprint, ...(done.failure ? { detail: done.failure.message } : {}) });
        } catch (e) {
          if (e instanceof WaitTimeout) {
            if (intr.stopped()) return finish({ host: v.host, requestId: v.id, state: e.last.state });
            return finish({ host: v.host, requestId: v.id, state: e.last.state, error: { code: 'TIMEOUT', message: `still ${e.last.state}` } });
          }
          const err = e instanceof CliError ? { code: e.code ?? 'ERROR', message: e.message } : { code: 'ERROR', message: (e as Error).message };
          finish({ host: v.host, requestId: v.id, state: v.state, error: err });
        }
      },
      intr.stopped,
    );
  } finally {
    intr.dispose();
    bar.finish();
  }
  const report = summarize(`bulk assign --state ${o.state}${o.hostGlob ? ` --host-glob ${o.hostGlob}` : ''}`, startedAt, todo.length, items, intr.stopped());
  if (o.report) writeFileAtomic(resolve(o.report), JSON.stringify(report, null, 2) + '\n');
  printSummary(report, o.report);
  process.exitCode = intr.stopped() ? EXIT.INTERRUPTED : worstExitCode(items.map(exitFor));
}

export function registerBulk(program: Command): void {
  const bulk = program.command('bulk').description('request, assign or revoke for many hosts at once (resumable)');

  bulk
    .command('request')
    .description('request a certificate for every host of an inventory CSV')
    .requiredOption('--inventory <file>', 'CSV: host,names,usages (names and usages separated by ;), optional header line')
    .option('--out <dir>', 'keys and certificates go to <dir>/<host>/', 'certflow-hosts')
    .option('--concurrency <n>', 'hosts in flight at once', parsePositiveInt, 8)
    .option('--issuer <name>', 'issuer for every request (server default: internal)')
    .addOption(new Option('--key-type <type>', 'key pair to make').choices(KEY_TYPES).default('ec-p256'))
    .option('--no-assign', 'leave the requests in ASSIGNABLE (assign later with `certflow bulk assign`)')
    .option('--usages <usage>', 'usages for hosts whose line names none (default: all three)', collectUsages)
    .option('--timeout <duration>', 'per host: stop waiting after this long', parseDuration, 300_000)
    .option('--state-file <file>', 'resumable state (default: <inventory>.certflow-state.json)')
    .option('--report <file>', 'write a JSON report: counts per state and one item per host')
    .option('--batch-size <n>', `hosts per submission call (POST /api/v1/requests/batch), at most ${MAX_BATCH_ITEMS}`, parsePositiveInt, MAX_BATCH_ITEMS)
    .addHelpText('after', `
Submits in batch calls (${MAX_BATCH_ITEMS} hosts or 4 MiB each; a call the server finds too large is split),
then waits for each host with --concurrency calls at once.
Resumable: the state file records each host's request id (and the Idempotency-Key used), so running
the same command again skips hosts that are done, goes on waiting for those in flight, and never
submits a host twice. Ctrl-C stops starting new hosts and saves the state (exit 130).
Inventory example:
  host,names,usages
  web01.corp.example.com,web.corp.example.com;www.corp.example.com,Default;WebServicesExternal
  "pool01.corp.example.com","pool01a.corp.example.com",
Exit: 0 all done; otherwise the worst outcome: 5 timeout, 3 CHAIN_INCOMPLETE, 4 FAILED, 1 error.`)
    .action(async (o: BulkRequestOptions, cmd: Command) => bulkRequest(apiFor(cmd), o));

  bulk
    .command('assign')
    .description('assign every request in a state (ASSIGNABLE), optionally only hosts matching a glob')
    .requiredOption('--state <state>', 'requests in this state (ASSIGNABLE)', (v) => v.toUpperCase())
    .option('--host-glob <glob>', 'only hosts matching, e.g. "web*.corp.example.com"')
    .option('--concurrency <n>', 'assignments in flight at once', parsePositiveInt, 8)
    .option('--usages <usage>', 'only these usages (default: those each request asked for)', collectUsages)
    .option('--timeout <duration>', 'per request: stop waiting for ASSIGNED after this long', parseDuration, 60_000)
    .option('--report <file>', 'write a JSON report')
    .option('--dry-run', 'list what would be assigned, change nothing')
    .addHelpText('after', '\nResumable by nature: a second run lists the requests still in the state, so what is assigned is skipped.')
    .action(async (o: BulkAssignOptions, cmd: Command) => bulkAssign(apiFor(cmd), o));

  registerBulkRevoke(bulk);
}
