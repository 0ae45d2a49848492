import { InvalidRequestError, LeaseExistsError, LeaseNotFoundError, kvInvariant } from './errors.js';

/**
 * The replicated lease table: which leases exist, their granted TTL, and which keys each one
 * holds. It never reads a clock. When a lease expires is the leader's business: its driver
 * tracks deadlines with a LeaseClock (lease-clock.ts) and, when one passes, proposes a
 * `leaseRevoke` command, which every replica applies at the same point of the log. So expiry
 * is replicated like any other write, and a replica whose clock is off cannot drop keys alone.
 *
 * A lease id is a positive safe integer. A grant may name it, or leave it to the table, which
 * hands out the lowest unused id from a counter (deterministic, so every replica picks the same).
 */

/** As etcd's MaxLeaseTTL. */
export const LEASE_TTL_SECONDS_MAX = 9_000_000_000;

export interface Lease {
  readonly id: number;
  /** The TTL it was granted with; each keep-alive extends the deadline by this much. */
  readonly ttlSeconds: number;
  /** The keys attached to it now. */
  readonly keys: ReadonlySet<string>;
}

interface MutableLease {
  readonly id: number;
  readonly ttlSeconds: number;
  readonly keys: Set<string>;
}

export class LeaseTable {
  private readonly byId = new Map<number, MutableLease>();
  private nextIdValue = 1;

  /** The id the next grant without one will get (if still unused then). Part of the replicated state. */
  get nextId(): number {
    return this.nextIdValue;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Checks a grant without making it. Throws InvalidRequest or LeaseExists. */
  checkGrant(id: number, ttlSeconds: number): void {
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > LEASE_TTL_SECONDS_MAX) {
      throw new InvalidRequestError(`lease TTL must be an integer from 1 to ${LEASE_TTL_SECONDS_MAX} seconds, got ${ttlSeconds}`);
    }
    if (!Number.isSafeInteger(id) || id < 0) throw new InvalidRequestError(`lease id must be a non-negative integer, got ${id}`);
    if (id !== 0 && this.byId.has(id)) throw new LeaseExistsError(id);
  }

  /** Grants a lease; `id` 0 means "pick one". */
  grant(id: number, ttlSeconds: number): Lease {
    this.checkGrant(id, ttlSeconds);
    let leaseId = id;
    if (leaseId === 0) {
      while (this.byId.has(this.nextIdValue)) this.nextIdValue++;
      leaseId = this.nextIdValue++;
    }
    const lease: MutableLease = { id: leaseId, ttlSeconds, keys: new Set() };
    this.byId.set(leaseId, lease);
    return lease;
  }

  get(id: number): Lease | undefined {
    return this.byId.get(id);
  }

  /** The lease, or LeaseNotFound. */
  require(id: number): Lease {
    const lease = this.byId.get(id);
    if (lease === undefined) throw new LeaseNotFoundError(id);
    return lease;
  }

  /** Forgets a revoked lease; the caller has deleted its keys first. */
  remove(id: number): void {
    const lease = this.byId.get(id);
    kvInvariant(lease !== undefined && lease.keys.size === 0, () => `lease ${id}: removed while missing or holding keys`);
    this.byId.delete(id);
  }

  attach(id: number, key: string): void {
    const lease = this.byId.get(id);
    kvInvariant(lease !== undefined, () => `attach ${key} to missing lease ${id}`);
    lease.keys.add(key);
  }

  detach(id: number, key: string): void {
    this.byId.get(id)?.keys.delete(key);
  }

  /** Every lease, by id. */
  list(): Lease[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  /** Replaces the table with a snapshot's (keys are re-attached by the store afterwards). */
  reset(leases: readonly { readonly id: number; readonly ttlSeconds: number }[], nextId: number): void {
    this.byId.clear();
    for (const { id, ttlSeconds } of leases) this.byId.set(id, { id, ttlSeconds, keys: new Set() });
    this.nextIdValue = nextId;
  }
}
