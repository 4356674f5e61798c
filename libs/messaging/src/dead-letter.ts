import type { JsMsg } from '@nats-io/jetstream';
import { createEvent, DeadLetterV1, isUuid, printable, type TraceFields } from '@certflow/contracts';
import { deadLetterId } from './delivery.policy';
import type { JetStreamPublisher } from './jetstream.publisher';
import { errorMessage, type MessagingLogger } from './messaging.logger';
import { deadLetters } from './messaging.metrics';

/** Longest original body copied into a dead letter; the stream keeps the original anyway. */
const DEAD_LETTER_PAYLOAD_MAX = 256 * 1024;

/** Wait before the reserved delivery when a dead letter could not be published. */
const DEAD_LETTER_RETRY_MS = 1_000;

/** Who sets a message aside: the consumer's service and name, how it publishes and logs. */
export interface DeadLetterOptions {
  service: string;
  name: string;
  publisher: JetStreamPublisher;
  logger: MessagingLogger;
}

/**
 * Sets a message aside: publishes `certflow.deadletter.v1` and terminates the original so it no
 * longer blocks the consumer. If the dead letter cannot be published, the message is nak'ed
 * instead and dead-lettered on its next (reserved) delivery.
 */
export async function deadLetter(o: DeadLetterOptions, msg: JsMsg, text: string, payload: unknown, error: string): Promise<void> {
  const fields = { consumer: o.name, subject: msg.subject, seq: msg.info.streamSequence, delivery: msg.info.deliveryCount, err: printable(error) };
  if (msg.subject === DeadLetterV1.subject) {
    o.logger.error(fields, 'dead letter could not be handled; dropped (dead letters are not dead-lettered)');
    msg.term(error);
    return;
  }
  const envelope = typeof payload === 'object' && payload !== null ? (payload as { id?: unknown; subject?: unknown }) : {};
  try {
    const event = createEvent(
      DeadLetterV1,
      {
        consumer: o.name,
        originalSubject: msg.subject,
        originalId: typeof envelope.id === 'string' ? envelope.id : msg.headers?.get('Nats-Msg-Id') || undefined,
        deliveries: msg.info.deliveryCount,
        error,
        payload: text.length > DEAD_LETTER_PAYLOAD_MAX ? text.slice(0, DEAD_LETTER_PAYLOAD_MAX) : text,
      },
      {
        source: `certflow/${o.service}`,
        subject: typeof envelope.subject === 'string' ? envelope.subject : '',
        id: deadLetterId(o.name, msg.info.streamSequence),
      },
    );
    await o.publisher.publish(event);
    msg.term(error);
    deadLetters.inc({ consumer: o.name });
    o.logger.error({ ...fields, deadLetterId: event.id }, 'message dead-lettered');
  } catch (err) {
    o.logger.error({ ...fields, publishError: errorMessage(err) }, 'could not publish a dead letter; will try again');
    msg.nak(DEAD_LETTER_RETRY_MS);
  }
}

/**
 * The trace fields of an envelope: `subject` (the request id), `id`, `correlationid`. The event's
 * id stands in as correlation id for a chain that has none (events from before the field existed).
 */
export function traceOf(payload: unknown): TraceFields {
  if (typeof payload !== 'object' || payload === null) return {};
  const e = payload as { id?: unknown; subject?: unknown; correlationid?: unknown };
  const eventId = typeof e.id === 'string' ? e.id : undefined;
  return {
    // Trust-store events carry a thumbprint as subject: not a request, so not a requestId.
    requestId: typeof e.subject === 'string' && isUuid(e.subject) ? e.subject : undefined,
    eventId,
    correlationId: typeof e.correlationid === 'string' ? e.correlationid : eventId,
  };
}
