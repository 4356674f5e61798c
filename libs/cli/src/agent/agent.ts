import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, chmodSync, rmSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import type { Usage } from '@certflow/contracts';
import { writeFileAtomic } from '../atomic-file';
import { findKeyFor } from '../key-store';
import { writeCertificateFiles } from '../request-flow';

export interface AgentOptions {
  host: string;
  dir: string;
  /** Usage → shell command run after that usage's files changed. */
  reload: Partial<Record<Usage, string>>;
  /** For every usage without its own. */
  reloadAll?: string;
  /** Process what is waiting, then return (cron / tests). */
  once?: boolean;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** The clock and the jitter of renewal retries (tests inject them). */
  now?: () => number;
  random?: () => number;
}

/** The CA certificates to ship with a leaf: the chain the CA returned, without the leaf and self-signed roots. */
export function installableChain(certificate: string, chain: string[]): string[] {
  const leaf = new X509Certificate(certificate);
  const out: string[] = [];
  for (const pem of chain) {
    let c: X509Certificate;
    try {
      c = new X509Certificate(pem);
    } catch {
      continue;
    }
    if (c.fingerprint256 === leaf.fingerprint256) continue;
    if (c.subject === c.issuer && c.ca) continue;
    out.push(pem.endsWith('\n') ? pem : pem + '\n');
  }
  return out;
}

interface UsageMarker {
  /** The event's position in the host's feed. Markers written by the NATS agent had `seq` instead, and count as older. */
  position?: number;
  thumbprint: string;
  requestId: string;
  installedAt: string;
  /** Set when the files were removed because the certificate was released (revoked, untrusted). */
  removed?: { at: string; reason: string };
}

function readMarker(path: string): UsageMarker | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as UsageMarker;
  } catch {
    return undefined;
  }
}

/** The files a released usage loses; their *.prev copies stay (the operator's way back, by hand). */
export const REMOVED_ON_RELEASE = ['cert.pem', 'chain.pem', 'fullchain.pem', 'privkey.pem'] as const;

function runReload(cmd: string, env: Record<string, string>, log: (l: string) => void): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', cmd], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (e) => {
      log(`reload for ${env.CERTFLOW_USAGE} could not start: ${e.message}`);
      resolve();
    });
    child.on('exit', (code, signal) => {
      if (code !== 0) log(`reload for ${env.CERTFLOW_USAGE} exited ${code ?? signal}: ${cmd}`);
      resolve();
    });
  });
}

/**
 * Installs one assigned event for `host`: per usage, `<dir>/<usage>/{cert,chain,fullchain}.pem`
 * (and privkey.pem when a key in `dir` matches), written atomically with the previous ones kept
 * as *.prev, then the reload command. An event older than (or equal to) what a usage already has
 * — by its position in the host's feed — changes nothing, so replays and old events are harmless.
 */
export async function installAssignment(
  o: AgentOptions,
  position: number,
  data: { requestId: string; host: string; usages: Usage[]; thumbprint: string; certificate: string; chain: string[] },
): Promise<Usage[]> {
  const log = o.log ?? (() => undefined);
  const chain = installableChain(data.certificate, data.chain);
  const key = findKeyFor(o.dir, data.certificate);
  const changed: Usage[] = [];
  for (const usage of data.usages) {
    const dir = join(o.dir, usage);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const markerPath = join(dir, '.certflow.json');
    const marker = readMarker(markerPath);
    if (marker?.position !== undefined && marker.position >= position) continue;
    if (key) {
      writeFileAtomic(join(dir, 'privkey.pem'), key, { mode: 0o600, keepPrevious: true });
      chmodSync(join(dir, 'privkey.pem'), 0o600);
      if (existsSync(join(dir, 'privkey.pem.prev'))) chmodSync(join(dir, 'privkey.pem.prev'), 0o600);
    }
    writeCertificateFiles(dir, data.certificate, chain);
    writeFileAtomic(markerPath, JSON.stringify({ position, thumbprint: data.thumbprint, requestId: data.requestId, installedAt: new Date().toISOString() } satisfies UsageMarker) + '\n');
    log(`installed ${data.thumbprint} for ${usage} in ${dir}${key ? '' : ' (no key in ' + o.dir + ' matches it: privkey.pem not written)'}`);
    changed.push(usage);
  }
  await reloadChanged(o, changed, data, log);
  return changed;
}

async function reloadChanged(o: AgentOptions, changed: Usage[], data: { requestId: string; host: string; thumbprint: string }, log: (l: string) => void, extra: Record<string, string> = {}): Promise<void> {
  for (const usage of changed) {
    const cmd = o.reload[usage] ?? o.reloadAll;
    if (cmd) await runReload(cmd, { CERTFLOW_USAGE: usage, CERTFLOW_THUMBPRINT: data.thumbprint, CERTFLOW_HOST: data.host, CERTFLOW_REQUEST_ID: data.requestId, CERTFLOW_DIR: join(o.dir, usage), ...extra }, log);
  }
}

/**
 * Removes what a released certificate left installed: per usage, cert.pem, chain.pem,
 * fullchain.pem and privkey.pem (the *.prev copies stay), then the reload command with
 * CERTFLOW_RELEASED=<reason>. Only a usage whose installed certificate is the released one is
 * touched — one that already holds a newer certificate, or was never installed, is left alone —
 * and, as for installs, an event not newer than what the usage saw changes nothing, so a replayed
 * release cannot remove a certificate installed after it.
 */
export async function removeReleased(
  o: AgentOptions,
  position: number,
  data: { requestId: string; host: string; usages: Usage[]; thumbprint: string; reason: string },
): Promise<Usage[]> {
  const log = o.log ?? (() => undefined);
  const changed: Usage[] = [];
  for (const usage of data.usages) {
    const dir = join(o.dir, usage);
    const markerPath = join(dir, '.certflow.json');
    const marker = readMarker(markerPath);
    if (!marker || marker.removed) continue;
    if (marker.position !== undefined && marker.position >= position) continue;
    if (marker.thumbprint.toUpperCase() !== data.thumbprint.toUpperCase()) continue;
    for (const f of REMOVED_ON_RELEASE) rmSync(join(dir, f), { force: true });
    writeFileAtomic(markerPath, JSON.stringify({ ...marker, position, removed: { at: new Date().toISOString(), reason: data.reason } } satisfies UsageMarker) + '\n');
    log(`removed ${data.thumbprint} (${data.reason}) for ${usage}: ${REMOVED_ON_RELEASE.join(', ')} deleted from ${dir}, *.prev kept`);
    changed.push(usage);
  }
  await reloadChanged(o, changed, data, log, { CERTFLOW_RELEASED: data.reason });
  return changed;
}
