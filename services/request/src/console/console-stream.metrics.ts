import { counter, gauge } from '@certflow/runtime';

/** `certflow_console_streams`: live event streams open on this instance now. */
export const consoleStreamsOpen = gauge({
  name: 'certflow_console_streams',
  help: 'Live event streams (GET /api/v1/events/stream) open now',
});

/**
 * `certflow_console_streams_closed_total{reason}`: streams this instance closed itself —
 * `slow_reader` (its queue passed the bound), `token_revoked` (its token was revoked).
 */
export const consoleStreamsClosed = counter({
  name: 'certflow_console_streams_closed_total',
  help: 'Live event streams closed by the server: slow_reader, token_revoked',
  labelNames: ['reason'] as const,
});

/** `certflow_console_streams_refused_total{limit}`: streams refused with 429 TOO_MANY_STREAMS, by cap (`per_token`, `total`). */
export const consoleStreamsRefused = counter({
  name: 'certflow_console_streams_refused_total',
  help: 'Live event streams refused at a cap: per_token, total',
  labelNames: ['limit'] as const,
});
