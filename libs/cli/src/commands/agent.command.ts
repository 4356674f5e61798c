import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { Usage } from '@certflow/contracts';
import { runAgent } from '../agent/agent-feed';
import { ApiClient } from '../api-client';
import { resolveConnection } from '../config';
import { CliError, EXIT } from '../exit-codes';
import { KEY_TYPES } from '../key-store';
import { apiFor, collect, collectUsages, parseDuration } from '../options';
import { info } from '../ui';
import { runRequest } from './request.command';

interface AgentCliOptions {
  host?: string;
  dir: string;
  reload?: string;
  reloadDefault?: string;
  reloadWebServicesInternal?: string;
  reloadWebServicesExternal?: string;
  once?: boolean;
  // `agent request`
  name?: string[];
  usages?: string[];
  assign: boolean;
  issuer?: string;
  keyType: (typeof KEY_TYPES)[number];
  timeout?: number;
  force?: boolean;
}

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('the fleet agent: installs the certificates assigned to this host (run), or requests one with its key kept in --dir (request)')
    .argument('[action]', '"run" (default): install assignments as they come; "request": make key + CSR in --dir and submit', 'run')
    .option('--host <fqdn>', 'this host\'s FQDN, as in its requests')
    .option('--dir <dir>', 'where the key and the certificate files live', '/etc/certflow')
    .option('--reload <cmd>', 'shell command run after any usage\'s files changed (env CERTFLOW_USAGE, CERTFLOW_THUMBPRINT, CERTFLOW_DIR)')
    .option('--reload-default <cmd>', 'shell command for the Default usage (instead of --reload)')
    .option('--reload-web-services-internal <cmd>', 'shell command for WebServicesInternal')
    .option('--reload-web-services-external <cmd>', 'shell command for WebServicesExternal')
    .option('--once', 'install what is waiting, then exit (for cron)')
    .option('--name <name>', 'request: another name (repeatable/comma list)', collect, [])
    .option('--usages <usage>', 'request: usages (default: all three)', collectUsages)
    .option('--no-assign', 'request: leave it in ASSIGNABLE')
    .option('--issuer <name>', 'request: issuer')
    .addOption(new Option('--key-type <type>', 'request: key pair to make').choices(KEY_TYPES).default('ec-p256'))
    .option('--timeout <duration>', 'request: stop waiting after this long (exit 5)', parseDuration)
    .option('--force', 'request: replace key.pem (kept as key.pem.prev)')
    .addHelpText('after', `
run: follows GET /api/v1/hosts/<host>/events over HTTP with a token of role "agent" for this host
(--token / CERTFLOW_TOKEN; no NATS needed), from the cursor kept in <dir>/.certflow-cursor.json, so
assignments made while the agent was down are installed when it starts. Per usage it writes
<dir>/<usage>/cert.pem, chain.pem, fullchain.pem and privkey.pem (the key in <dir> that matches),
atomically (temp file, fsync, rename), keeping the previous ones as *.prev, then runs the reload
command. The cursor moves past an event only after its files are written. While the API is
unreachable it logs and retries with back-off (1 s doubling to 30 s).
A renewal-due for this host with rotationPolicy "Always" makes it renew like \`certflow renew\`: a new
key in <dir> (the old one kept as key.pem.prev), a CSR for the same names, POST .../renew; the
renewal is installed when its assignment arrives.
A certificate released because it was revoked (or lost its trust) has cert.pem, chain.pem,
fullchain.pem and privkey.pem of those usages removed (*.prev kept), then the reload command runs
with CERTFLOW_RELEASED=revoked|untrusted. A failed renewal is retried with back-off and
jitter (30 s doubling to 1 h, × 0.5–1.5); state in <dir>/.certflow-renewals.json.
request: certflow request --out <dir> (key.pem in <dir>, mode 0600); the agent then installs it.
Examples:
  certflow agent request --host web01.corp.example.com --dir /etc/certflow
  CERTFLOW_TOKEN=$(cat agent.token) certflow agent --host web01.corp.example.com --dir /etc/certflow --reload "systemctl reload nginx"`)
    .action(async (action: string, o: AgentCliOptions, cmd: Command) => {
      if (!o.host) throw new CliError('--host is required', EXIT.USAGE, 'USAGE', 'give this host\'s FQDN: certflow agent --host web01.corp.example.com');
      const dir = resolve(o.dir);
      if (action === 'request') {
        await runRequest(apiFor(cmd), { ...o, host: o.host, out: dir });
        return;
      }
      if (action !== 'run') throw new CliError(`unknown agent action "${action}"`, EXIT.USAGE, 'USAGE', 'use `certflow agent --host H` or `certflow agent request --host H`');
      // No retries inside a call: the agent's own loop backs off and logs instead.
      const api = new ApiClient(resolveConnection(cmd.optsWithGlobals() as { url?: string; token?: string }), { retries: 0 });
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const reload: Partial<Record<Usage, string>> = {
        ...(o.reloadDefault ? { Default: o.reloadDefault } : {}),
        ...(o.reloadWebServicesInternal ? { WebServicesInternal: o.reloadWebServicesInternal } : {}),
        ...(o.reloadWebServicesExternal ? { WebServicesExternal: o.reloadWebServicesExternal } : {}),
      };
      try {
        await runAgent(api, {
          host: o.host,
          dir,
          reload,
          reloadAll: o.reload,
          once: o.once,
          signal: ac.signal,
          log: (l) => info(`${new Date().toISOString()} certflow agent: ${l}`),
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
