import { createHash } from 'node:crypto';
import { errorMessage } from './messaging.logger';
import { isRetryLater } from './retry-later.error';

/** When the transport gives up on a message, and how long it waits between attempts. */
export interface DeliveryPolicy {
  /** Attempts a handler gets at one message before it is dead-lettered. */
  maxDeliver: number;
  /** Delay before redelivery after a failed attempt, indexed by delivery count (1 → [0]); the last repeats. */
  backoffMs: readonly number[];
}

/** What to do with a message whose handler failed. */
export type FailureDecision =
  /** Redeliver after `delayMs`. `expected` when the handler said "not yet" (`RetryLaterError`). */
  | { action: 'retry'; delayMs: number; expected: boolean; error: string }
  /** Publish a dead letter, then terminate the message: no further attempts. */
  | { action: 'dead-letter'; error: string };

/** The delay before the next attempt after delivery number `deliveryCount` failed. */
export function backoffFor(policy: DeliveryPolicy, deliveryCount: number): number {
  const delays = policy.backoffMs.length > 0 ? policy.backoffMs : [0];
  return delays[Math.min(Math.max(deliveryCount, 1), delays.length) - 1];
}

/**
 * Decides the fate of a message after its handler failed on delivery number `deliveryCount`: retry
 * with backoff (for `RetryLaterError`, the longer of its own delay and the backoff) while attempts
 * remain, dead-letter on the last one. With the default policy the attempts span about a minute,
 * longer than the 30 s ackWait after which a crashed instance's messages are redelivered.
 */
export function decideAfterFailure(policy: DeliveryPolicy, deliveryCount: number, error: unknown): FailureDecision {
  const message = errorMessage(error);
  if (deliveryCount >= policy.maxDeliver) {
    const prefix = isRetryLater(error) ? 'still not ready' : 'failed';
    return { action: 'dead-letter', error: `${prefix} after ${deliveryCount} deliveries: ${message}` };
  }
  // "Not yet" waits at least as long as a failure would. The fact it waits for may sit with an
  // instance that crashed, and comes back only after ackWait (30 s): a fixed 100 ms spent all
  // attempts in about a second, dead-lettered the waiting fact, and left its request stuck.
  if (isRetryLater(error)) return { action: 'retry', delayMs: Math.max(0, error.delayMs, backoffFor(policy, deliveryCount)), expected: true, error: message };
  return { action: 'retry', delayMs: backoffFor(policy, deliveryCount), expected: false, error: message };
}

/**
 * JetStream consumers get one delivery more than `maxDeliver`. It is never given to the handler:
 * it exists so that a last attempt whose dead letter could not be published (or whose ack came too
 * late) is not silently dropped by the server, but dead-lettered on this extra delivery.
 */
export function serverMaxDeliver(policy: DeliveryPolicy): number {
  return policy.maxDeliver + 1;
}

/** True for the reserved extra delivery described at `serverMaxDeliver`. */
export function isBeyondLastAttempt(policy: DeliveryPolicy, deliveryCount: number): boolean {
  return deliveryCount > policy.maxDeliver;
}

/**
 * A stable id for the dead letter of one message in one consumer, formatted as a UUID. Publishing
 * the same dead letter twice (a crash between publish and term) is then dropped by JetStream.
 */
export function deadLetterId(consumer: string, streamSequence: number): string {
  const h = createHash('sha256').update(`deadletter|${consumer}|${streamSequence}`).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The durable consumer of one service for one subject: `${service}--${subject with '.' → '_'}`,
 * e.g. `request--certflow_chain_complete_v1`. Stable across restarts, so a restarted service
 * resumes where it stopped and receives what was published while it was down.
 */
export function consumerName(service: string, subject: string): string {
  const name = `${service}--${subject.replace(/\./g, '_')}`;
  if (/[\s.*>]/.test(name) || name.includes('/') || name.includes('\\')) {
    throw new Error(`cannot derive a JetStream consumer name from service ${service} and subject ${subject}`);
  }
  return name;
}
