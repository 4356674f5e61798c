import { resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ROTATION_POLICIES, normalizeHost, type RequestView, type RotationPolicy } from '@certflow/contracts';
import type { ApiClient } from '../api-client';
import { CSR_FILE, KEY_TYPES, createKey, makeCsr, type CliKeyType } from '../key-store';
import { apiFor, collect, collectUsages, parseDuration, parseRenewBefore } from '../options';
import { settleAndInstall } from '../request-flow';
import { info } from '../ui';
import { writeFileAtomic } from '../atomic-file';

export interface RequestOptions {
  host: string;
  name?: string[];
  usages?: string[];
  assign: boolean;
  issuer?: string;
  keyType: CliKeyType;
  out: string;
  timeout?: number;
  force?: boolean;
  json?: boolean;
  friendlyName?: string;
  renewBefore?: string;
  rotationPolicy?: RotationPolicy;
}

/**
 * `certflow request`: key pair on this host (0600), CSR, submit, wait with the state as it changes,
 * then cert.pem / chain.pem / fullchain.pem in --out. CHAIN_INCOMPLETE → exit 3, FAILED → exit 4.
 */
export async function runRequest(api: ApiClient, o: RequestOptions): Promise<RequestView> {
  const out = resolve(o.out);
  const host = normalizeHost(o.host);
  const { keys, path: keyPath } = await createKey(out, o.keyType, { replace: o.force });
  info(`key ${keyPath} (${o.keyType}, mode 0600)`);
  const csr = await makeCsr(keys, host, o.name ?? []);
  writeFileAtomic(resolve(out, CSR_FILE), csr, { mode: 0o644 });

  const body = {
    host,
    csr,
    ...(o.usages?.length ? { usages: o.usages } : {}),
    autoAssign: o.assign,
    ...(o.issuer ? { issuer: o.issuer } : {}),
    ...(o.friendlyName ? { friendlyName: o.friendlyName } : {}),
    ...(o.renewBefore ? { renewBefore: o.renewBefore } : {}),
    ...(o.rotationPolicy ? { rotationPolicy: o.rotationPolicy } : {}),
  };
  const created = await api.submit(body, `cli-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(resolve(out, 'request.json'), JSON.stringify({ id: created.id, host, url: api.url }, null, 2) + '\n');
  return settleAndInstall(api, created, out, o);
}

export function requestOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--host <fqdn>', 'FQDN of the server or pool (CN and first subjectAltName)')
    .option('--name <name>', 'another name for the certificate (repeatable, or comma-separated)', collect, [])
    .option('--usages <usage>', 'Default, WebServicesInternal, WebServicesExternal (repeatable/comma list; default: all three)', collectUsages)
    .option('--no-assign', 'do not assign when the chain validates; the request waits in ASSIGNABLE for `certflow assign`')
    .option('--issuer <name>', 'issuer to use (server default: internal; "offline" waits for an upload)')
    .addOption(new Option('--key-type <type>', 'key pair to make').choices(KEY_TYPES).default('ec-p256'))
    .option('--friendly-name <text>', 'a label for the request')
    .option('--renew-before <duration>', 'ISO 8601 duration before expiry when renewal starts, e.g. P30D (default: a third of the lifetime)', parseRenewBefore)
    .addOption(new Option('--rotation-policy <policy>', 'Always: renew with a new key made on the host (certflow renew, or the agent); Never: certflow re-submits this CSR itself').choices(ROTATION_POLICIES))
    .option('--timeout <duration>', 'give up waiting after this long (e.g. 90s, 10m); exit 5, the request goes on', parseDuration)
    .option('--force', 'replace a key.pem already in the directory (kept as key.pem.prev)')
    .option('--json', 'print the final RequestView as JSON on stdout');
}

export function registerRequest(program: Command): void {
  requestOptions(program.command('request'))
    .description('make a key pair and CSR on this host, submit it, wait, and write the certificate and chain')
    .requiredOption('--out <dir>', 'directory for key.pem (0600), csr.pem, cert.pem, chain.pem, fullchain.pem')
    .addHelpText('after', `
Files in --out: key.pem (PKCS#8, mode 0600), csr.pem, request.json, and once the request is ASSIGNED
(or ASSIGNABLE with --no-assign): cert.pem, chain.pem (intermediates), fullchain.pem (cert + chain).
Exit: 0 done, 3 CHAIN_INCOMPLETE (the message names the root/intermediate to import), 4 FAILED, 5 timeout.
Example: certflow request --host web01.corp.example.com --name web.corp.example.com --out /etc/certflow`)
    .action(async (opts: RequestOptions, cmd: Command) => {
      await runRequest(apiFor(cmd), opts);
    });
}
