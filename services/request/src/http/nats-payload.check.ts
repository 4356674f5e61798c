import type { NatsConnection } from '@certflow/messaging';
import { ConfigError } from '@certflow/runtime';

/**
 * Room kept in a NATS message beyond the request body it carries: the CloudEvents envelope or RPC
 * wrapper, headers, and JSON escaping of the body's text (a PEM's line ends become `\n`, about 1.6 %).
 */
export const NATS_ENVELOPE_HEADROOM = 64 * 1024;

/**
 * `null` when every accepted request body still fits one NATS message, else the problem in words.
 * Bodies travel on to the other services inside events and RPC calls (a trust import is one call):
 * a body the API accepts but NATS refuses would be a 503 instead of a 413 that says what to send.
 */
export function bodyLimitProblem(maxBodyBytes: number, maxPayload: number | undefined): string | null {
  if (maxPayload === undefined || !Number.isFinite(maxPayload) || maxPayload <= 0) return null;
  const largest = maxPayload - NATS_ENVELOPE_HEADROOM;
  if (maxBodyBytes <= largest) return null;
  const fix = largest >= 1024 ? `set CERTFLOW_MAX_BODY_BYTES to at most ${largest}, or raise max_payload in the NATS server's configuration` : "raise max_payload in the NATS server's configuration";
  return (
    `CERTFLOW_MAX_BODY_BYTES: ${maxBodyBytes} bytes does not fit in the NATS server's max_payload of ${maxPayload} bytes ` +
    `less ${NATS_ENVELOPE_HEADROOM} bytes for the envelope (at most ${largest}); ${fix}`
  );
}

/**
 * Refuses to start the request service when CERTFLOW_MAX_BODY_BYTES exceeds what NATS carries.
 * max_payload is the server's, known only once connected, so zod cannot check it with the rest.
 */
export function assertBodyLimitFitsNats(maxBodyBytes: number, nc: Pick<NatsConnection, 'info'>): void {
  const problem = bodyLimitProblem(maxBodyBytes, nc.info?.max_payload);
  if (problem) throw new ConfigError([problem]);
}
