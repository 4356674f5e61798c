import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '@certflow/runtime';

/** The shortest admin token accepted, from the file as from CERTFLOW_ADMIN_TOKEN. */
export const MIN_ADMIN_TOKEN_LENGTH = 24;
/** The token file's name in the state directory. */
export const ADMIN_TOKEN_FILE = 'admin.token';
/** A rotated file is noticed at most this long after the change (one stat per interval, on authentication). */
export const ADMIN_TOKEN_RECHECK_MS = 1000;

/** What the guard compares a bearer token against: the SHA-256 of the current admin token, or none. */
export interface AdminTokenSource {
  /** Null when no admin token is valid right now (the file became unreadable or unsafe). */
  digest(): Buffer | null;
}

/** Where the admin token comes from, for the start-up log line. */
export interface ResolvedAdminToken {
  source: AdminTokenSource;
  /** The file, or null when CERTFLOW_ADMIN_TOKEN set it. */
  path: string | null;
}

/** The SHA-256 of a token: compared in constant time whatever the lengths. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** An admin token that never changes (CERTFLOW_ADMIN_TOKEN, tests). */
export function fixedAdminToken(token: string): AdminTokenSource {
  const d = tokenDigest(token);
  return { digest: () => d };
}

/**
 * The admin token: CERTFLOW_ADMIN_TOKEN when set, otherwise <stateDir>/admin.token, generated
 * (mode 0600, directory 0700) on first start. An existing file must hold at least 24 characters
 * and be neither readable nor writable by group or others: the service refuses to start otherwise,
 * saying what to run. The file is read again when it changes (`certflow tokens rotate-admin`).
 * @throws ConfigError when the file is unsafe or its token too short.
 */
export function resolveAdminToken(
  configured: string | undefined,
  stateDir: string,
  opts: { now?: () => number; onProblem?: (message: string) => void } = {},
): ResolvedAdminToken {
  if (configured) return { source: fixedAdminToken(configured), path: null };
  const path = join(resolve(stateDir), ADMIN_TOKEN_FILE);
  if (!existsSync(path)) createTokenFile(path);
  const problem = readTokenFile(path).problem;
  if (problem) throw new ConfigError([problem]);
  return { source: new AdminTokenFile(path, opts.now ?? Date.now, opts.onProblem), path };
}

function createTokenFile(path: string): void {
  mkdirSync(resolve(path, '..'), { recursive: true, mode: 0o700 });
  // 'wx' so two processes starting together cannot both write; the loser reads the winner's token.
  try {
    writeFileSync(path, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/** The token in the file, or what is wrong with the file (a sentence that says the fix). */
export function readTokenFile(path: string): { token: string; problem?: undefined } | { token?: undefined; problem: string } {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { problem: `the admin token file ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}): restore it, or run \`certflow tokens rotate-admin\`` };
  }
  if ((mode & 0o077) !== 0) {
    return { problem: `the admin token file ${path} is readable or writable by others (mode ${(mode & 0o777).toString(8)}): run \`chmod 600 ${path}\`` };
  }
  const token = text.trim();
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
    return {
      problem: `the admin token in ${path} is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters: run \`certflow tokens rotate-admin\` to write a new one`,
    };
  }
  return { token };
}

/**
 * The admin token file, read again when its modification time, size or inode changes (an atomic
 * rename gives a new inode). At most one stat per {@link ADMIN_TOKEN_RECHECK_MS}, on authentication,
 * so a rotated token replaces the old one within about a second. A file that turns unsafe or short
 * stops admin authentication (fail closed) until it is fixed, and is reported once per change.
 */
export class AdminTokenFile implements AdminTokenSource {
  private current: Buffer | null = null;
  private stamp = '';
  private checkedAt = -Infinity;

  constructor(
    readonly path: string,
    private readonly now: () => number = Date.now,
    private readonly onProblem: (message: string) => void = () => undefined,
  ) {
    this.refresh();
  }

  digest(): Buffer | null {
    if (this.now() - this.checkedAt >= ADMIN_TOKEN_RECHECK_MS) this.refresh();
    return this.current;
  }

  private refresh(): void {
    this.checkedAt = this.now();
    let stamp: string;
    try {
      const s = statSync(this.path);
      stamp = `${s.mtimeMs}:${s.size}:${s.ino}:${s.mode}`;
    } catch {
      stamp = 'missing';
    }
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    const read = readTokenFile(this.path);
    if (read.problem !== undefined) {
      this.current = null;
      this.onProblem(`${read.problem}; the admin token is refused until then`);
      return;
    }
    this.current = tokenDigest(read.token);
  }
}
