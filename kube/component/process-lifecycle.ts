/**
 * Graceful shutdown for component processes: the first SIGTERM or SIGINT runs `shutdown` once
 * (stop informers, release the lease, close servers) and exits 0 when it finishes (1 if it
 * threw); a second signal while it runs, or `timeoutMs` (default 30 s) passing, exits at once
 * with 1, so a stuck shutdown never keeps a supervisor waiting.
 */
import type { Logger } from 'pino';

export interface ShutdownOptions {
  readonly logger?: Pick<Logger, 'info' | 'error'>;
  readonly timeoutMs?: number;
  /** Replaced in tests; default `process.exit`. */
  readonly exit?: (code: number) => void;
  readonly signals?: readonly NodeJS.Signals[];
}

/** Installs the handlers; the returned function removes them. */
export function installShutdownHandlers(shutdown: (signal: NodeJS.Signals) => Promise<void>, options: ShutdownOptions = {}): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? (['SIGTERM', 'SIGINT'] as const);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      options.logger?.info({ signal }, 'second signal, exiting now');
      exit(1);
      return;
    }
    shuttingDown = true;
    options.logger?.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      options.logger?.error({ timeoutMs }, 'shutdown took too long, exiting');
      exit(1);
    }, timeoutMs);
    timer.unref();
    let finished: Promise<void>;
    try {
      finished = shutdown(signal);
    } catch (err) {
      finished = Promise.reject(err);
    }
    finished.then(
      () => {
        clearTimeout(timer);
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        options.logger?.error({ err: String(err) }, 'shutdown failed');
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
