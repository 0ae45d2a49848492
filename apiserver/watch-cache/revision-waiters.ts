import { WatchCacheError } from './types.js';

interface Waiter {
  readonly revision: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Requests waiting for the cache to reach a revision (consistent reads from cache). Each
 * resolves once `advance` reaches its revision, or rejects with WatchCacheError 'Timeout'
 * ("Too large resource version", kube's wording) when its time is up.
 */
export class RevisionWaiters {
  private readonly waiting = new Set<Waiter>();

  get size(): number {
    return this.waiting.size;
  }

  /** Waits for `advance(r)` with r >= revision; `current` names the cache's revision in the timeout error. */
  wait(revision: number, timeoutMs: number, current: () => number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(waiter);
        const now = current();
        reject(
          new WatchCacheError('Timeout', `Too large resource version: ${revision}, current: ${now}`, { requestedRevision: revision, currentRevision: now }),
        );
      }, timeoutMs);
      const waiter: Waiter = { revision, resolve, reject, timer };
      this.waiting.add(waiter);
    });
  }

  /** The cache now reflects `revision`: release every waiter at or below it. */
  advance(revision: number): void {
    for (const w of this.waiting) {
      if (w.revision > revision) continue;
      clearTimeout(w.timer);
      this.waiting.delete(w);
      w.resolve();
    }
  }

  rejectAll(e: Error): void {
    for (const w of this.waiting) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.waiting.clear();
  }
}
