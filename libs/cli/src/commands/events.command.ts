import { Command } from 'commander';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { STREAM_NAME, printable, type CloudEvent } from '@certflow/contracts';
import { resolveNatsUrl } from '../config';
import { connectNats } from '../nats';

type AnyEvent = CloudEvent<string, Record<string, any>>;

/** One readable line for an event: time, short type, request id, what happened; control characters escaped. */
export function eventLine(e: AnyEvent): string {
  const d = e.data ?? {};
  const type = e.type.replace(/^certflow\./, '').replace(/\.v\d+$/, '');
  const parts: string[] = [];
  if (d.host) parts.push(`host=${d.host}`);
  if (d.issuer && type !== 'issuer.ca-published') parts.push(`issuer=${d.issuer}`);
  if (d.thumbprint) parts.push(`thumbprint=${d.thumbprint}`);
  if (Array.isArray(d.usages)) parts.push(`usages=${d.usages.join(',')}`);
  if (Array.isArray(d.missing)) parts.push(`missing=${d.missing.map((m: any) => `${m.kind}:"${m.subject}"`).join(',')}`);
  if (d.code) parts.push(`code=${d.code}`);
  if (d.message) parts.push(`message="${d.message}"`);
  if (d.detail) parts.push(`detail="${d.detail}"`);
  if (d.store) parts.push(`${d.action} ${d.store} "${d.subject}"`);
  return printable(`${e.time} ${type.padEnd(22)} ${e.subject} ${parts.join(' ')}`.trimEnd());
}

/** Keeps the events of one host (known by request id once its submitted/assigned event is seen) and/or one request. */
export class EventFilter {
  private readonly ids = new Set<string>();
  constructor(private readonly host?: string, private readonly requestId?: string) {}

  accept(e: AnyEvent): boolean {
    const id = (e.data?.requestId as string | undefined) ?? e.subject;
    if (this.requestId && id !== this.requestId) return false;
    if (!this.host) return true;
    if (typeof e.data?.host === 'string' && e.data.host.toLowerCase() === this.host.toLowerCase()) {
      this.ids.add(id);
      return true;
    }
    return this.ids.has(id);
  }
}

export function registerEvents(program: Command): void {
  program
    .command('events')
    .description('the event stream (stream CERTFLOW on NATS JetStream), as lines or JSON')
    .option('--host <fqdn>', 'only events of requests for this host')
    .option('--request <id>', 'only events of this request')
    .option('--type <prefix>', 'only types starting with this, e.g. certflow.chain')
    .option('--since <duration>', 'start this long ago (e.g. 1h) instead of the beginning; with --host, requests submitted before are not known')
    .option('-f, --follow', 'keep printing new events (Ctrl-C to stop)')
    .option('--json', 'one CloudEvents envelope per line (NDJSON)')
    .option('--nats <url>', 'NATS server (default: NATS_URL, config file "nats", nats://127.0.0.1:4222)')
    .action(async (o: { host?: string; request?: string; type?: string; since?: number; follow?: boolean; json?: boolean; nats?: string }) => {
      const nc = await connectNats(resolveNatsUrl(o.nats), 'certflow-cli-events');
      try {
        const jsm = await jetstreamManager(nc as never);
        const info = await jsm.streams.info(STREAM_NAME);
        if (!o.follow && info.state.messages === 0) return;
        const consumer = await jetstream(nc as never).consumers.get(STREAM_NAME, {
          ...(o.since ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(Date.now() - o.since).toISOString() } : { deliver_policy: DeliverPolicy.All }),
        });
        const filter = new EventFilter(o.host, o.request);
        const messages = await consumer.consume();
        const stop = () => void messages.close();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        // Without --follow, stop at the end of what the stream held when we started.
        const last = info.state.last_seq;
        // (and when nothing comes for 3 s: e.g. --since later than the last event).
        let idle: NodeJS.Timeout | undefined;
        const arm = () => {
          if (o.follow) return;
          clearTimeout(idle);
          idle = setTimeout(stop, 3000);
        };
        arm();
        for await (const m of messages) {
          arm();
          let e: AnyEvent;
          try {
            e = JSON.parse(m.string()) as AnyEvent;
          } catch {
            continue;
          }
          if ((!o.type || e.type?.startsWith(o.type)) && filter.accept(e)) {
            process.stdout.write((o.json ? JSON.stringify(e) : eventLine(e)) + '\n');
          }
          if (!o.follow && (m.info.pending === 0 || m.seq >= last)) break;
        }
        clearTimeout(idle);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      } finally {
        await nc.close();
      }
    });
}
