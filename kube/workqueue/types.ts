/**
 * client-go's rate-limited work queue, as a contract:
 * - a key added several times before it is taken is processed once (de-duplication);
 * - a key is never handed to two workers at once: added while being processed, it is queued
 *   again only after `done(key)`;
 * - `addRateLimited` waits per key with exponential backoff (5 ms doubling to 1000 s by
 *   default, as client-go's item limiter), `forget` resets that key's backoff;
 * - `addAfter` adds once the delay has passed (an earlier add wins);
 * - after `shutDown`, `get` resolves `undefined` once the queue is drained.
 */
export interface WorkQueue<K = string> {
  add(key: K): void;
  addAfter(key: K, delayMs: number): void;
  addRateLimited(key: K): void;
  forget(key: K): void;
  /** How many times `addRateLimited` was called for the key since its last `forget`. */
  retries(key: K): number;
  /** The next key to process; waits while the queue is empty. */
  get(): Promise<K | undefined>;
  done(key: K): void;
  len(): number;
  shutDown(): void;
  shuttingDown(): boolean;
}
