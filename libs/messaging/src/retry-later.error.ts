import { RpcException } from '@nestjs/microservices';

/** What a `RetryLaterError` looks like after Nest's RPC exception layer has handled it. */
export interface RetryLaterSignal {
  status: 'retry-later';
  message: string;
  delayMs: number;
}

/**
 * Thrown by a handler that cannot act on an event *yet* — typically because the events it depends
 * on have not arrived (JetStream does not order deliveries across subjects, and consumers run
 * messages concurrently). The message is redelivered after `delayMs`, logged at debug rather than
 * as an error, and still counts towards `maxDeliver`: "not yet" forever ends in a dead letter.
 *
 * It extends Nest's `RpcException` (and so `Error`) because Nest replaces any other error thrown
 * by a handler with a generic one before the transport sees it; an `RpcException` keeps its payload.
 */
export class RetryLaterError extends RpcException {
  constructor(
    message: string,
    readonly delayMs = 200,
  ) {
    super({ status: 'retry-later', message, delayMs } satisfies RetryLaterSignal);
    this.name = 'RetryLaterError';
  }
}

/** True for a `RetryLaterError`, or for the signal Nest's exception layer turns it into. */
export function isRetryLater(err: unknown): err is RetryLaterError | RetryLaterSignal {
  if (err instanceof RetryLaterError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as Partial<RetryLaterSignal>;
  return e.status === 'retry-later' && typeof e.delayMs === 'number';
}
