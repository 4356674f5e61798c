import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { AckPolicy, DeliverPolicy, JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { CertificateAssignedV1, STREAM_NAME, parseEvent, type Usage } from '@certflow/contracts';
import type { NatsConnection } from '@certflow/messaging';
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
}

/** A JetStream durable name for a host: `agent-<host>` with every character outside [A-Za-z0-9_-] as `_`. */
export function durableName(host: string): string {
  return `agent-${host.toLowerCase().replace(/\.$/, '').replace(/[^a-z0-9_-]/g, '_')}`;
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
  seq: number;
  thumbprint: string;
  requestId: string;
  installedAt: string;
}

function readMarker(path: string): UsageMarker | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as UsageMarker;
  } catch {
    return undefined;
  }
}

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
 * — by stream sequence — changes nothing, so redeliveries and old events are harmless.
 */
export async function installAssignment(
  o: AgentOptions,
  seq: number,
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
    if (marker && marker.seq >= seq) continue;
    if (key) {
      writeFileAtomic(join(dir, 'privkey.pem'), key, { mode: 0o600, keepPrevious: true });
      chmodSync(join(dir, 'privkey.pem'), 0o600);
      if (existsSync(join(dir, 'privkey.pem.prev'))) chmodSync(join(dir, 'privkey.pem.prev'), 0o600);
    }
    writeCertificateFiles(dir, data.certificate, chain);
    writeFileAtomic(markerPath, JSON.stringify({ seq, thumbprint: data.thumbprint, requestId: data.requestId, installedAt: new Date().toISOString() } satisfies UsageMarker) + '\n');
    log(`installed ${data.thumbprint} for ${usage} in ${dir}${key ? '' : ' (no key in ' + o.dir + ' matches it: privkey.pem not written)'}`);
    changed.push(usage);
  }
  for (const usage of changed) {
    const cmd = o.reload[usage] ?? o.reloadAll;
    if (cmd) await runReload(cmd, { CERTFLOW_USAGE: usage, CERTFLOW_THUMBPRINT: data.thumbprint, CERTFLOW_HOST: data.host, CERTFLOW_REQUEST_ID: data.requestId, CERTFLOW_DIR: join(o.dir, usage) }, log);
  }
  return changed;
}

/**
 * The fleet agent: a durable JetStream consumer `agent-<host>` on `certflow.certificate.assigned.v1`,
 * so assignments made while it was down are delivered when it comes back. One message at a time
 * (max_ack_pending 1) keeps the order; each is acked only after its files are written.
 */
export async function runAgent(nc: NatsConnection, o: AgentOptions): Promise<void> {
  const log = o.log ?? (() => undefined);
  const host = o.host.toLowerCase().replace(/\.$/, '');
  mkdirSync(o.dir, { recursive: true, mode: 0o755 });
  const jsm = await jetstreamManager(nc as never);
  const name = durableName(host);
  try {
    await jsm.consumers.info(STREAM_NAME, name);
  } catch (e) {
    if (!(e instanceof JetStreamApiError)) throw e;
    await jsm.consumers.add(STREAM_NAME, {
      durable_name: name,
      filter_subject: CertificateAssignedV1.subject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: 1,
      ack_wait: 60_000_000_000,
      description: `certflow agent for ${host}`,
    });
  }
  const consumer = await jetstream(nc as never).consumers.get(STREAM_NAME, name);
  log(`agent for ${host}: consumer ${name} on ${CertificateAssignedV1.subject}, files under ${o.dir}`);

  if (o.once) {
    for (;;) {
      const info = await consumer.info();
      if (info.num_pending === 0 && info.num_ack_pending === 0) return;
      const m = await consumer.next({ expires: 5_000 });
      if (!m) return;
      await handle(m);
    }
  }

  const messages = await consumer.consume({ max_messages: 1 });
  o.signal?.addEventListener('abort', () => void messages.close(), { once: true });
  log('ready');
  for await (const m of messages) await handle(m);

  async function handle(m: { seq: number; string(): string; ack(): void; nak(delay?: number): void; term(reason?: string): void }) {
    let event;
    try {
      event = parseEvent(CertificateAssignedV1, JSON.parse(m.string()));
    } catch (e) {
      log(`message ${m.seq} is not a valid ${CertificateAssignedV1.subject} event, skipped: ${(e as Error).message}`);
      m.term('invalid event');
      return;
    }
    if (event.data.host.toLowerCase().replace(/\.$/, '') !== host) {
      m.ack();
      return;
    }
    try {
      await installAssignment({ ...o, host }, m.seq, event.data);
      m.ack();
    } catch (e) {
      log(`could not install ${event.data.thumbprint}: ${(e as Error).message}; retrying in 10 s`);
      m.nak(10_000);
    }
  }
}
