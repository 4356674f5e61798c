import { isObservable, lastValueFrom } from 'rxjs';
import type { FactOutcome } from './facts/fact.handler';
import type { FactBatch } from './facts/fact.processor';
import { FACT_BATCH } from './facts/fact.pattern';
import { RetryLaterError } from './retry-later.error';

/**
 * A Nest event handler as the server holds it. Several controllers of a service may handle one
 * subject (request's audit, host feed and request facts all take certificate.assigned): Nest chains
 * them by `next` and calls them all, with the same arguments, when the head is called.
 */
export interface NestEventHandler {
  (...args: unknown[]): Promise<unknown>;
  extras?: Record<string, unknown>;
  // Nest types it as the bare function; at run time it carries `extras` and `next` as well.
  next?: unknown;
}

export const isFactHandler = (h: NestEventHandler): boolean => Boolean(h.extras?.[FACT_BATCH]);

/**
 * The handlers of one subject, unchained so each runs alone: a fact handler must be handed a batch
 * and a plain one a message, which one call of the chain cannot do, and each fact handler's
 * outcomes are needed on their own. Nest reads `next` at each call, so unlinking is enough.
 */
export function unchain(head: NestEventHandler): NestEventHandler[] {
  const nodes: NestEventHandler[] = [];
  for (let h: NestEventHandler | undefined = head; h; ) {
    const next = h.next as NestEventHandler | undefined;
    h.next = undefined;
    nodes.push(h);
    h = next;
  }
  return nodes;
}

async function settled(result: unknown): Promise<unknown> {
  const r = await result;
  return isObservable(r) ? lastValueFrom(r, { defaultValue: undefined }) : r;
}

/**
 * Runs every fact handler of a subject on one batch. Each keeps its own inbox, so a message is
 * acked only when every handler acked it; otherwise it goes back (the handlers that applied it
 * skip it then) or, if one failed, it counts as failed.
 */
export async function runFactHandlers(subject: string, handlers: readonly NestEventHandler[], batch: FactBatch): Promise<FactOutcome[]> {
  const results = await Promise.all(handlers.map(async (h) => outcomesOf(subject, await settled(h(batch)), batch.deliveries.length)));
  return results.reduce((joined, r) => joined.map((o, i) => worse(o, r[i])));
}

/**
 * Runs the handlers of a subject that mixes fact handlers and plain ones on one message (the plain
 * transport path): a fact handler gets a batch of one, and its outcome becomes what a plain
 * handler would have done (return, throw, or RetryLaterError).
 */
export async function runMixedHandlers(subject: string, handlers: readonly NestEventHandler[], payload: unknown, ctx: { deliveryCount: number }): Promise<void> {
  await Promise.all(
    handlers.map(async (h) => {
      if (!isFactHandler(h)) return settled(h(payload, ctx));
      const [o] = outcomesOf(subject, await settled(h({ deliveries: [{ payload, deliveryCount: ctx.deliveryCount }] } satisfies FactBatch)), 1);
      if (o.action === 'retry') throw new RetryLaterError(o.reason, o.delayMs);
      if (o.action === 'fail') throw o.error;
    }),
  );
}

function outcomesOf(subject: string, result: unknown, n: number): FactOutcome[] {
  if (!Array.isArray(result) || result.length !== n) {
    throw new Error(`fact handler for ${subject} returned no outcome per delivery: return FactProcessor.process(batch, this)`);
  }
  return result as FactOutcome[];
}

const rank = { ack: 0, retry: 1, fail: 2 } as const;

export function worse(a: FactOutcome, b: FactOutcome): FactOutcome {
  if (a.action === 'retry' && b.action === 'retry') return { action: 'retry', delayMs: Math.max(a.delayMs, b.delayMs), reason: `${a.reason}; ${b.reason}` };
  return rank[b.action] > rank[a.action] ? b : a;
}
