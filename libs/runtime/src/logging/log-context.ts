import { currentTrace, type TraceFields } from '@certflow/contracts';

export { acceptCorrelationId, annotateTrace, currentTrace, newCorrelationId, runWithTrace, type TraceFields } from '@certflow/contracts';

/**
 * pino `mixin`: the trace context's fields (`requestId`, `eventId`, `correlationId`) on every line
 * written inside a context. Fields a log call passes itself win (pino merges the mixin first).
 */
export function traceMixin(): TraceFields {
  const trace = currentTrace();
  return trace ? { ...trace } : {};
}
