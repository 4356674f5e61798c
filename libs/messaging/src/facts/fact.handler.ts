import type { EntityManager } from 'typeorm';
import type { CloudEvent, EventDefinition } from '@certflow/contracts';
import type { Write } from './table';

/** One event a consumer received, parsed against its definition. */
export interface Fact<T> {
  readonly event: CloudEvent<string, T>;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
}

/**
 * What a handler decided about one fact.
 * - `apply`: write these rows and publish these events, with the batch's transaction.
 * - `skip`: nothing to change (a stale or foreign fact); it is recorded as handled all the same.
 * - `retryLater`: it cannot be decided yet; nothing is recorded and it is delivered again after
 *   `delayMs` (counting towards the dead letter). Rare by design: every fact should carry what it
 *   needs to apply in any order.
 */
export type Verdict =
  | { readonly kind: 'apply'; readonly writes?: readonly Write[]; readonly publish?: readonly CloudEvent[] }
  | { readonly kind: 'skip'; readonly note?: string }
  | { readonly kind: 'retryLater'; readonly reason: string; readonly delayMs: number };

/** The batch's transaction, as a handler reads through it. */
export interface FactTx {
  /** A prepared statement on the transaction's connection. */
  query<T = Record<string, unknown>>(text: string, values: unknown[]): Promise<T[]>;
  /** The same transaction as a TypeORM manager, for code that already speaks TypeORM. */
  readonly manager: EntityManager;
}

/**
 * A consumer of one event type, in the one shape every certflow consumer has. The library
 * (`FactProcessor`) pulls a batch, parses it, drops what the inbox has seen, and in one transaction
 * asks `decide` for a verdict per fact, writes every `apply`'s rows (a few multi-row statements for
 * the whole batch) and outgoing events (outbox), commits, publishes, and acks. A handler never
 * commits, publishes or acks, and never waits for another fact.
 */
export interface FactHandler<T, P = undefined> {
  /** The inbox key: each event id is applied once per consumer. */
  readonly consumer: string;
  readonly event: EventDefinition<string, T>;
  /**
   * Work that needs no database, done before the transaction opens so it stays short: signatures,
   * chain validation, a CA's answer. One result per fact, in order.
   */
  prepare?(facts: readonly Fact<T>[]): Promise<P[]>;
  /**
   * One verdict per fact, in order, for facts this consumer has not handled before. Reads go through
   * `tx` (lock what the decision depends on, in a stable order, e.g. `ORDER BY id FOR UPDATE`). Two
   * facts of a batch may concern the same thing: decide them in order, each on what the earlier left.
   */
  decide(facts: readonly Fact<T>[], tx: FactTx, prepared: readonly P[]): Promise<Verdict[]>;
  /** After the commit, for this process's caches, metrics and logs. Must not throw. */
  committed?(facts: readonly Fact<T>[], verdicts: readonly Verdict[]): void;
}

/** How one delivered message ends, for the transport to settle. */
export type FactOutcome =
  | { readonly action: 'ack' }
  | { readonly action: 'retry'; readonly delayMs: number; readonly reason: string }
  | { readonly action: 'fail'; readonly error: unknown };
