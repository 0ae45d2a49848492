import type { Clock } from '../kube/clock.js';

/** How long a controller waits for its own writes to come back through the watch (kube's ExpectationsTimeout). */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  del: number;
  /** When the expectation was set: past the timeout it no longer holds the controller back. */
  setAtMs: number;
}

/**
 * What a controller is still waiting to see through its informer after issuing creates and
 * deletes (kube's `UIDTrackingControllerExpectations`), per controller key.
 *
 * Why: the cache lags the writes. A ReplicaSet that created 3 pods and syncs again before the
 * informer delivered them would count 0 pods and create 3 more. So `sync` skips counting
 * (`satisfied(key)` false) until every expected create and delete has been observed, or until
 * `EXPECTATIONS_TIMEOUT_MS` has passed since they were set (a lost event must not wedge the
 * controller forever). A key with no record is satisfied: a new controller, or one whose
 * expectations were deleted with it.
 *
 * Deletions are tracked by pod key, so that a deletion seen twice (a deletionTimestamp update,
 * then the delete) lowers the count once.
 */
export class ControllerExpectations {
  private readonly records = new Map<string, Expectation>();
  private readonly deleteKeys = new Map<string, Set<string>>();

  constructor(private readonly clock: Clock) {}

  /** The controller is about to issue `count` creates (replaces any previous record of the key). */
  expectCreations(key: string, count: number): void {
    this.records.set(key, { add: count, del: 0, setAtMs: this.clock.now() });
  }

  /** The controller is about to delete these pods (by pod key); replaces any previous record. */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    const keys = new Set(podKeys);
    this.deleteKeys.set(key, keys);
    this.records.set(key, { add: 0, del: keys.size, setAtMs: this.clock.now() });
  }

  /** Adds to what is expected without resetting the timer's start (kube's RaiseExpectations). */
  raise(key: string, add: number, del: number): void {
    const r = this.records.get(key);
    if (r) {
      r.add += add;
      r.del += del;
    } else {
      this.records.set(key, { add, del, setAtMs: this.clock.now() });
    }
  }

  /** One expected create was seen by the informer, or failed (and so will never be seen). */
  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r) r.add -= 1;
  }

  /**
   * The pod `podKey` was seen deleted (or its delete failed). With a `podKey`, counts only when
   * that pod was expected, and only once; without one, lowers the count unconditionally.
   */
  deletionObserved(key: string, podKey?: string): void {
    if (podKey !== undefined) {
      const keys = this.deleteKeys.get(key);
      if (!keys?.has(podKey)) return;
      keys.delete(podKey);
    }
    const r = this.records.get(key);
    if (r) r.del -= 1;
  }

  /** True when every expected write was observed, the record expired, or there is none. */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.clock.now() - r.setAtMs > EXPECTATIONS_TIMEOUT_MS;
  }

  /** What is still expected, for logs and tests; undefined when there is no record. */
  pending(key: string): { readonly add: number; readonly del: number } | undefined {
    const r = this.records.get(key);
    return r ? { add: r.add, del: r.del } : undefined;
  }

  /** Forget the key (its controller object was deleted). */
  delete(key: string): void {
    this.records.delete(key);
    this.deleteKeys.delete(key);
  }
}
