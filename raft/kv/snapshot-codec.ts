import { Packr } from 'msgpackr';
import { type ApplyOutcome, outcomeFromData } from './command-results.js';
import { MalformedSnapshotError } from './errors.js';
import { type Generation, KeyIndex } from './key-index.js';
import { LeaseTable } from './lease.js';
import { RequestDedup } from './request-dedup.js';
import { type RevisionLog, rebuildRevisionLog } from './revision-log.js';
import { Shape } from './shape.js';
import { SortedKeyMap } from './sorted-key-map.js';
import type { KeyValue } from './types.js';

/**
 * The key-value state machine's snapshot format: everything replicated, nothing derived.
 *
 *     ['picokube-kv', 1, revision, compactRevision, keys, leases, nextLeaseId, dedupCapacity, requests]
 *       keys:     [[key, [generation...]]...]            strictly ascending by key
 *       generation: [tombstone, tombstoneSub, [[value, createRevision, modRevision, version, lease, sub]...]]
 *       leases:   [[id, ttlSeconds]...]                  ascending by id
 *       requests: [[requestId, [1, result] | [0, error]]...]   oldest first (dedup eviction order)
 *
 * Derived state is rebuilt on restore: which keys each lease holds (from the live keys' lease
 * field) and the revision log (from the key histories). Every list is written in a canonical
 * order, so two replicas with the same state write byte-identical snapshots, whatever order
 * they happened to build their maps in.
 *
 * Empty bytes decode to the empty store (a cluster bootstrapped without a snapshot). The
 * encoder is snapshot-writer.ts, which writes the lists a slice at a time.
 */

export const KV_SNAPSHOT_TAG = 'picokube-kv';
export const KV_SNAPSHOT_VERSION = 1;

/** The replicated state, as decoded. */
export interface StoreState {
  readonly revision: number;
  readonly compactRevision: number;
  /** Every key with history, in key order. */
  readonly keys: readonly KeyIndex[];
  readonly leases: readonly { readonly id: number; readonly ttlSeconds: number }[];
  readonly nextLeaseId: number;
  readonly dedupCapacity: number;
  readonly requests: readonly (readonly [string, ApplyOutcome])[];
}

const packr = new Packr({ useRecords: false, moreTypes: false, copyBuffers: true });

const shape = new Shape((reason) => {
  throw new MalformedSnapshotError(reason);
});

/**
 * Decodes and checks snapshot bytes; `emptyDedupCapacity` is the dedup capacity of the empty
 * store that empty bytes stand for. Throws MalformedSnapshotError.
 */
export function decodeSnapshot(bytes: Uint8Array, emptyDedupCapacity: number): StoreState {
  if (bytes.byteLength === 0) {
    return { revision: 1, compactRevision: 0, keys: [], leases: [], nextLeaseId: 1, dedupCapacity: emptyDedupCapacity, requests: [] };
  }
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch (err) {
    throw new MalformedSnapshotError(`not msgpack: ${err instanceof Error ? err.message : String(err)}`);
  }
  const top = shape.array(raw, 'snapshot');
  if (top[0] !== KV_SNAPSHOT_TAG) throw new MalformedSnapshotError(`not a kv snapshot (tag ${JSON.stringify(top[0])})`);
  if (top[1] !== KV_SNAPSHOT_VERSION)
    throw new MalformedSnapshotError(`unsupported kv snapshot version ${String(top[1])} (this build reads ${KV_SNAPSHOT_VERSION})`);
  const [, , rawRevision, rawCompact, rawKeys, rawLeases, rawNextLeaseId, rawCapacity, rawRequests] = shape.tuple(raw, 'snapshot', 9);
  const revision = shape.int(rawRevision, 'revision', 1);
  const compactRevision = shape.int(rawCompact, 'compactRevision', 0, revision);

  let previousKey: string | undefined;
  const keys = shape.array(rawKeys, 'keys').map((rawKey, i) => {
    const [k, rawGens] = shape.tuple(rawKey, `keys[${i}]`, 2);
    const key = shape.string(k, `keys[${i}].key`);
    if (previousKey !== undefined && !(previousKey < key)) shape.fail(`keys are not strictly ascending at ${JSON.stringify(key)}`);
    previousKey = key;
    const generations = shape.array(rawGens, `keys[${i}].generations`).map((g, j) => parseGeneration(key, g, `keys[${i}][${j}]`, revision));
    try {
      return KeyIndex.fromGenerations(key, generations);
    } catch (err) {
      return shape.fail(err instanceof Error ? err.message : String(err));
    }
  });

  let previousLease = 0;
  const leases = shape.array(rawLeases, 'leases').map((rawLease, i) => {
    const [rawId, rawTtl] = shape.tuple(rawLease, `leases[${i}]`, 2);
    const id = shape.int(rawId, `leases[${i}].id`, previousLease + 1);
    previousLease = id;
    return { id, ttlSeconds: shape.int(rawTtl, `leases[${i}].ttlSeconds`, 1) };
  });
  const nextLeaseId = shape.int(rawNextLeaseId, 'nextLeaseId', 1);
  const dedupCapacity = shape.int(rawCapacity, 'dedupCapacity', 1);
  const seen = new Set<string>();
  const requests = shape.array(rawRequests, 'requests', dedupCapacity).map((rawRequest, i): [string, ApplyOutcome] => {
    const [rawId, rawOutcome] = shape.tuple(rawRequest, `requests[${i}]`, 2);
    const id = shape.string(rawId, `requests[${i}].id`);
    if (seen.has(id)) shape.fail(`request id ${JSON.stringify(id)} appears twice`);
    seen.add(id);
    return [id, outcomeFromData(rawOutcome, shape, `requests[${i}].outcome`)];
  });
  return { revision, compactRevision, keys, leases, nextLeaseId, dedupCapacity, requests };
}

function parseGeneration(key: string, raw: unknown, path: string, revision: number): Generation {
  const [rawTombstone, rawTombstoneSub, rawKvs] = shape.tuple(raw, path, 3);
  const tombstone = shape.int(rawTombstone, `${path}.tombstone`, 0, revision);
  const tombstoneSub = shape.int(rawTombstoneSub, `${path}.tombstoneSub`);
  const kvs: KeyValue[] = [];
  const subs: number[] = [];
  shape.array(rawKvs, `${path}.kvs`).forEach((rawKv, i) => {
    const p = `${path}.kvs[${i}]`;
    const [value, createRevision, modRevision, version, lease, sub] = shape.tuple(rawKv, p, 6);
    kvs.push({
      key,
      value: shape.bytes(value, `${p}.value`),
      createRevision: shape.int(createRevision, `${p}.createRevision`, 2, revision),
      modRevision: shape.int(modRevision, `${p}.modRevision`, 2, revision),
      version: shape.int(version, `${p}.version`, 1),
      lease: shape.int(lease, `${p}.lease`),
    });
    subs.push(shape.int(sub, `${p}.sub`));
  });
  return { kvs, subs, tombstone, tombstoneSub };
}

/** A store's parts, rebuilt from snapshot bytes, with the derived state (log, lease keys) filled in. */
export interface RestoredState {
  readonly revision: number;
  readonly compactRevision: number;
  readonly index: SortedKeyMap<KeyIndex>;
  readonly log: RevisionLog;
  readonly lessor: LeaseTable;
  readonly requests: RequestDedup<ApplyOutcome>;
}

/** Decodes snapshot bytes into a store's parts. Throws MalformedSnapshotError. */
export function restoreState(bytes: Uint8Array, emptyDedupCapacity: number): RestoredState {
  const state = decodeSnapshot(bytes, emptyDedupCapacity);
  const log = rebuildRevisionLog(state.keys, state.compactRevision, state.revision);
  if (log === undefined) throw new MalformedSnapshotError('key histories do not cover every revision after the compact revision');
  const lessor = new LeaseTable();
  lessor.reset(state.leases, state.nextLeaseId);
  const index = new SortedKeyMap<KeyIndex>();
  for (const keyIndex of state.keys) {
    index.set(keyIndex.key, keyIndex);
    const live = keyIndex.current();
    if (live === undefined || live.lease === 0) continue;
    if (lessor.get(live.lease) === undefined) throw new MalformedSnapshotError(`key ${JSON.stringify(live.key)} is attached to missing lease ${live.lease}`);
    lessor.attach(live.lease, live.key);
  }
  const requests = new RequestDedup<ApplyOutcome>(state.dedupCapacity);
  for (const [id, outcome] of state.requests) requests.remember(id, outcome);
  return { revision: state.revision, compactRevision: state.compactRevision, index, log, lessor, requests };
}
