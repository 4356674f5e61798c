import type { DeadLetterRow } from './dead-letter.orm-entity';
import { isUuid } from '@certflow/contracts';

/** Longest original body the API shows; the full text stays in the table and in the stream. */
export const PAYLOAD_SHOWN_MAX = 2048;


export interface DeadLetterView {
  id: string;
  consumer: string;
  originalSubject: string;
  originalId?: string;
  deliveries: number;
  error: string;
  /** The request the original event was about, when its data names one. */
  requestId?: string;
  at: string;
  payload: string;
  payloadTruncated: boolean;
}

/** The request id in a dead-lettered CloudEvent's `data.requestId`, if the body is such an event. */
export function requestIdOf(payload: string): string | undefined {
  try {
    const body = JSON.parse(payload) as { data?: { requestId?: unknown } } | null;
    const id = body?.data?.requestId;
    return typeof id === 'string' && isUuid(id) ? id.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

export function toDeadLetterView(r: DeadLetterRow): DeadLetterView {
  const truncated = r.payload.length > PAYLOAD_SHOWN_MAX;
  return {
    id: r.id,
    consumer: r.consumer,
    originalSubject: r.originalSubject,
    ...(r.originalId ? { originalId: r.originalId } : {}),
    deliveries: r.deliveries,
    error: r.error,
    ...(r.requestId ? { requestId: r.requestId } : {}),
    at: new Date(r.at).toISOString(),
    payload: truncated ? r.payload.slice(0, PAYLOAD_SHOWN_MAX) : r.payload,
    payloadTruncated: truncated,
  };
}
