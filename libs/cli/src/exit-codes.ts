import { printable } from '@certflow/contracts';

/**
 * Exit codes of `certflow`, stable for scripts (documented in libs/cli/README.md).
 */
export const EXIT = {
  OK: 0,
  /** Something went wrong: the API refused, a file could not be written, … The message says what. */
  ERROR: 1,
  /** The command line is wrong: unknown option, missing argument, bad value. */
  USAGE: 2,
  /** The certificate came back but its chain is incomplete: import the root/intermediate named. */
  CHAIN_INCOMPLETE: 3,
  /** The request FAILED (CA refused, CA unreachable after retries, certificate invalid). */
  FAILED: 4,
  /** --timeout passed before the request settled; it goes on server-side (certflow status ID). */
  TIMEOUT: 5,
  /** No token, or the API refused it (401/403). */
  AUTH: 6,
  /** The API (or NATS) could not be reached. */
  UNREACHABLE: 7,
  /** Interrupted (Ctrl-C / SIGINT); bulk runs resume where they stopped. */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for a request that settled in `state` (what `certflow request` and `status` return). */
export function exitCodeForState(state: string): ExitCode {
  switch (state) {
    case 'CHAIN_INCOMPLETE':
      return EXIT.CHAIN_INCOMPLETE;
    case 'FAILED':
      return EXIT.FAILED;
    default:
      return EXIT.OK;
  }
}

/** Severity order when many outcomes make one exit code (bulk): the worst wins. */
const SEVERITY: ExitCode[] = [EXIT.OK, EXIT.TIMEOUT, EXIT.CHAIN_INCOMPLETE, EXIT.FAILED, EXIT.ERROR, EXIT.UNREACHABLE, EXIT.AUTH, EXIT.INTERRUPTED];

export function worstExitCode(codes: Iterable<ExitCode>): ExitCode {
  let worst: ExitCode = EXIT.OK;
  for (const c of codes) if (SEVERITY.indexOf(c) > SEVERITY.indexOf(worst)) worst = c;
  return worst;
}

/** An error the CLI prints as one line, `certflow: <message> (<code>) — <hint>`, and exits with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.ERROR,
    readonly code?: string,
    readonly hint?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }

  /** The one line, control characters escaped: the message may quote a subject or a CA's answer. */
  line(): string {
    return printable(`certflow: ${this.message}${this.code ? ` (${this.code})` : ''}${this.hint ? ` — ${this.hint}` : ''}`);
  }
}
