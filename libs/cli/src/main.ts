// reflect-metadata and the x509 crypto provider load with @certflow/pki, before @peculiar/x509 is used.
import '@certflow/pki';
import { Command, CommanderError } from 'commander';
import { printable } from '@certflow/contracts';
import { CliError, EXIT } from './exit-codes';
import { registerAgent } from './commands/agent.command';
import { registerBulk } from './commands/bulk.command';
import { registerEvents } from './commands/events.command';
import { registerLifecycle } from './commands/lifecycle.command';
import { registerRequest } from './commands/request.command';
import { registerRequests } from './commands/requests.command';
import { registerRevoke } from './commands/revoke.command';
import { registerTrust } from './commands/trust.command';
import { registerTokens } from './commands/tokens.command';

const EXIT_CODES_HELP = `
Token: --token, then CERTFLOW_TOKEN, then "token" in ~/.config/certflow/config.json ({"url", "token", "nats"}).
API:   --url, then CERTFLOW_URL, then "url" in the config file, then http://127.0.0.1:8080.

Exit codes:
  0  done                       3  CHAIN_INCOMPLETE (import the root/intermediate named)
  1  error (message says what)  4  FAILED
  2  wrong command line         5  timed out waiting (the request goes on)
  6  no or bad token            7  API or NATS unreachable
  130 interrupted (bulk: run the same command again to resume)`;

export function buildProgram(): Command {
  const program = new Command('certflow')
    .description('certflow from the command line: request certificates for hosts, follow them, assign, revoke, manage trust')
    .version(require('../package.json').version as string)
    .option('--url <url>', 'certflow API (default: CERTFLOW_URL, config file, http://127.0.0.1:8080)')
    .option('--token <token>', 'API token (default: CERTFLOW_TOKEN, config file)')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);
  registerRequest(program);
  registerRequests(program);
  registerLifecycle(program);
  registerRevoke(program);
  registerTrust(program);
  registerTokens(program);
  registerBulk(program);
  registerEvents(program);
  registerAgent(program);
  // Usage errors exit 2 (commander's default is 1) on every command.
  const override = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the CLI and exits with a documented code (see EXIT_CODES_HELP). */
export async function run(argv: string[]): Promise<void> {
  // `certflow list | head`: a closed pipe ends the command quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' || e.exitCode === 0;
      process.exitCode = ok ? EXIT.OK : EXIT.USAGE;
    } else if (e instanceof CliError) {
      process.stderr.write(e.line() + '\n');
      process.exitCode = e.exitCode;
    } else {
      process.stderr.write(`certflow: ${printable((e as Error)?.message ?? String(e))} (INTERNAL) — this is a bug; please report it with the command you ran\n`);
      if (process.env.CERTFLOW_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
      process.exitCode = EXIT.ERROR;
    }
  }
  // Nothing may keep the process alive after the command (timers, keep-alive sockets).
  process.exit(process.exitCode ?? 0);
}

if (require.main === module) void run(process.argv);
