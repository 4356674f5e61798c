import { Command, Option } from 'commander';
import { collect, apiFor, printJson } from '../options';
import { table } from '../ui';
import { rotateAdminToken } from './rotate-admin';

const ROLES = ['admin', 'trust-admin', 'requester', 'viewer', 'agent'] as const;

/** A token as GET /api/v1/tokens shows it (no secret). */
interface TokenView {
  id: string;
  name: string;
  role: string;
  hosts: string[];
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** `certflow tokens create|list|revoke` (API tokens with a role each; admin token needed) and `rotate-admin`. */
export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('API tokens with a role each: admin, trust-admin, requester (host patterns), viewer, agent (host patterns: a fleet host)');

  tokens
    .command('create')
    .description('create a token; its secret is printed once, on stdout, and never again')
    .argument('<name>', 'unique among live tokens; the actor recorded in the audit log')
    .addOption(new Option('--role <role>', 'what the token may do').choices(ROLES).makeOptionMandatory())
    .option('--host <pattern>', 'requester and agent (repeat): a host name or "*.<domain>"', collect, [])
    .option('--json', 'print the token and its secret as JSON')
    .action(async (name: string, o: { role: string; host: string[]; json?: boolean }, cmd: Command) => {
      const body = { name, role: o.role, ...(o.host.length ? { hosts: o.host } : {}) };
      const { body: created } = await apiFor(cmd).call<TokenView & { secret: string }>('POST', '/api/v1/tokens', { json: body });
      if (o.json) return printJson(created);
      // The secret alone on stdout, so `certflow tokens create ci --role viewer > ci.token` works.
      process.stderr.write(`created ${created.role} token "${created.name}" (${created.id}); store the secret now, it is not shown again:\n`);
      process.stdout.write(created.secret + '\n');
    });

  tokens
    .command('list')
    .description('list tokens, live and revoked (never their secrets)')
    .option('--json', 'print {items} as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { body } = await apiFor(cmd).call<{ items: TokenView[] }>('GET', '/api/v1/tokens');
      if (o.json) return printJson(body);
      const rows = body.items.map((t) => [t.id, t.name, t.role, t.hosts.join(',') || '-', t.revokedAt ? `revoked ${t.revokedAt}` : 'live', t.lastUsedAt ?? '-']);
      process.stdout.write(rows.length ? table(['ID', 'NAME', 'ROLE', 'HOSTS', 'STATE', 'LAST USED'], rows) + '\n' : 'no tokens yet\n');
    });

  tokens
    .command('revoke')
    .description('revoke a token: it gets 401 from now on')
    .argument('<id>', 'the token id (certflow tokens list)')
    .option('--json', 'print the revoked token as JSON')
    .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
      const { body } = await apiFor(cmd).call<TokenView>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
      if (o.json) return printJson(body);
      process.stdout.write(`revoked "${body.name}" (${body.id}) at ${body.revokedAt}\n`);
    });

  tokens
    .command('rotate-admin')
    .description('write a new admin token into the state directory; the request service takes it within seconds, the old one stops working')
    .option('--state-dir <dir>', 'where certflow keeps its state', process.env.CERTFLOW_STATE_DIR || '.certflow')
    .action((o: { stateDir: string }) => {
      const { path, token } = rotateAdminToken(o.stateDir);
      // The token alone on stdout, so `certflow tokens rotate-admin > /dev/null` or `TOKEN=$(…)` works.
      process.stderr.write(`wrote a new admin token to ${path} (mode 0600); the old one stops working within seconds. Update CERTFLOW_TOKEN or your CLI config if they held it:\n`);
      process.stdout.write(token + '\n');
    });
}
