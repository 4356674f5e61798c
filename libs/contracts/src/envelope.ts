import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { currentTrace } from './trace-context';

/**
 * A CloudEvents 1.0 JSON envelope. `type` equals the NATS subject, `subject` is the request id (or
 * the certificate thumbprint for trust-store events), and the `Nats-Msg-Id` header carries `id`.
 */
export interface CloudEvent<TType extends string = string, TData = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: TType;
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  data: TData;
  /**
   * CloudEvents extension attribute (optional, added): the HTTP call or event chain this event
   * descends from, so logs of every service can be joined on it. Filled from the trace context.
   */
  correlationid?: string;
}

export const CloudEventSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  time: z.string().min(1),
  subject: z.string(),
  datacontenttype: z.literal('application/json'),
  data: z.unknown(),
  correlationid: z.string().min(1).max(128).optional(),
});

/** One event of the contract: its subject (also its CloudEvents `type`), its data schema, and what it means. */
export interface EventDefinition<TSubject extends string = string, TData = unknown> {
  readonly subject: TSubject;
  readonly schema: z.ZodType<TData>;
  readonly description: string;
}

export function defineEvent<TSubject extends string, TSchema extends z.ZodType>(
  subject: TSubject,
  schema: TSchema,
  description: string,
): EventDefinition<TSubject, z.infer<TSchema>> {
  return { subject, schema: schema as z.ZodType<z.infer<TSchema>>, description };
}

export type EventData<D> = D extends EventDefinition<string, infer T> ? T : never;

export interface NewEventOptions {
  source: string;
  subject: string;
  id?: string;
  time?: Date;
  /** Default: the current trace context's correlation id (none outside a context). */
  correlationId?: string;
}

/** Builds a validated envelope; throws if `data` does not match the event's schema. */
export function createEvent<S extends string, T>(
  definition: EventDefinition<S, T>,
  data: T,
  options: NewEventOptions,
): CloudEvent<S, T> {
  const correlationid = options.correlationId ?? currentTrace()?.correlationId;
  return {
    specversion: '1.0',
    id: options.id ?? randomUUID(),
    source: options.source,
    type: definition.subject,
    time: (options.time ?? new Date()).toISOString(),
    subject: options.subject,
    datacontenttype: 'application/json',
    data: definition.schema.parse(data),
    ...(correlationid ? { correlationid } : {}),
  };
}

/** Thrown when a message on the wire is not a valid event of the expected definition. */
export class InvalidEventError extends Error {
  constructor(message: string, readonly issues?: unknown) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** Parses and validates an envelope for `definition`. */
export function parseEvent<S extends string, T>(definition: EventDefinition<S, T>, raw: unknown): CloudEvent<S, T> {
  const envelope = CloudEventSchema.safeParse(raw);
  if (!envelope.success) throw new InvalidEventError('not a CloudEvents 1.0 envelope', envelope.error.issues);
  if (envelope.data.type !== definition.subject) {
    throw new InvalidEventError(`expected type ${definition.subject}, got ${envelope.data.type}`);
  }
  const data = definition.schema.safeParse(envelope.data.data);
  if (!data.success) throw new InvalidEventError(`invalid data for ${definition.subject}`, data.error.issues);
  return { ...(envelope.data as CloudEvent<S, unknown>), data: data.data };
}
