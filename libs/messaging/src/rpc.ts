import type { NatsConnection, Subscription } from './nats.types';
import type { RpcErrorBody, RpcReply } from '@certflow/contracts';

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
      void (async () => {
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
      })();
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

/** Asks a question and returns the result; throws RpcError for a refusal, RpcUnavailableError for silence. */
export async function callRpc<Res>(nc: NatsConnection, subject: string, body: unknown, timeoutMs = 5000): Promise<Res> {
  let reply: RpcReply<Res>;
  try {
    const msg = await nc.request(subject, JSON.stringify(body), { timeout: timeoutMs });
    reply = JSON.parse(new TextDecoder().decode(msg.data)) as RpcReply<Res>;
  } catch (e) {
    throw new RpcUnavailableError(subject, e);
  }
  if (reply.ok) return reply.result;
  throw new RpcError(reply.error.code, reply.error.message, reply.error.status, reply.error.details);
}
