import type { KubeObject } from '../../kube/object.js';
import type { StoreClient } from '../../raft/client/store-client.js';
import { prefixEnd, StoreError } from '../../raft/client/store-client.js';
import type { Compare, KeyValue, TxnOp, TxnResult } from '../../raft/kv/types.js';
import { CLAIM_ATTEMPTS_MAX, NO_RESERVATIONS, type ObjectAllocator, type Reservations } from '../allocators/reservations.js';
import type { ResourceDef } from '../registry/types.js';
import { ApiError, alreadyExists, conflict, expired, internalError, MODIFIED_CONFLICT, notFound } from '../status.js';
import { type ContinueToken, decodeContinue, encodeContinue } from './continue-token.js';
import type { LeaseOption, ObjectLeases } from './object-leases.js';
import { decodeObject, encodeObject } from './object-codec.js';
import { objectKey, resourcePrefix } from './keys.js';

/**
 * Kubernetes objects on the store client: the only place the apiserver turns objects into store
 * keys and transactions (kube-apiserver's `storage/etcd3/store.go`). Every write is one txn with a
 * precondition, so concurrent writers can never lose each other's changes:
 * create needs `createRevision == 0` (else 409 AlreadyExists), update and delete need
 * `modRevision == <the resourceVersion they read>` (else 409 Conflict).
 *
 * Kinds with an allocator (apiserver/allocators/: a Service's cluster IP and node ports) also
 * claim and release their reservation keys in that same txn.
 */

export interface ListOptions {
  readonly namespace?: string | undefined;
  /** Page size; 0 or absent for all. */
  readonly limit?: number | undefined;
  readonly continueToken?: string | undefined;
  /** Read at this revision (resourceVersionMatch=Exact, or a continue); absent: the latest. */
  readonly revision?: number | undefined;
  /** Only objects for which it holds are returned and count against `limit`. */
  readonly predicate?: ((obj: KubeObject) => boolean) | undefined;
}

export interface ListResult {
  readonly items: KubeObject[];
  /** The store revision the list was read at: the list's resourceVersion. */
  readonly revision: number;
  readonly continueToken?: string;
  /** How many more objects a continue would find; only known without a predicate. */
  readonly remainingItemCount?: number;
}

/** How many keys one store range fetches while filling a filtered page. */
const FILTERED_PAGE_BATCH_MIN = 100;

export class ObjectStore {
  readonly store: StoreClient;
  /** By `group/plural`. */
  private readonly allocators: ReadonlyMap<string, ObjectAllocator>;

  /** Leases for kinds that expire (ResourceDef.ttlSeconds: Events); absent, nothing expires. */
  private readonly leases: ObjectLeases | undefined;

  constructor(store: StoreClient, allocators: ReadonlyMap<string, ObjectAllocator> = new Map(), leases?: ObjectLeases) {
    this.store = store;
    this.allocators = allocators;
    this.leases = leases;
  }

  /** A put of an object of `def`, attached to the lease its kind's TTL needs (none for most kinds). */
  private writeWithLease<T>(def: ResourceDef, put: (lease: LeaseOption) => Promise<T>): Promise<T> {
    return this.leases ? this.leases.write(def, put) : put({});
  }

  private allocatorFor(def: ResourceDef): ObjectAllocator | undefined {
    return this.allocators.get(`${def.group}/${def.plural}`);
  }

  key(def: ResourceDef, namespace: string | undefined, name: string): string {
    return objectKey(def, namespace, name);
  }

  async get(def: ResourceDef, namespace: string | undefined, name: string): Promise<KubeObject> {
    const found = await this.find(def, namespace, name);
    if (!found) throw notFound(def, name);
    return found;
  }

  /** The object, or undefined if it does not exist (a linearizable read). */
  async find(def: ResourceDef, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    const { kvs } = await this.store.range(this.key(def, namespace, name));
    const kv = kvs[0];
    return kv ? decodeObject(kv) : undefined;
  }

  /** Writes a new object; 409 AlreadyExists if the name is taken. Returns it with its resourceVersion. */
  async create(def: ResourceDef, obj: KubeObject): Promise<KubeObject> {
    const key = this.key(def, obj.metadata.namespace, obj.metadata.name ?? '');
    const allocator = this.allocatorFor(def);
    for (let attempt = 1; ; attempt++) {
      const candidate = allocator ? structuredClone(obj) : obj;
      const reservations = allocator ? await allocator.forCreate(candidate) : NO_RESERVATIONS;
      const result = await this.writeWithLease(def, (lease) =>
        this.store.txn(
          withReservations(
            { key, target: 'createRevision', result: '=', operand: 0 },
            { t: 'put', key, value: encodeObject(candidate), ...lease },
            key,
            reservations,
          ),
        ),
      );
      if (result.succeeded) return withVersion(candidate, result.revision);
      if (!claimLost(result, (kv) => kv === undefined)) throw alreadyExists(def, obj.metadata.name ?? '');
      if (attempt >= CLAIM_ATTEMPTS_MAX)
        throw internalError(`failed to allocate for ${def.plural} "${obj.metadata.name ?? ''}": too many conflicting allocations`);
    }
  }

  /**
   * Replaces the object if it is still at `expectedRevision`; 409 Conflict if it changed, 404 if
   * it is gone. Returns it with its new resourceVersion.
   */
  async update(def: ResourceDef, obj: KubeObject, expectedRevision: number): Promise<KubeObject> {
    const name = obj.metadata.name ?? '';
    const key = this.key(def, obj.metadata.namespace, name);
    const allocator = this.allocatorFor(def);
    for (let attempt = 1; ; attempt++) {
      let candidate = obj;
      let reservations = NO_RESERVATIONS;
      if (allocator) {
        const old = await this.atRevision(def, obj.metadata.namespace, name, expectedRevision);
        candidate = structuredClone(obj);
        reservations = await allocator.forUpdate(candidate, old);
      }
      const result = await this.writeWithLease(def, (lease) =>
        this.store.txn(
          withReservations(
            { key, target: 'modRevision', result: '=', operand: expectedRevision },
            { t: 'put', key, value: encodeObject(candidate), ...lease },
            key,
            reservations,
          ),
        ),
      );
      if (result.succeeded) return withVersion(candidate, result.revision);
      if (!claimLost(result, (kv) => kv?.modRevision === expectedRevision)) {
        const current = result.results[0];
        if (current?.t === 'range' && current.kvs.length === 0) throw notFound(def, name);
        throw conflict(def, name, MODIFIED_CONFLICT);
      }
      if (attempt >= CLAIM_ATTEMPTS_MAX) throw internalError(`failed to allocate for ${def.plural} "${name}": too many conflicting allocations`);
    }
  }

  /** The object as stored at `expectedRevision`: 404 if gone, 409 if it changed since (what the write's txn would find). */
  private async atRevision(def: ResourceDef, namespace: string | undefined, name: string, expectedRevision: number): Promise<KubeObject> {
    const old = await this.get(def, namespace, name);
    if (Number(old.metadata.resourceVersion) !== expectedRevision) throw conflict(def, name, MODIFIED_CONFLICT);
    return old;
  }

  /** Deletes the object if it is still at `expectedRevision`; returns the delete's revision. */
  async delete(def: ResourceDef, namespace: string | undefined, name: string, expectedRevision: number): Promise<number> {
    const key = this.key(def, namespace, name);
    const allocator = this.allocatorFor(def);
    const reservations = allocator ? allocator.forDelete(await this.atRevision(def, namespace, name, expectedRevision)) : NO_RESERVATIONS;
    const result = await this.store.txn(
      withReservations({ key, target: 'modRevision', result: '=', operand: expectedRevision }, { t: 'delete', key }, key, reservations),
    );
    if (!result.succeeded) {
      const current = result.results[0];
      if (current?.t === 'range' && current.kvs.length === 0) throw notFound(def, name);
      throw conflict(def, name, MODIFIED_CONFLICT);
    }
    return result.revision;
  }

  /**
   * Read-modify-write with retries on conflict, as kube-apiserver's GuaranteedUpdate: `mutate`
   * gets the current object and returns the new one (or throws an ApiError to stop). Used by
   * patch, status writes and binding, which must not fail just because someone else wrote first.
   */
  async guaranteedUpdate(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    mutate: (current: KubeObject) => KubeObject | Promise<KubeObject>,
    attemptsMax = 16,
  ): Promise<KubeObject> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(def, namespace, name);
      const revision = Number(current.metadata.resourceVersion);
      const next = await mutate(structuredClone(current));
      try {
        return await this.update(def, next, revision);
      } catch (err) {
        if (err instanceof ApiError && err.status.reason === 'Conflict' && attempt < attemptsMax) continue;
        throw err;
      }
    }
  }

  /** The store's current revision, linearizably (for consistent reads served from the watch cache). */
  async currentRevision(): Promise<number> {
    const r = await this.store.range(REVISION_PROBE_KEY, { countOnly: true });
    return r.revision;
  }

  /** A list straight from the store, paged as kube does (continue tokens pin the first page's revision). */
  async list(def: ResourceDef, options: ListOptions = {}): Promise<ListResult> {
    const prefix = resourcePrefix(def, options.namespace);
    let token: ContinueToken | undefined;
    if (options.continueToken) token = decodeContinue(options.continueToken, prefix);
    const revision = token?.revision ?? options.revision ?? 0;
    const rangeEnd = prefixEnd(prefix) ?? '\u0000';
    const limit = options.limit ?? 0;
    let start = token ? token.startKey : prefix;
    const items: KubeObject[] = [];
    let readAt = revision;
    try {
      for (;;) {
        const want = limit > 0 ? Math.max(limit - items.length + 1, options.predicate ? FILTERED_PAGE_BATCH_MIN : 0) : 0;
        const page = await this.store.range(start, { rangeEnd, limit: want, revision: readAt });
        readAt = page.revision;
        let lastKey: string | undefined;
        for (const kv of page.kvs) {
          lastKey = kv.key;
          const obj = decodeObject(kv);
          if (options.predicate && !options.predicate(obj)) continue;
          items.push(obj);
          if (limit > 0 && items.length > limit) break;
        }
        if (limit > 0 && items.length > limit) {
          // One more than asked for: a continue token points at it.
          const extra = items.pop() as KubeObject;
          const nextKey = this.key(def, extra.metadata.namespace, extra.metadata.name ?? '');
          const result: ListResult = { items, revision: readAt, continueToken: encodeContinue({ revision: readAt, startKey: nextKey }, prefix) };
          if (!options.predicate) {
            const remaining = await this.store.range(nextKey, { rangeEnd, revision: readAt, countOnly: true });
            return { ...result, remainingItemCount: remaining.count };
          }
          return result;
        }
        if (!page.more || lastKey === undefined) return { items, revision: readAt };
        start = `${lastKey}\u0000`;
      }
    } catch (err) {
      if (err instanceof StoreError && err.code === 'Compacted' && token) {
        throw expired(CONTINUE_EXPIRED);
      }
      throw err;
    }
  }
}

/** A key that sorts before every object key; a count-only range on it costs nothing but reports the revision. */
const REVISION_PROBE_KEY = '/registry/\u0000revision-probe';

const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/**
 * One write's txn: the object's precondition and write, plus each claim (must be absent; put) and
 * release (delete). On failure it reads the object's key, then every claimed key, so the caller
 * can tell a lost claim (retry with other values) from a precondition that failed.
 */
function withReservations(precondition: Compare, write: TxnOp, key: string, r: Reservations): { compare: Compare[]; success: TxnOp[]; failure: TxnOp[] } {
  const encoder = new TextEncoder();
  return {
    compare: [precondition, ...r.claim.map((c): Compare => ({ key: c.key, target: 'createRevision', result: '=', operand: 0 }))],
    success: [
      write,
      ...r.claim.map((c): TxnOp => ({ t: 'put', key: c.key, value: encoder.encode(c.value) })),
      ...r.release.map((k): TxnOp => ({ t: 'delete', key: k })),
    ],
    failure: [{ t: 'range', key }, ...r.claim.map((c): TxnOp => ({ t: 'range', key: c.key, keysOnly: true }))],
  };
}

/**
 * Whether a failed txn of `withReservations` failed only because a claimed key exists: the
 * object's precondition held (`held` of the object's kv as read on failure) and some claim did not.
 */
function claimLost(result: TxnResult, held: (kv: KeyValue | undefined) => boolean): boolean {
  const [objectRead, ...claims] = result.results;
  if (objectRead?.t !== 'range' || !held(objectRead.kvs[0])) return false;
  return claims.some((r) => r.t === 'range' && r.kvs.length > 0);
}

function withVersion(obj: KubeObject, revision: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
}
