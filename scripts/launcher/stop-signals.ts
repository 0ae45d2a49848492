/** The signals that ask a foreground launcher to stop its cluster (SIGHUP: the terminal went away). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** A stop request from the outside, while the launcher runs. */
export interface StopSignals {
  /** Resolves with the first stop signal. */
  readonly requested: Promise<NodeJS.Signals>;
  /** Gives the signals back their default behaviour. */
  release(): void;
}

/**
 * Listens for stop signals: the first resolves `requested`; each later one calls `onRepeat`
 * (a second Ctrl-C means: do not wait for a graceful stop).
 */
export function watchStopSignals(onRepeat: () => void): StopSignals {
  let count = 0;
  let resolveFirst: (signal: NodeJS.Signals) => void = () => {};
  const requested = new Promise<NodeJS.Signals>((resolve) => {
    resolveFirst = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    count++;
    if (count === 1) resolveFirst(signal);
    else onRepeat();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return {
    requested,
    release: () => {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    },
  };
}
