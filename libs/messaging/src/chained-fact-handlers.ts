import type { FactOutcome } from './facts/fact.handler';
import { FACT_BATCH } from './facts/fact.pattern';

/** A Nest event handler as the server holds it: several handlers of one subject are chained by `next`. */
interface ChainedHandler {
  extras?: Record<string, unknown>;
  // Nest types it as the bare function; at run time it carries `extras` and `next` as well.
  next?: unknown;
}

/**
 * Whether the handlers of one subject take batches. Several controllers of a service may handle one
 * subject (request's audit, host feed and request facts all take certificate.assigned); they share
 * its one durable consumer, so they must all be fact handlers or none: a plain handler handed a
 * batch, or the reverse, would misread every message.
 */
export function takesFactBatches(subject: string, head: ChainedHandler): boolean {
  const kinds = new Set<boolean>();
  for (let h: ChainedHandler | undefined = head; h; h = h.next as ChainedHandler | undefined) kinds.add(Boolean(h.extras?.[FACT_BATCH]));
  if (kinds.size > 1) throw new Error(`the handlers of ${subject} mix @FactPattern and @EventPattern: make them all fact handlers`);
  return kinds.has(true);
}

const rank = { ack: 0, retry: 1, fail: 2 } as const;

/**
 * One outcome per delivery from what chained fact handlers returned: Nest joins them as
 * `{current, next}` (nested for more than two). Each handler keeps its own inbox, so a message is
 * acked only when every handler acked it; otherwise it is redelivered (the ones that applied it
 * skip it then) or, if one failed, treated as failed.
 */
export function joinChainedOutcomes(result: unknown): FactOutcome[] | undefined {
  if (Array.isArray(result)) return result as FactOutcome[];
  if (!result || typeof result !== 'object' || !('current' in result) || !('next' in result)) return undefined;
  const current = joinChainedOutcomes((result as { current: unknown }).current);
  const next = joinChainedOutcomes((result as { next: unknown }).next);
  if (!current || !next || current.length !== next.length) return undefined;
  return current.map((a, i) => worse(a, next[i]));
}

function worse(a: FactOutcome, b: FactOutcome): FactOutcome {
  if (a.action === 'retry' && b.action === 'retry') return { action: 'retry', delayMs: Math.max(a.delayMs, b.delayMs), reason: `${a.reason}; ${b.reason}` };
  return rank[b.action] > rank[a.action] ? b : a;
}
