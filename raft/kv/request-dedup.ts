import { kvInvariant } from './errors.js';

/**
 * The table that makes a retried command apply at most once (the client sessions of the Raft
 * dissertation, §6.3, in their simplest form): a command carrying a `requestId` that is already
 * in the table is not applied again; its first outcome is returned instead.
 *
 * The bound: the table holds the outcomes of the last `capacity` commands that carried a
 * request id, in apply order; applying one more evicts the oldest. So a retry is recognised as
 * long as fewer than `capacity` other request-carrying commands were applied between the first
 * attempt and the retry. At the default 65,536 and 20,000 writes a second that is three
 * seconds, longer than a client takes to find a new leader and retry. Eviction follows apply
 * order only, so every replica evicts the same ids, and the table (order included) is part of
 * the replicated state: snapshots carry it.
 *
 * A request id names one command: a different command sent with a seen id gets the first one's
 * outcome. Ids are opaque strings; `clientId:sequence` is a good choice.
 */

export const DEDUP_REQUESTS_MAX_DEFAULT = 65_536;

export class RequestDedup<T> {
  readonly capacity: number;
  private readonly outcomes = new Map<string, T>();
  /**
   * The remembered ids in apply order, as a ring: `order[(oldest + i) % capacity]` is the i-th
   * oldest. (Evicting through the Map's own order would make V8 skip the deleted entries at its
   * front on every eviction.)
   */
  private readonly order: string[] = [];
  private oldest = 0;

  constructor(capacity: number = DEDUP_REQUESTS_MAX_DEFAULT) {
    kvInvariant(Number.isSafeInteger(capacity) && capacity >= 1, `dedup capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.outcomes.size;
  }

  /** The remembered outcome of `requestId`, undefined if never seen or already evicted. */
  get(requestId: string): T | undefined {
    return this.outcomes.get(requestId);
  }

  /** Remembers the outcome of a newly applied command; evicts the oldest beyond capacity. */
  remember(requestId: string, outcome: T): void {
    kvInvariant(!this.outcomes.has(requestId), () => `request ${requestId} applied twice`);
    this.outcomes.set(requestId, outcome);
    if (this.order.length < this.capacity) {
      this.order.push(requestId);
      return;
    }
    this.outcomes.delete(this.order[this.oldest] as string);
    this.order[this.oldest] = requestId;
    this.oldest = (this.oldest + 1) % this.capacity;
  }

  /** Every remembered request, oldest first (the order eviction follows). */
  *entries(): IterableIterator<[string, T]> {
    for (let i = 0; i < this.order.length; i++) {
      const id = this.order[(this.oldest + i) % this.order.length] as string;
      yield [id, this.outcomes.get(id) as T];
    }
  }
}
