import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { Usage } from '@certflow/contracts';
import { runAgent } from '../agent/agent';
import { resolveNatsUrl } from '../config';
import { CliError, EXIT } from '../exit-codes';
import { KEY_TYPES } from '../key-store';
import { connectNats } from '../nats';
import { apiFor, collect, collectUsages, parseDuration } from '../options';
import { info } from '../ui';
import { runRequest } from './request.command';

interface AgentCliOptions {
  host?: string;
  dir: string;
  nats?: string;
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
    .option('--nats <url>', 'NATS server (default: NATS_URL, config file "nats", nats://127.0.0.1:4222)')
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
run: a durable JetStream consumer "agent-<host>" on certflow.certificate.assigned.v1, so assignments
made while the agent was down are installed when it starts. Per usage it writes
<dir>/<usage>/cert.pem, chain.pem, fullchain.pem and privkey.pem (the key in <dir> that matches),
atomically (temp file, fsync, rename), keeping the previous ones as *.prev, then runs the reload
command. A message is acked only after its files are written.
request: certflow request --out <dir> (key.pem in <dir>, mode 0600); the agent then installs it.
Examples:
  certflow agent request --host web01.corp.example.com --dir /etc/certflow
  certflow agent --host web01.corp.example.com --dir /etc/certflow --reload "systemctl reload nginx"`)
    .action(async (action: string, o: AgentCliOptions, cmd: Command) => {
      if (!o.host) throw new CliError('--host is required', EXIT.USAGE, 'USAGE', 'give this host\'s FQDN: certflow agent --host web01.corp.example.com');
      const dir = resolve(o.dir);
      if (action === 'request') {
        await runRequest(apiFor(cmd), { ...o, host: o.host, out: dir });
        return;
      }
      if (action !== 'run') throw new CliError(`unknown agent action "${action}"`, EXIT.USAGE, 'USAGE', 'use `certflow agent --host H` or `certflow agent request --host H`');
      const nc = await connectNats(resolveNatsUrl(o.nats), `certflow-agent-${o.host}`);
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
        await runAgent(nc, {
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
        await nc.drain().catch(() => nc.close());
      }
    });
}
