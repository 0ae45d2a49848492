import type { Revision } from './revision.js';

/**
 * The data types of the key-value store, modelled on etcd v3's mvccpb and etcdserverpb.
 *
 * Keys are strings (JavaScript strings, usually ASCII, Kubernetes keys always are), compared by
 * UTF-16 code unit (the `<` operator). That is UTF-8 byte order, etcd's order, for every key
 * except ones that mix characters above U+FFFF with characters in U+E000..U+FFFF. Values are
 * bytes (`Uint8Array`). Returned objects are shared with the store and must not be mutated:
 * that is what lets a read or an event cost no copy.
 */

/** A key's state at one revision (etcd's mvccpb.KeyValue). */
export interface KeyValue {
  readonly key: string;
  readonly value: Uint8Array;
  /** The revision of the put that created this generation of the key; 0 for a delete event's kv. */
  readonly createRevision: Revision;
  /** The revision of the last change; for a delete event's kv, the revision of the delete. */
  readonly modRevision: Revision;
  /** 1 after the create, +1 per put; a delete ends the generation and the next put starts at 1. */
  readonly version: number;
  /** The lease the key is attached to, 0 for none. */
  readonly lease: number;
}

export type EventType = 'put' | 'delete';

/**
 * One change. For a put, `kv` is the new state; for a delete, `kv` holds only the key and the
 * delete's revision as modRevision (etcd's tombstone). `prevKv` is the state just before, absent
 * for the put that creates a key.
 */
export interface KvEvent {
  readonly type: EventType;
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

/** All changes of one write transaction, in the order it made them. Never empty. */
export interface RevisionBatch {
  readonly revision: Revision;
  readonly events: readonly KvEvent[];
}

/**
 * Which keys a request covers, given its `key`:
 * - neither option: exactly `key`;
 * - `prefix: true`: every key starting with `key` (`''` with prefix: every key);
 * - `rangeEnd`: the half-open range [key, rangeEnd); `'\0'` means every key >= `key` (etcd's
 *   convention). Setting both is an InvalidRequest.
 */
export interface KeyRangeOptions {
  readonly prefix?: boolean;
  readonly rangeEnd?: string;
}

export interface RangeOptions extends KeyRangeOptions {
  /** At most this many kvs (0 or absent: no limit). `count` still counts all. */
  readonly limit?: number;
  /** Read at this revision (0 or absent: the current one). */
  readonly revision?: Revision;
  /** Return no kvs, only `count`. */
  readonly countOnly?: boolean;
  /** Return kvs with empty values. */
  readonly keysOnly?: boolean;
}

export interface RangeResult {
  /** Matching kvs in key order, at most `limit`. */
  readonly kvs: KeyValue[];
  /** How many keys match, ignoring `limit`. */
  readonly count: number;
  /** True when `limit` cut the answer short. */
  readonly more: boolean;
  /**
   * The revision the range was read at: the requested one, or the current one. (etcd's header
   * carries the current revision even for a read in the past; a Kubernetes list at a given
   * resourceVersion wants the revision it was read at, which this is.)
   */
  readonly revision: Revision;
}

export interface PutOptions {
  /** Attach the key to this lease (0 or absent: none; a put without a lease detaches). */
  readonly lease?: number;
  /** Return the kv the put replaced. */
  readonly prevKv?: boolean;
}

export interface PutResult {
  /** The revision of the write. */
  readonly revision: Revision;
  /** With `prevKv`: the replaced kv, absent if the key did not exist. */
  readonly prevKv?: KeyValue;
}

export interface DeleteOptions extends KeyRangeOptions {
  /** Return the deleted kvs. */
  readonly prevKv?: boolean;
}

export interface DeleteResult {
  /** The revision of the delete; the unchanged current revision if nothing was deleted. */
  readonly revision: Revision;
  /** How many keys were deleted. */
  readonly deleted: number;
  /** With `prevKv`: the deleted kvs in key order. */
  readonly prevKvs?: KeyValue[];
}

/** What a compare looks at; a missing key reads as version, revisions and lease 0. */
export type CompareTarget = 'value' | 'version' | 'createRevision' | 'modRevision' | 'lease';
export type CompareResult = '=' | '!=' | '<' | '>';

/**
 * One condition of a txn, on one key. On `value`, bytes compare lexicographically and a missing
 * key fails every compare (as etcd). The others compare numbers, a missing key reading as 0
 * (so `createRevision = 0` means "does not exist", the Kubernetes create precondition).
 */
export type Compare =
  | { readonly key: string; readonly target: 'value'; readonly result: CompareResult; readonly operand: Uint8Array }
  | {
      readonly key: string;
      readonly target: 'version' | 'createRevision' | 'modRevision' | 'lease';
      readonly result: CompareResult;
      readonly operand: number;
    };

export type PutOp = { readonly t: 'put'; readonly key: string; readonly value: Uint8Array } & PutOptions;
export type DeleteOp = { readonly t: 'delete'; readonly key: string } & DeleteOptions;
export type RangeOp = { readonly t: 'range'; readonly key: string } & RangeOptions;

/** One operation of a txn branch; they run in order, and a range sees the writes before it. */
export type TxnOp = PutOp | DeleteOp | RangeOp;

export type TxnOpResult =
  | ({ readonly t: 'put' } & PutResult)
  | ({ readonly t: 'delete' } & DeleteResult)
  | ({ readonly t: 'range' } & RangeResult);

export interface TxnRequest {
  readonly compare: readonly Compare[];
  readonly success: readonly TxnOp[];
  readonly failure: readonly TxnOp[];
}

export interface TxnResult {
  /** Whether every compare held (so the success branch ran). */
  readonly succeeded: boolean;
  /** The txn's write revision, or the current revision if it wrote nothing. */
  readonly revision: Revision;
  /** One result per op of the branch that ran, in order. */
  readonly results: TxnOpResult[];
}

export interface KvHash {
  /** FNV-1a over every key's kv at `revision`, in key order. */
  readonly hash: number;
  readonly revision: Revision;
  readonly compactRevision: Revision;
}

export interface LeaseInfo {
  readonly id: number;
  readonly ttlSeconds: number;
}

export interface LeaseTimeToLive extends LeaseInfo {
  /** The attached keys, in key order. Remaining time is the leader's LeaseClock's to say. */
  readonly keys: string[];
}

/** Limits on one request, as etcd's `--max-txn-ops` (128). */
export const TXN_OPS_MAX = 128;
