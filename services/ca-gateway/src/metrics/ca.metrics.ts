import { histogram, LATENCY_BUCKETS } from '@certflow/runtime';

/**
 * `certflow_ca_request_seconds{issuer,adapter,call,outcome}`: how long a CA took to answer one
 * call. `call` is `issue` (a submitted request) or `drive` (a pending ACME order followed up);
 * `outcome` is what the adapter returned (`issued`, `pending`, `refused`, `progress`, `retry`) or
 * `error` when it threw (CA unreachable: the event is retried).
 */
export const caRequestSeconds = histogram({
  name: 'certflow_ca_request_seconds',
  help: 'Latency of calls to a CA adapter, by issuer, adapter type, call and outcome',
  labelNames: ['issuer', 'adapter', 'call', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
});

/** Runs one adapter call and records its latency under the outcome's `kind` (or `error`). */
export async function timeCaCall<T extends { kind: string }>(
  labels: { issuer: string; adapter: string; call: 'issue' | 'drive' },
  call: () => Promise<T>,
): Promise<T> {
  const end = caRequestSeconds.startTimer(labels);
  try {
    const outcome = await call();
    end({ outcome: outcome.kind });
    return outcome;
  } catch (err) {
    end({ outcome: 'error' });
    throw err;
  }
}
