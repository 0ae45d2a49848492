import { kvInvariant } from './errors.js';

/**
 * The leader's lease deadlines: which leases have outlived their TTL, given the time the
 * driver passes in. Not replicated and not part of the state machine; only the leader keeps
 * one, and it acts on it only by proposing `leaseRevoke` commands.
 *
 * The driver's side of the contract (as etcd's lessor):
 * - on becoming leader, `promote` with every lease in the store: each gets a full TTL from now
 *   (plus `extendMs`, e.g. an election timeout), since the old leader's deadlines are unknown;
 * - after a grant or a keep-alive is applied, `renew` (with the TTL the result carries);
 * - after a revoke is applied, `forget`;
 * - on each timer tick, `expiredLeases(nowMs)` and propose a revoke for each id returned;
 * - on losing leadership, `demote`.
 * An id returned by `expiredLeases` is re-armed for `revokeRetryMs`, so it is reported again
 * only if its revoke did not land (a lost proposal), not on every tick while one is in flight.
 *
 * Deadlines are kept in a min-heap (lazy deletion), so a tick costs O(expired · log n).
 */

export const LEASE_REVOKE_RETRY_MS_DEFAULT = 3_000;

interface Deadline {
  readonly id: number;
  readonly deadlineMs: number;
  /** Which arming of the lease this is; stale heap entries have an older stamp. */
  readonly stamp: number;
}

interface Tracked {
  ttlMs: number;
  deadlineMs: number;
  stamp: number;
}

export class LeaseClock {
  private readonly revokeRetryMs: number;
  private readonly tracked = new Map<number, Tracked>();
  private heap: Deadline[] = [];
  private stamps = 0;

  constructor(options: { readonly revokeRetryMs?: number } = {}) {
    this.revokeRetryMs = options.revokeRetryMs ?? LEASE_REVOKE_RETRY_MS_DEFAULT;
    kvInvariant(this.revokeRetryMs > 0, 'revokeRetryMs must be positive');
  }

  /** How many leases are tracked. */
  get size(): number {
    return this.tracked.size;
  }

  /** Tracks every given lease with a full TTL from `nowMs` (+ `extendMs`), dropping all else. */
  promote(leases: Iterable<{ readonly id: number; readonly ttlSeconds: number }>, nowMs: number, extendMs = 0): void {
    this.demote();
    for (const { id, ttlSeconds } of leases) this.arm(id, ttlSeconds * 1000, nowMs + ttlSeconds * 1000 + extendMs);
  }

  /** Stops tracking everything (this replica is no longer the leader). */
  demote(): void {
    this.tracked.clear();
    this.heap = [];
  }

  /** Starts or restarts a lease's TTL from `nowMs` (after a grant or keep-alive). */
  renew(id: number, ttlSeconds: number, nowMs: number): void {
    this.arm(id, ttlSeconds * 1000, nowMs + ttlSeconds * 1000);
  }

  /** Stops tracking a lease (it was revoked). */
  forget(id: number): void {
    this.tracked.delete(id);
  }

  /** Milliseconds until the lease expires (<= 0: expired), undefined if not tracked. */
  remainingMs(id: number, nowMs: number): number | undefined {
    const t = this.tracked.get(id);
    return t === undefined ? undefined : t.deadlineMs - nowMs;
  }

  /**
   * Ids whose deadline is at or before `nowMs`, earliest deadline first (ties by id), at most
   * `max`. Each is re-armed to expire again `revokeRetryMs` from now.
   */
  expiredLeases(nowMs: number, max = Number.POSITIVE_INFINITY): number[] {
    const expired: number[] = [];
    while (expired.length < max) {
      const top = this.heap[0];
      if (top === undefined || top.deadlineMs > nowMs) break;
      this.pop();
      const t = this.tracked.get(top.id);
      if (t === undefined || t.stamp !== top.stamp) continue; // forgotten or re-armed since
      expired.push(top.id);
    }
    for (const id of expired) {
      const t = this.tracked.get(id) as Tracked;
      this.arm(id, t.ttlMs, nowMs + this.revokeRetryMs);
    }
    return expired;
  }

  private arm(id: number, ttlMs: number, deadlineMs: number): void {
    const stamp = ++this.stamps;
    this.tracked.set(id, { ttlMs, deadlineMs, stamp });
    this.push({ id, deadlineMs, stamp });
    // Stale entries are dropped lazily; rebuild when they dominate so the heap stays O(leases).
    if (this.heap.length > 2 * this.tracked.size + 64) this.rebuild();
  }

  private rebuild(): void {
    this.heap = [];
    for (const [id, t] of this.tracked) this.push({ id, deadlineMs: t.deadlineMs, stamp: t.stamp });
  }

  private push(entry: Deadline): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (!before(entry, heap[parent] as Deadline)) break;
      heap[i] = heap[parent] as Deadline;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as Deadline;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right] as Deadline, heap[left] as Deadline) ? right : left;
      if (!before(heap[child] as Deadline, last)) break;
      heap[i] = heap[child] as Deadline;
      i = child;
    }
    heap[i] = last;
  }
}

function before(a: Deadline, b: Deadline): boolean {
  return a.deadlineMs !== b.deadlineMs ? a.deadlineMs < b.deadlineMs : a.id !== b.id ? a.id < b.id : a.stamp < b.stamp;
}
