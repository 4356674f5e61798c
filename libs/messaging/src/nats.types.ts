/**
 * The NATS client's types, importable from `@certflow/messaging`.
 *
 * Why here: this repository type-checks with `moduleResolution: node`, which ignores package
 * `exports`, so `import type { NatsConnection } from '@nats-io/transport-node'` finds nothing (its
 * types re-export `@nats-io/nats-core/internal`, a path that exists only in `exports`). The types
 * resolve from `@nats-io/nats-core` itself; these exports are erased at compile time.
 */
export type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/nats-core';

/** Milliseconds as the nanoseconds JetStream's API expects. */
export function nanos(millis: number): number {
  return Math.round(millis * 1_000_000);
}
