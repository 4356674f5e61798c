/**
 * Runs the `certflow` CLI (libs/cli/bin/certflow.js, built) as a child process against a running
 * certflow, the way an operator or a script would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Certflow } from './harness';

export const CLI = join(__dirname, '..', '..', 'libs', 'cli', 'bin', 'certflow.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stdout+stderr match. */
  waitFor: (re: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  done: Promise<CliResult>;
}

export function cliEnv(cf: Certflow, extra: Record<string, string> = {}): Record<string, string> {
  // `certflow events` reads the bus as the read-only subscriber identity, as an operator would.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NATS_'))) as Record<string, string>;
  const env: Record<string, string> = { ...inherited, CERTFLOW_URL: cf.baseUrl, CERTFLOW_TOKEN: cf.token, ...cf.natsEnv('subscriber'), CERTFLOW_CONFIG: '/nonexistent/certflow.json', ...extra };
  delete env.CI;
  return env;
}

export function startCli(args: string[], env: Record<string, string>, cwd?: string): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  const poke = () => waiters.splice(0).forEach((w) => w());
  child.stdout!.on('data', (d) => ((out += d.toString()), poke()));
  child.stderr!.on('data', (d) => ((err += d.toString()), poke()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })));
  const waitFor = (re: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in CLI output:\n${out}\n${err}`)), timeoutMs);
      const check = () => {
        const m = (out + err).match(re);
        if (m) {
          clearTimeout(t);
          resolve(m);
        } else if (child.exitCode !== null) {
          clearTimeout(t);
          reject(new Error(`CLI exited ${child.exitCode} before ${re}:\n${out}\n${err}`));
        } else waiters.push(check);
      };
      check();
    });
  return { child, stdout: () => out, stderr: () => err, waitFor, done };
}

export function runCli(args: string[], env: Record<string, string>, cwd?: string): Promise<CliResult> {
  return startCli(args, env, cwd).done;
}

/** The public key of a PEM private key the CLI wrote, as a WebCrypto key (to issue an offline certificate for it). */
export async function publicKeyOf(keyPemPath: string): Promise<CryptoKey> {
  const spki = createPublicKey(readFileSync(keyPemPath, 'utf8')).export({ type: 'spki', format: 'der' });
  return globalThis.crypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
}
