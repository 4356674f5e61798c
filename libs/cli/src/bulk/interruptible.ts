import { EXIT } from '../exit-codes';
import { info } from '../ui';

/** Ctrl-C: stop starting work, let what runs settle its state file entry, exit 130. Twice: now. */
export function interruptible(): { signal: AbortSignal; stopped: () => boolean; dispose: () => void } {
  const ac = new AbortController();
  const onSignal = () => {
    if (ac.signal.aborted) process.exit(EXIT.INTERRUPTED);
    info('certflow: interrupted — finishing what is in flight and saving the state (Ctrl-C again to quit now)');
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    stopped: () => ac.signal.aborted,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
