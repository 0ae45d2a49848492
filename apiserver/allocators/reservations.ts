import type { KubeObject } from '../../kube/object.js';

/**
 * Values a kind takes from ranges every apiserver shares (a Service's cluster IP and node ports),
 * held as one store key per value. ObjectStore writes the claims and releases in the SAME
 * conditional txn as the object itself, each claim guarded by `createRevision == 0`: two
 * apiservers that pick the same value cannot both win, and a value is never held by a deleted
 * object nor lost by a failed write (kube holds a bitmap per range in etcd and repairs it with a
 * controller; one key per value needs no repair).
 */

/** One key to create: `value` says who holds it (`namespace/name`), for operators reading the store. */
export interface Claim {
  readonly key: string;
  readonly value: string;
}

export interface Reservations {
  /** Keys that must not exist yet; created with the write. */
  readonly claim: readonly Claim[];
  /** Keys the write gives back; deleted with it. */
  readonly release: readonly string[];
}

export const NO_RESERVATIONS: Reservations = { claim: [], release: [] };

/**
 * A kind's allocation logic, consulted by ObjectStore on each create, update and delete of that
 * kind. `forCreate`/`forUpdate` fill in the allocated fields of `obj` (they mutate it) from the
 * values free right now and may throw an ApiError (422 for a value the user chose that is taken
 * or out of range, 500 for a full range). A claim can still lose a race: the store then retries
 * the whole write with a fresh copy of the object, calling the allocator again.
 */
export interface ObjectAllocator {
  forCreate(obj: KubeObject): Promise<Reservations>;
  forUpdate(obj: KubeObject, old: KubeObject): Promise<Reservations>;
  forDelete(old: KubeObject): Reservations;
}

/** How often a write whose claim lost a race is tried again before giving up with 500. */
export const CLAIM_ATTEMPTS_MAX = 16;
