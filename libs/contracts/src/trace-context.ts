import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * What a unit of work is about, carried through async calls: every log line written inside it
 * names the request and the call that started it (libs/runtime's logger mixes these fields in), and
 * every event created inside it carries `correlationid`, so the next service continues the trace.
 *
 * - `requestId`: the certificate request (an envelope's `subject`), once known.
 * - `eventId`: the event being handled (an envelope's `id`).
 * - `correlationId`: the HTTP call (`X-Request-Id`) or event chain the work descends from.
 *
 * It lives here, beside the envelope, because `createEvent` reads it and every library below the
 * services (messaging, runtime) may set it.
 */
export interface TraceFields {
  requestId?: string;
  eventId?: string;
  correlationId?: string;
}

const storage = new AsyncLocalStorage<TraceFields>();

/** Runs `fn` in a context holding `fields` (a copy; the caller's context is untouched). */
export function runWithTrace<T>(fields: TraceFields, fn: () => T): T {
  return storage.run(withoutEmpty({ ...fields }), fn);
}

/** The current context's fields, or undefined outside any. Do not mutate it; use `annotateTrace`. */
export function currentTrace(): Readonly<TraceFields> | undefined {
  return storage.getStore();
}

/**
 * Adds what became known mid-way (the id a submit just created, the `:id` of a route) to the
 * current context; later log lines and events of the same unit of work carry it. No-op outside one.
 */
export function annotateTrace(fields: TraceFields): void {
  const store = storage.getStore();
  if (store) Object.assign(store, withoutEmpty({ ...fields }));
}

/** A fresh correlation id, for a call that did not bring one. */
export function newCorrelationId(): string {
  return randomUUID();
}

/** Longest correlation id accepted from outside; longer or odd ones are replaced, not logged. */
const CORRELATION_ID = /^[A-Za-z0-9._:@/-]{1,128}$/;

/** The caller's correlation id if it is a sane token, else a new one (a header is untrusted input). */
export function acceptCorrelationId(given: unknown): string {
  return typeof given === 'string' && CORRELATION_ID.test(given) ? given : newCorrelationId();
}

function withoutEmpty(fields: TraceFields): TraceFields {
  for (const k of Object.keys(fields) as (keyof TraceFields)[]) if (!fields[k]) delete fields[k];
  return fields;
}
