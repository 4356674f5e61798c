import { headers as natsHeaders } from '@nats-io/nats-core';
import type { Msg, NatsConnection, Subscription } from './nats.types';
import { acceptCorrelationId, currentTrace, runWithTrace, type RpcErrorBody, type RpcReply } from '@certflow/contracts';

/** NATS header carrying the caller's correlation id to the service that answers. */
const CORRELATION_HEADER = 'X-Request-Id';

/** An expected refusal from an RPC handler; becomes `{ok:false, error}` with its HTTP status. */
export class RpcError extends Error {
  constructor(readonly code: string, message: string, readonly status = 400, readonly details?: unknown) {
    super(message);
    this.name = 'RpcError';
  }
  toBody(): RpcErrorBody {
    return { code: this.code, message: this.message, status: this.status, details: this.details };
  }
}

/**
 * Serves `subject` in a queue group, so several instances of a service share the questions. A
 * handler's RpcError is answered as is; anything else as a 500-class INTERNAL error (logged by caller).
 */
export function serveRpc<Req, Res>(
  nc: NatsConnection,
  subject: string,
  handler: (body: Req) => Promise<Res>,
  onError?: (err: unknown) => void,
): Subscription {
  return nc.subscribe(subject, {
    queue: subject,
    callback: (err, msg) => {
      if (err) return;
      // The caller's correlation id (or a new one): the answer's log lines join the caller's.
      void runWithTrace(traceOfQuestion(msg), async () => {
        let reply: RpcReply<Res>;
        try {
          const body = msg.data.length ? (JSON.parse(new TextDecoder().decode(msg.data)) as Req) : ({} as Req);
          reply = { ok: true, result: await handler(body) };
        } catch (e) {
          if (e instanceof RpcError) reply = { ok: false, error: e.toBody() };
          else {
            onError?.(e);
            reply = { ok: false, error: { code: 'INTERNAL', message: 'the service failed to answer', status: 500 } };
          }
        }
        msg.respond(JSON.stringify(reply));
      });
    },
  });
}

/** Thrown by callRpc when no instance answered in time (the service is down or overloaded). */
export class RpcUnavailableError extends Error {
  constructor(readonly subject: string, cause?: unknown) {
    super(`no answer on ${subject}`);
    this.name = 'RpcUnavailableError';
    (this as { cause?: unknown }).cause = cause;
  }
}

/** Room in a NATS message kept for the headers of a question (the correlation id and NATS's own). */
const HEADER_ROOM = 1024;

/**
 * Asks a question and returns the result; throws RpcError for a refusal, RpcUnavailableError for
 * silence. A question too large for one NATS message is refused before it is sent, as a 413
 * `PAYLOAD_TOO_LARGE`: what was sent can grow on the way (a text body's control characters become
 * six-character JSON escapes, bytes that are not UTF-8 three-byte replacement characters), and
 * NATS would otherwise refuse it as if the service were down.
 */
export async function callRpc<Res>(nc: NatsConnection, subject: string, body: unknown, timeoutMs = 5000): Promise<Res> {
  const payload = new TextEncoder().encode(JSON.stringify(body));
  const maxPayload = nc.info?.max_payload;
  if (maxPayload && payload.length + HEADER_ROOM > maxPayload) {
    throw new RpcError(
      'PAYLOAD_TOO_LARGE',
      `The request is ${payload.length} bytes once encoded for the service that answers it, more than the ${maxPayload - HEADER_ROOM} one NATS message carries here; send less at once (e.g. split the PEM bundle) and without control characters.`,
      413,
    );
  }
  let reply: RpcReply<Res>;
  try {
    const correlationId = currentTrace()?.correlationId;
    const h = correlationId ? natsHeaders() : undefined;
    if (h && correlationId) h.set(CORRELATION_HEADER, correlationId);
    const msg = await nc.request(subject, payload, { timeout: timeoutMs, headers: h });
    reply = JSON.parse(new TextDecoder().decode(msg.data)) as RpcReply<Res>;
  } catch (e) {
    throw new RpcUnavailableError(subject, e);
  }
  if (reply.ok) return reply.result;
  throw new RpcError(reply.error.code, reply.error.message, reply.error.status, reply.error.details);
}

/** Trace fields of an RPC question: the caller's correlation id, and the request id if the body names one. */
function traceOfQuestion(msg: Msg): { correlationId: string; requestId?: string } {
  const correlationId = acceptCorrelationId(msg.headers?.get(CORRELATION_HEADER) || undefined);
  let requestId: unknown;
  try {
    requestId = msg.data.length ? (msg.json<{ requestId?: unknown }>() ?? {}).requestId : undefined;
  } catch {
    requestId = undefined;
  }
  return typeof requestId === 'string' ? { correlationId, requestId } : { correlationId };
}
