import type { ApplyOutcome } from './command-results.js';
import { Compaction } from './compaction.js';
import { CompactedError, FutureRevisionError, InvalidRequestError, kvInvariant } from './errors.js';
import { KeyIndex } from './key-index.js';
import { type KeyRange, resolveKeyRange } from './key-range.js';
import { hashKeySpace } from './kv-hash.js';
import { LeaseTable } from './lease.js';
import { DEDUP_REQUESTS_MAX_DEFAULT, RequestDedup } from './request-dedup.js';
import { INITIAL_REVISION, type Revision } from './revision.js';
import { RevisionLog, tombstoneKv } from './revision-log.js';
import { restoreState } from './snapshot-codec.js';
import { SnapshotWriter } from './snapshot-writer.js';
import { SortedKeyMap } from './sorted-key-map.js';
import { checkTxnRequest, compareHolds } from './txn-rules.js';
import type {
  DeleteOptions,
  DeleteResult,
  KeyValue,
  KvEvent,
  KvHash,
  LeaseInfo,
  LeaseTimeToLive,
  PutOptions,
  PutResult,
  RangeOptions,
  RangeResult,
  RevisionBatch,
  TxnOp,
  TxnOpResult,
  TxnRequest,
  TxnResult,
} from './types.js';

/**
 * The MVCC key-value store, etcd v3's semantics on an in-memory index. Pure and deterministic:
 * the same sequence of calls gives the same state, results, snapshot bytes and hash on every
 * replica. It is the whole replicated state: keys with their history, leases, and the request
 * dedup table that apply.ts uses.
 *
 * Contracts (see types.ts for the data types):
 * - One write transaction (put, delete, txn, lease revoke) that changes at least one key bumps
 *   the revision by exactly one; all its changes share it. One that changes nothing does not.
 * - A request error (KvError) is thrown before anything changes: writes are checked whole
 *   first, then applied, and applying cannot fail.
 * - Reads at revision r need compactRevision <= r <= revision, else Compacted / FutureRevision.
 * - After each revision, observers get its changes synchronously, in order (the watch hub).
 *
 * Costs: a put or a point read is O(1) plus O(log n) for a new key; a range is O(log n + keys
 * in range) (counting needs every key in range, as etcd); a read in the past adds two binary
 * searches per key; compaction is O(changes compacted). Memory: one KeyValue per change since
 * the compact revision, shared by reads, events and the index.
 */

/** Told about every change; must not throw and must not write to the store. */
export interface StoreObserver {
  /** A write transaction made `batch.revision`. */
  revision(batch: RevisionBatch): void;
  /** `restore` replaced the whole state. */
  restored(): void;
}

export interface MvccStoreOptions {
  /** The dedup table's bound (request-dedup.ts); part of the replicated state. */
  readonly dedupRequestsMax?: number;
}

const EMPTY_VALUE = new Uint8Array(0);

export class MvccStore {
  private current: Revision = INITIAL_REVISION;
  private index = new SortedKeyMap<KeyIndex>();
  private log = new RevisionLog(INITIAL_REVISION + 1);
  private readonly compaction = new Compaction(() => ({ index: this.index, log: this.log }));
  private lessor = new LeaseTable();
  private dedup: RequestDedup<ApplyOutcome>;
  private readonly observers: StoreObserver[] = [];
  /** The changes of the write transaction in progress; undefined outside one. */
  private pending: KvEvent[] | undefined;

  constructor(options: MvccStoreOptions = {}) {
    this.dedup = new RequestDedup(options.dedupRequestsMax ?? DEDUP_REQUESTS_MAX_DEFAULT);
  }

  /** The dedup table of apply.ts: request id → first outcome. Replicated state. */
  get requests(): RequestDedup<ApplyOutcome> {
    return this.dedup;
  }

  /** The current revision (1 for an empty store). */
  get revision(): Revision {
    return this.current;
  }

  /** Reads before this revision fail with Compacted; 0 if never compacted. */
  get compactRevision(): Revision {
    return this.compaction.revision;
  }

  /** Keys with history (including deleted keys not yet compacted away). */
  get indexedKeyCount(): number {
    return this.index.size;
  }

  /** Registers an observer; returns the function that removes it. */
  subscribe(observer: StoreObserver): () => void {
    this.observers.push(observer);
    return () => {
      const at = this.observers.indexOf(observer);
      if (at >= 0) this.observers.splice(at, 1);
    };
  }

  range(key: string, options: RangeOptions = {}): RangeResult {
    const range = resolveKeyRange(key, options);
    return this.rangeAt(range, this.readRevision(options.revision), options);
  }

  put(key: string, value: Uint8Array, options: PutOptions = {}): PutResult {
    const lease = options.lease ?? 0;
    this.checkPut(key, value, lease);
    this.beginWrite();
    const prevKv = this.writePut(key, value, lease);
    const revision = this.endWrite();
    return options.prevKv === true && prevKv !== undefined ? { revision, prevKv } : { revision };
  }

  deleteRange(key: string, options: DeleteOptions = {}): DeleteResult {
    const range = resolveKeyRange(key, options);
    this.beginWrite();
    const deleted = this.writeDelete(range);
    const revision = this.endWrite();
    return options.prevKv === true ? { revision, deleted: deleted.length, prevKvs: deleted } : { revision, deleted: deleted.length };
  }

  /** Compares on current values, then runs one branch as one write transaction. */
  txn(request: TxnRequest): TxnResult {
    checkTxnRequest(request);
    const succeeded = request.compare.every((c) => compareHolds(c, this.index.get(c.key)?.current()));
    const ops = succeeded ? request.success : request.failure;
    for (const op of ops) this.checkOp(op);
    this.beginWrite();
    const done = ops.map((op) => this.runOp(op));
    const revision = this.endWrite();
    const results = done.map((r): TxnOpResult => {
      if (r.t === 'range') return r.result;
      if (r.t === 'put') return r.prevKv !== undefined ? { t: 'put', revision, prevKv: r.prevKv } : { t: 'put', revision };
      return r.prevKvs !== undefined ? { t: 'delete', revision, deleted: r.deleted, prevKvs: r.prevKvs } : { t: 'delete', revision, deleted: r.deleted };
    });
    return { succeeded, revision, results };
  }

  /**
   * Forgets history before `revision`: each key keeps its newest change at or before it and
   * everything after. Reads before it then fail with Compacted; so do watches from it or
   * before (watch-hub.ts). Throws Compacted if it is not after the current compact revision,
   * FutureRevision if it is after the current revision.
   */
  compact(revision: Revision): void {
    if (!Number.isSafeInteger(revision)) throw new InvalidRequestError(`compact revision must be an integer, got ${revision}`);
    if (revision <= this.compaction.revision) throw new CompactedError(revision, this.compaction.revision);
    if (revision > this.current) throw new FutureRevisionError(revision, this.current);
    this.compaction.compact(revision);
  }

  leaseGrant(id: number, ttlSeconds: number): LeaseInfo {
    const lease = this.lessor.grant(id, ttlSeconds);
    return { id: lease.id, ttlSeconds: lease.ttlSeconds };
  }

  /** Deletes the lease's keys (in key order, as one write transaction) and then the lease. */
  leaseRevoke(id: number): { readonly revision: Revision; readonly deleted: number } {
    const keys = [...this.lessor.require(id).keys].sort();
    this.beginWrite();
    for (const key of keys) this.writeDeleteKey(this.index.get(key) as KeyIndex);
    const revision = this.endWrite();
    this.lessor.remove(id);
    return { revision, deleted: keys.length };
  }

  /** Checks the lease exists; the leader's LeaseClock does the renewing. */
  leaseKeepAlive(id: number): LeaseInfo {
    const lease = this.lessor.require(id);
    return { id, ttlSeconds: lease.ttlSeconds };
  }

  leaseTimeToLive(id: number): LeaseTimeToLive {
    const lease = this.lessor.require(id);
    return { id, ttlSeconds: lease.ttlSeconds, keys: [...lease.keys].sort() };
  }

  /** Every lease, by id. */
  leases(): LeaseInfo[] {
    return this.lessor.list().map((l) => ({ id: l.id, ttlSeconds: l.ttlSeconds }));
  }

  /**
   * The changes made at `revision` (empty for revision 1), for watchers catching up. Throws
   * Compacted at or before the compact revision (a revision's changes are only kept while it
   * is after it), FutureRevision after the current one.
   */
  eventsAt(revision: Revision): readonly KvEvent[] {
    if (revision <= this.compaction.revision) throw new CompactedError(revision, this.compaction.revision);
    if (revision > this.current) throw new FutureRevisionError(revision, this.current);
    return this.log.get(revision)?.events ?? [];
  }

  /** A digest of the key space at `revision` (0: current), for comparing replicas. */
  hash(revision: Revision = 0): KvHash {
    const at = this.readRevision(revision);
    return { hash: hashKeySpace(this.index.entries(), at), revision: at, compactRevision: this.compaction.revision };
  }

  /** The whole replicated state as bytes (snapshot-codec.ts); identical on replicas with the same state. */
  snapshot(): Uint8Array {
    return this.snapshotWriter().finish();
  }

  /**
   * A snapshot of the state now, to encode a slice at a time while writes go on (see
   * snapshot-writer.ts). Until it is done or released, compacted history is kept in memory.
   */
  snapshotWriter(): SnapshotWriter {
    kvInvariant(this.pending === undefined, 'snapshot during a write');
    const { current: revision, compactRevision, index, lessor } = this;
    const requests = [...this.requests.entries()];
    const source = { revision, compactRevision, index, leases: this.leases(), nextLeaseId: lessor.nextId, dedupCapacity: this.requests.capacity, requests };
    return new SnapshotWriter(source, this.compaction.hold());
  }

  /**
   * Replaces the whole state with a snapshot's (empty bytes: the empty store), keeping the
   * observers, who are told. Throws MalformedSnapshotError and leaves the state as it was if
   * the bytes are not a valid snapshot.
   */
  restore(bytes: Uint8Array): void {
    kvInvariant(this.pending === undefined, 'restore during a write');
    const state = restoreState(bytes, this.requests.capacity);
    this.current = state.revision;
    this.compaction.reset(state.compactRevision);
    this.index = state.index;
    this.log = state.log;
    this.lessor = state.lessor;
    this.dedup = state.requests;
    for (const observer of [...this.observers]) observer.restored();
  }

  // --- reads ---------------------------------------------------------------------------------

  /** A requested read revision checked against the window; undefined means the latest view. */
  private readRevision(requested: Revision | undefined): Revision {
    if (requested === undefined || requested === 0) return this.current;
    if (!Number.isSafeInteger(requested) || requested < 0) throw new InvalidRequestError(`revision must be a non-negative integer, got ${requested}`);
    if (requested > this.current) throw new FutureRevisionError(requested, this.current);
    if (requested < this.compaction.revision) throw new CompactedError(requested, this.compaction.revision);
    return requested;
  }

  /**
   * Reads `range` at `at`. Outside a write, reading at the current revision takes each key's
   * current kv (O(1)). Inside a txn, `latest` reads see the txn's own writes so far.
   */
  private rangeAt(range: KeyRange, at: Revision, options: RangeOptions, latest = false): RangeResult {
    const limit = options.limit ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidRequestError(`limit must be a non-negative integer, got ${limit}`);
    const countOnly = options.countOnly === true;
    const keysOnly = options.keysOnly === true;
    const useCurrent = latest || (at === this.current && this.pending === undefined);
    const kvs: KeyValue[] = [];
    let count = 0;
    const visit = (keyIndex: KeyIndex): void => {
      const kv = useCurrent ? keyIndex.current() : keyIndex.at(at);
      if (kv === undefined) return;
      count++;
      if (countOnly || (limit > 0 && kvs.length >= limit)) return;
      kvs.push(keysOnly ? { ...kv, value: EMPTY_VALUE } : kv);
    };
    if (range.kind === 'single') {
      const keyIndex = this.index.get(range.key);
      if (keyIndex !== undefined) visit(keyIndex);
    } else {
      this.index.forEachInRange(range.start, range.end, (_key, keyIndex) => visit(keyIndex));
    }
    return { kvs, count, more: !countOnly && count > kvs.length, revision: at };
  }

  // --- writes --------------------------------------------------------------------------------

  private checkPut(key: string, value: Uint8Array, lease: number): void {
    if (typeof key !== 'string' || key === '') throw new InvalidRequestError('key is empty');
    if (!(value instanceof Uint8Array)) throw new InvalidRequestError('value must be bytes');
    if (!Number.isSafeInteger(lease) || lease < 0) throw new InvalidRequestError(`lease must be a non-negative integer, got ${lease}`);
    if (lease !== 0) this.lessor.require(lease);
  }

  /** Everything that could make an op fail, checked before the txn changes anything. */
  private checkOp(op: TxnOp): void {
    if (op.t === 'put') this.checkPut(op.key, op.value, op.lease ?? 0);
    else if (op.t === 'range') {
      this.readRevision(op.revision);
      const limit = op.limit ?? 0;
      if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidRequestError(`limit must be a non-negative integer, got ${limit}`);
    }
  }

  private runOp(
    op: TxnOp,
  ): { t: 'put'; prevKv: KeyValue | undefined } | { t: 'delete'; deleted: number; prevKvs: KeyValue[] | undefined } | { t: 'range'; result: TxnOpResult } {
    switch (op.t) {
      case 'put': {
        const prev = this.writePut(op.key, op.value, op.lease ?? 0);
        return { t: 'put', prevKv: op.prevKv === true ? prev : undefined };
      }
      case 'delete': {
        const deleted = this.writeDelete(resolveKeyRange(op.key, op));
        return { t: 'delete', deleted: deleted.length, prevKvs: op.prevKv === true ? deleted : undefined };
      }
      case 'range': {
        const range = resolveKeyRange(op.key, op);
        const latest = op.revision === undefined || op.revision === 0;
        const at = latest ? this.current + ((this.pending?.length ?? 0) > 0 ? 1 : 0) : op.revision;
        return { t: 'range', result: { t: 'range', ...this.rangeAt(range, at, op, latest) } };
      }
    }
  }

  private beginWrite(): void {
    kvInvariant(this.pending === undefined, 'a write transaction inside another');
    this.pending = [];
  }

  /** Writes one put at the pending revision; returns the kv it replaced. */
  private writePut(key: string, value: Uint8Array, lease: number): KeyValue | undefined {
    const events = this.pending as KvEvent[];
    const revision = this.current + 1;
    let keyIndex = this.index.get(key);
    if (keyIndex === undefined) {
      keyIndex = new KeyIndex(key);
      this.index.set(key, keyIndex);
    }
    const prev = keyIndex.current();
    const kv: KeyValue = {
      key: keyIndex.key, // one string per key, not one per version
      value,
      createRevision: prev === undefined ? revision : prev.createRevision,
      modRevision: revision,
      version: prev === undefined ? 1 : prev.version + 1,
      lease,
    };
    keyIndex.put(kv, events.length);
    if (prev !== undefined && prev.lease !== 0 && prev.lease !== lease) this.lessor.detach(prev.lease, key);
    if (lease !== 0) this.lessor.attach(lease, key);
    events.push(prev === undefined ? { type: 'put', kv } : { type: 'put', kv, prevKv: prev });
    return prev;
  }

  /** Deletes every existing key in the range at the pending revision; returns them in key order. */
  private writeDelete(range: KeyRange): KeyValue[] {
    const deleted: KeyValue[] = [];
    if (range.kind === 'single') {
      const keyIndex = this.index.get(range.key);
      if (keyIndex?.current() !== undefined) deleted.push(this.writeDeleteKey(keyIndex));
      return deleted;
    }
    // Tombstoning changes key histories, never the map's keys, so deleting while walking is safe.
    this.index.forEachInRange(range.start, range.end, (_key, keyIndex) => {
      if (keyIndex.current() !== undefined) deleted.push(this.writeDeleteKey(keyIndex));
    });
    return deleted;
  }

  private writeDeleteKey(keyIndex: KeyIndex): KeyValue {
    const events = this.pending as KvEvent[];
    const revision = this.current + 1;
    const prev = keyIndex.tombstone(revision, events.length);
    if (prev.lease !== 0) this.lessor.detach(prev.lease, keyIndex.key);
    events.push({ type: 'delete', kv: tombstoneKv(keyIndex.key, revision), prevKv: prev });
    return prev;
  }

  /** Ends the write transaction: bumps the revision if it changed anything, and tells observers. */
  private endWrite(): Revision {
    const events = this.pending as KvEvent[];
    this.pending = undefined;
    if (events.length === 0) return this.current;
    this.current += 1;
    // An exact-size copy: a pushed-to array keeps room for 17, and the log keeps every batch.
    const batch: RevisionBatch = { revision: this.current, events: events.slice() };
    this.log.append(batch);
    for (const observer of this.observers) observer.revision(batch);
    return this.current;
  }
}
