/**
 * Group commit: many callers that each need "everything I wrote so far is durable" share one
 * flush. While a flush is in flight, every new request joins a single next flush, which starts
 * when the current one ends and covers everything buffered by then. N concurrent requests thus
 * cost at most two flushes, however large N is (hashicorp/raft batches up to 64 writes per fsync
 * the same way).
 *
 * Contract of `flush`: it takes what is buffered synchronously, before its first await, so that
 * anything buffered before `request()` was called is covered by the flush that request waits for.
 */
export class GroupCommit {
  private inFlight: Promise<void> | undefined;
  private next: Deferred | undefined;

  constructor(private readonly flush: () => Promise<void>) {}

  /** Resolves when a flush that started at or after this call has completed; rejects if it failed. */
  request(): Promise<void> {
    if (this.inFlight === undefined) return this.start();
    this.next ??= deferred();
    return this.next.promise;
  }

  /** Resolves when every flush requested so far has settled (and rejects if the last one failed). */
  idle(): Promise<void> {
    return this.next?.promise ?? this.inFlight ?? Promise.resolve();
  }

  private start(): Promise<void> {
    let run: Promise<void>;
    try {
      run = this.flush();
    } catch (err) {
      run = Promise.reject(err);
    }
    this.inFlight = run;
    const settle = (): void => {
      this.inFlight = undefined;
      const waiting = this.next;
      this.next = undefined;
      if (waiting !== undefined) this.start().then(waiting.resolve, waiting.reject);
    };
    run.then(settle, settle);
    return run;
  }
}

interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
