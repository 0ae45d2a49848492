import type { CommandResult } from '../kv/command-results.js';
import type { KvErrorCode } from '../kv/errors.js';
import type { Revision } from '../kv/revision.js';
import type { DeleteResult, KeyRangeOptions, KeyValue, KvEvent, PutResult, RangeOptions, RangeResult, TxnRequest, TxnResult } from '../kv/types.js';

/**
 * The store client: everything the apiserver may ask of the store (DESIGN.md, "Contract: the
 * store client"), modelled on etcd v3 so that an implementation backed by a real etcd cluster
 * can sit behind the same interface.
 *
 * Guarantees every implementation keeps:
 * - Reads are linearizable unless `serializable` is set: a read sees every write acknowledged
 *   before it started.
 * - A write is applied at most once, even when the client retries it after a failover.
 * - One global revision per write transaction, as in etcd.
 * - A watch delivers every change after its start revision exactly once and in revision order,
 *   even when the replica serving it dies; a start revision that was compacted fails with
 *   StoreError code 'Compacted' carrying the compact revision.
 */
export interface StoreClient {
  range(key: string, options?: RangeOptions & { readonly serializable?: boolean }): Promise<RangeResult>;
  put(key: string, value: Uint8Array, options?: { readonly lease?: number; readonly prevKv?: boolean }): Promise<PutResult>;
  delete(key: string, options?: KeyRangeOptions & { readonly prevKv?: boolean }): Promise<DeleteResult>;
  txn(request: TxnRequest): Promise<TxnResult>;
  compact(revision: Revision): Promise<{ readonly revision: Revision; readonly compactRevision: Revision }>;
  leaseGrant(ttlSeconds: number, id?: number): Promise<{ readonly id: number; readonly ttlSeconds: number }>;
  leaseKeepAlive(id: number): Promise<{ readonly id: number; readonly ttlSeconds: number }>;
  leaseRevoke(id: number): Promise<{ readonly deleted: number }>;
  watch(key: string, options?: StoreWatchOptions): StoreWatch;
  status(): Promise<StoreStatus>;
  close(): Promise<void>;
}

export interface StoreWatchOptions extends KeyRangeOptions {
  /** First revision to deliver (inclusive). Absent: changes after the watch starts. */
  readonly fromRevision?: Revision;
  readonly prevKv?: boolean;
  readonly progressNotify?: boolean;
}

/** One delivery of a watch: the changes of one revision, or a progress notification (no events). */
export interface WatchBatch {
  readonly revision: Revision;
  readonly events: readonly KvEvent[];
  readonly progress?: boolean;
}

/** An async stream of batches; `cancel()` ends it. Iteration throws StoreError('Compacted') if history is gone. */
export interface StoreWatch extends AsyncIterable<WatchBatch> {
  cancel(): void;
  /** Asks the server for a progress notification now (etcd's RequestProgress). */
  requestProgress(): void;
}

export interface MemberStatus {
  readonly id: number;
  readonly name: string;
  readonly peerAddress: string;
  readonly clientAddress: string;
  readonly isLearner: boolean;
}

export interface StoreStatus {
  readonly id: number;
  readonly leader: number;
  readonly term: number;
  readonly revision: Revision;
  readonly compactRevision: Revision;
  readonly raftIndex: number;
  readonly raftAppliedIndex: number;
  readonly raftCommitIndex: number;
  readonly role: string;
  readonly dbSizeBytes: number;
  readonly members: readonly MemberStatus[];
}

/** The state machine's request errors (raft/kv/errors.ts), and those of getting a request to it. */
export type StoreErrorCode = KvErrorCode | 'NotLeader' | 'NoLeader' | 'Unavailable' | 'Timeout' | 'TooLarge' | 'Closed' | 'Internal';

/** The one error type of the store client; `code` says what to do about it. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: StoreErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
    this.details = details;
  }

  /** For Compacted: the revision history now starts after. */
  get compactRevision(): number | undefined {
    const v = this.details.compactRevision;
    return typeof v === 'number' ? v : undefined;
  }
}

export type { CommandResult, KeyValue };

/** The range end that covers every key starting with a prefix (etcd's GetPrefixRangeEnd), for paging through a prefix. */
export { prefixEnd } from '../kv/key-range.js';
