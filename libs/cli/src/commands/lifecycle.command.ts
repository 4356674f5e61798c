import { Command, Option } from 'commander';
import { KEY_TYPES } from '../key-store';
import { CERTIFICATE_STATUSES, type CertificateInventoryItem } from '@certflow/contracts';
import { inventoryAll, type InventoryQuery } from '../lifecycle/lifecycle-api';
import { runRenew } from '../lifecycle/renew-flow';
import { apiFor, choice, parseDuration, parseSpan, printJson } from '../options';
import { info, table } from '../ui';

/** Whole days from `now` to `iso`, rounded up (negative once past): how `certs list` shows time left. */
export function daysLeft(iso: string, now: number): number {
  return Math.ceil((Date.parse(iso) - now) / 86_400_000);
}

/** The inventory as a table, soonest expiry first (the API's order). */
export function formatInventory(items: readonly CertificateInventoryItem[], now: number): string {
  return table(
    ['HOST', 'STATUS', 'NOT AFTER', 'DAYS', 'ISSUER', 'THUMBPRINT', 'REQUEST', 'RENEWAL'],
    items.map((c) => [
      c.host,
      c.status,
      c.notAfter,
      String(daysLeft(c.notAfter, now)),
      c.issuer,
      c.thumbprint,
      c.requestId,
      c.renewal ? `${c.renewal.state ?? 'due'} ${c.renewal.dueAt}${c.renewal.requestId ? ` ${c.renewal.requestId}` : ''}` : '-',
    ]),
  );
}

/** `--expiring 30d` → the inventory's expiresBefore (now + the span), ISO. */
export function expiresBeforeFor(spanMs: number | undefined, now: number): string | undefined {
  return spanMs === undefined ? undefined : new Date(now + spanMs).toISOString();
}

/** Prints certificates of the inventory (all pages): `certs list`, and `list --expiring`. */
export async function listCertificates(cmd: Command, q: InventoryQuery, o: { json?: boolean; withoutSuperseded?: boolean } = {}): Promise<void> {
  const all = await inventoryAll(apiFor(cmd), q);
  const items = o.withoutSuperseded ? all.filter((c) => c.status !== 'superseded') : all;
  const json = o.json;
  if (json) return printJson({ items });
  if (!items.length) return void process.stdout.write('no certificates\n');
  process.stdout.write(formatInventory(items, Date.now()) + '\n');
}

export function registerLifecycle(program: Command): void {
  program
    .command('renew')
    .description('renew an ASSIGNED request on this host: new key (old kept as key.pem.prev), CSR, submit, wait, install')
    .argument('<id>', 'the request to renew (its certificate is the one in --out)')
    .requiredOption('--out <dir>', 'the directory of the request: key.pem, csr.pem, cert.pem, chain.pem, fullchain.pem')
    .option('--csr <file>', 'submit this CSR (PEM) instead of making a key and CSR here')
    .addOption(new Option('--key-type <type>', 'the new key pair (default: the same type as the key it replaces)').choices(KEY_TYPES))
    .option('--timeout <duration>', 'give up waiting after this long (e.g. 90s, 10m); exit 5, the renewal goes on', parseDuration)
    .option('--json', 'print the renewal\'s final RequestView as JSON on stdout')
    .addHelpText('after', `
rotationPolicy "Always" (default): a new key pair in --out (the old key.pem kept as key.pem.prev; a
retry re-uses a key already rotated for this renewal), a CSR for the same host and names, then
POST /api/v1/requests/ID/renew {csr}. "Never": POST without a CSR (certflow re-uses the stored one).
A renewal already open is followed instead of making another. Once it is ASSIGNED, cert.pem,
chain.pem and fullchain.pem are replaced (previous ones kept as *.prev).
Exit: 0 done, 3 CHAIN_INCOMPLETE, 4 FAILED, 5 timeout, 1 not renewable (NOT_RENEWABLE, KEY_NOT_ROTATED).
Example: certflow renew 3f0c… --out /etc/certflow/web01`)
    .action(async (id: string, o: { out: string; csr?: string; keyType?: (typeof KEY_TYPES)[number]; timeout?: number; json?: boolean }, cmd: Command) => {
      await runRenew(apiFor(cmd), id, { dir: o.out, csrFile: o.csr, keyType: o.keyType, timeout: o.timeout, json: o.json, log: info });
    });

  const certs = program.command('certs').description('the certificate inventory (GET /api/v1/certificates)');
  certs
    .command('list')
    .description('list certificates, soonest expiry first, with their renewal state (all pages)')
    .option('--host <fqdn>', 'only this host\'s')
    .option('--issuer <name>', 'only this issuer\'s')
    .addOption(new Option('--status <status>', 'only certificates in this status').argParser(choice(CERTIFICATE_STATUSES)))
    .option('--expiring <span>', 'only those whose notAfter is within this span from now (30d, 12h, 2w)', parseSpan)
    .option('--json', 'print {items} as JSON')
    .action(async (o: { host?: string; issuer?: string; status?: (typeof CERTIFICATE_STATUSES)[number]; expiring?: number; json?: boolean }, cmd: Command) => {
      await listCertificates(cmd, { host: o.host, issuer: o.issuer, status: o.status, expiresBefore: expiresBeforeFor(o.expiring, Date.now()) }, { json: o.json });
    });
}
