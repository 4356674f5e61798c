import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT } from './exit-codes';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** `~/.config/certflow/config.json` (or `$XDG_CONFIG_HOME/certflow/config.json`, or `$CERTFLOW_CONFIG`). */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CERTFLOW_CONFIG) return env.CERTFLOW_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'certflow', 'config.json');
}

export interface FileConfig {
  url?: string;
  token?: string;
  nats?: string;
}

export function readConfigFile(path: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed = JSON.parse(text) as FileConfig;
    if (parsed.token && (statSync(path).mode & 0o077) !== 0) {
      process.stderr.write(`certflow: warning: ${path} holds a token and is readable by others — chmod 600 ${path}\n`);
    }
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch {
    throw new CliError(`${path} is not valid JSON`, EXIT.USAGE, 'CONFIG_INVALID', `fix it, e.g. {"url": "${DEFAULT_URL}", "token": "…"}`);
  }
}

export interface Connection {
  url: string;
  token?: string;
}

/** Where the API is and which token to use: flags first, then environment, then the config file. */
export function resolveConnection(flags: { url?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): Connection {
  const file = readConfigFile(configPath(env));
  const url = (flags.url || env.CERTFLOW_URL || file.url || DEFAULT_URL).replace(/\/+$/, '');
  const token = flags.token || env.CERTFLOW_TOKEN || file.token || undefined;
  return { url, token };
}

/** NATS for `events` (the agent uses the HTTP API): --nats, then NATS_URL, then the config file, then the local default. */
export function resolveNatsUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.NATS_URL || readConfigFile(configPath(env)).nats || 'nats://127.0.0.1:4222';
}
