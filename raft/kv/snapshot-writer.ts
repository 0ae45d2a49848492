import { Packr } from 'msgpackr';
import { type ApplyOutcome, outcomeToData } from './command-results.js';
import { kvInvariant } from './errors.js';
import type { Generation, KeyIndex } from './key-index.js';
import type { Revision } from './revision.js';
import { KV_SNAPSHOT_TAG, KV_SNAPSHOT_VERSION } from './snapshot-codec.js';
import type { SortedKeyMap } from './sorted-key-map.js';
import type { KeyValue } from './types.js';

/**
 * Encodes the store's snapshot a slice at a time, so that the server can yield to its event
 * loop between slices while the store goes on applying writes. (A 100k-key store takes seconds
 * to encode; in one go that is seconds without heartbeats, replies or watch events.)
 *
 * Consistency: the snapshot is the store's state at the revision it was started at, however
 * many writes land between slices. What changes in place is read through that revision:
 * - each key's history is read as it was then (`historyAt`): changes after it are left out, a
 *   delete after it leaves the generation open, and keys created after it are skipped;
 * - the keys are walked in order from the last one written, so keys added meanwhile do not
 *   shift the walk;
 * - the store defers trimming compacted history while a writer holds it (`release` ends that),
 *   and the writer drops what the compaction of its revision drops itself, so a compaction
 *   applied meanwhile changes nothing here;
 * - what is small and replaced rather than changed (leases, the dedup table's order) is copied
 *   when the writer starts.
 *
 * The bytes are the snapshot-codec.ts format, version 1, and depend only on the state: the keys
 * and requests lists use 32-bit length headers whatever their length, so two replicas write
 * byte-identical snapshots of the same state. Pure: no I/O, no timers; the caller paces `step`.
 */

/** What the writer reads from the store, taken when it starts. */
export interface SnapshotSource {
  readonly revision: Revision;
  readonly compactRevision: Revision;
  /** The live key index; read through `revision`, never written. */
  readonly index: SortedKeyMap<KeyIndex>;
  readonly leases: readonly { readonly id: number; readonly ttlSeconds: number }[];
  readonly nextLeaseId: number;
  readonly dedupCapacity: number;
  /** The dedup table oldest first, copied (outcomes are never changed in place). */
  readonly requests: readonly (readonly [string, ApplyOutcome])[];
}

/** Keys or requests encoded per `step()` unless told otherwise. */
export const SNAPSHOT_STEP_ITEMS_DEFAULT = 512;

const packr = new Packr({ useRecords: false, moreTypes: false });

export class SnapshotWriter {
  readonly revision: Revision;
  private readonly source: SnapshotSource;
  private readonly parts: Uint8Array[] = [];
  private readonly onRelease: () => void;
  private released = false;
  private phase: 'keys' | 'requests' | 'done' = 'keys';
  /** The last key encoded; the walk goes on after it. */
  private lastKey: string | undefined;
  private keyCount = 0;
  /** Where the keys list's header sits in `parts`, to fill in its count at the end. */
  private readonly keysHeader: Uint8Array;
  private nextRequest = 0;
  private bytes = 0;

  constructor(source: SnapshotSource, onRelease: () => void) {
    this.source = source;
    this.revision = source.revision;
    this.onRelease = onRelease;
    // [tag, version, revision, compactRevision, keys, leases, nextLeaseId, dedupCapacity, requests]
    this.push(new Uint8Array([0x99]));
    this.push(packr.pack(KV_SNAPSHOT_TAG));
    this.push(packr.pack(KV_SNAPSHOT_VERSION));
    this.push(packr.pack(source.revision));
    this.push(packr.pack(source.compactRevision));
    this.keysHeader = array32Header(0);
    this.push(this.keysHeader);
  }

  /** Whether every part has been encoded. */
  get done(): boolean {
    return this.phase === 'done';
  }

  /** Bytes encoded so far (all of the snapshot once done). */
  get byteLength(): number {
    return this.bytes;
  }

  /**
   * Encodes up to `items` more keys or dedup entries; returns whether the snapshot is complete.
   * Throws if the writer was released before it was done.
   */
  step(items = SNAPSHOT_STEP_ITEMS_DEFAULT): boolean {
    kvInvariant(!this.released || this.phase === 'done', 'snapshot writer used after release');
    if (this.phase === 'keys') this.stepKeys(items);
    else if (this.phase === 'requests') this.stepRequests(items);
    return this.phase === 'done';
  }

  /** Runs every remaining step now and returns the snapshot (a snapshot taken in one go). */
  finish(): Uint8Array {
    while (!this.step(Number.MAX_SAFE_INTEGER)) {
      // each step moves to the next phase at the latest
    }
    return this.result();
  }

  /**
   * The snapshot as the list of byte slices it was encoded into (concatenated, they are the
   * snapshot), for a caller that copies them into place a few at a time. Only once done.
   */
  chunks(): readonly Uint8Array[] {
    kvInvariant(this.phase === 'done', 'snapshot writer read before it was done');
    return this.parts;
  }

  /** The snapshot in one buffer (one copy of it). Only once done. */
  result(): Uint8Array {
    const out = new Uint8Array(this.bytes);
    let at = 0;
    for (const part of this.chunks()) {
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  }

  /** Lets the store trim compacted history again. Called when done; call it to give up early. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease();
  }

  private stepKeys(items: number): void {
    const { index, revision, compactRevision } = this.source;
    const entries: unknown[] = [];
    const start = this.lastKey === undefined ? '' : `${this.lastKey}\u0000`;
    let visited = 0;
    let finished = true;
    index.forEachInRange(start, undefined, (key, keyIndex) => {
      if (visited === items) {
        finished = false;
        return false;
      }
      visited++;
      this.lastKey = key;
      const generations = historyAt(keyIndex, revision, compactRevision);
      if (generations.length > 0) entries.push([key, generations.map(encodeGeneration)]);
      return true;
    });
    if (entries.length > 0) {
      this.push(withoutArrayHeader(packr.pack(entries)));
      this.keyCount += entries.length;
    }
    if (!finished) return;
    new DataView(this.keysHeader.buffer, this.keysHeader.byteOffset, 5).setUint32(1, this.keyCount);
    const { leases, nextLeaseId, dedupCapacity, requests } = this.source;
    this.push(packr.pack(leases.map((l) => [l.id, l.ttlSeconds])));
    this.push(packr.pack(nextLeaseId));
    this.push(packr.pack(dedupCapacity));
    this.push(array32Header(requests.length));
    this.phase = 'requests';
  }

  private stepRequests(items: number): void {
    const { requests } = this.source;
    const end = Math.min(requests.length, this.nextRequest + items);
    if (end > this.nextRequest) {
      const slice = requests.slice(this.nextRequest, end).map(([id, outcome]) => [id, outcomeToData(outcome)]);
      this.push(withoutArrayHeader(packr.pack(slice)));
      this.nextRequest = end;
    }
    if (this.nextRequest < requests.length) return;
    this.phase = 'done';
    this.release();
  }

  private push(part: Uint8Array): void {
    this.parts.push(part);
    this.bytes += part.byteLength;
  }
}

/**
 * A key's history as a store at revision `at`, compacted at `compactRevision`, holds it:
 * generations started after `at` left out, changes after `at` left out (a delete after it
 * leaves its generation open), then what compaction at `compactRevision` drops (KeyIndex.compact)
 * dropped. Empty if the key has no history to keep.
 */
export function historyAt(keyIndex: KeyIndex, at: Revision, compactRevision: Revision): Generation[] {
  const out: Generation[] = [];
  for (const g of keyIndex.generations) {
    if ((g.kvs[0] as KeyValue).modRevision > at) break;
    let end = g.kvs.length;
    while (end > 1 && (g.kvs[end - 1] as KeyValue).modRevision > at) end--;
    const closed = g.tombstone !== 0 && g.tombstone <= at;
    if (closed && g.tombstone <= compactRevision) continue;
    let start = 0;
    if (out.length === 0) {
      // The first generation kept keeps its newest put at or before the compact revision, and what follows.
      while (start + 1 < end && (g.kvs[start + 1] as KeyValue).modRevision <= compactRevision) start++;
    }
    const whole = start === 0 && end === g.kvs.length;
    out.push({
      kvs: whole ? g.kvs : g.kvs.slice(start, end),
      subs: whole ? g.subs : g.subs.slice(start, end),
      tombstone: closed ? g.tombstone : 0,
      tombstoneSub: closed ? g.tombstoneSub : 0,
    });
  }
  return out;
}

function encodeGeneration(g: Generation): unknown {
  return [g.tombstone, g.tombstoneSub, g.kvs.map((kv, i) => [kv.value, kv.createRevision, kv.modRevision, kv.version, kv.lease, g.subs[i]])];
}

/** A msgpack array32 header: the count is filled in later, and the width never depends on it. */
function array32Header(count: number): Uint8Array {
  const header = new Uint8Array(5);
  header[0] = 0xdd;
  new DataView(header.buffer).setUint32(1, count);
  return header;
}

/** The elements of a packed array, without the array's own header (fixarray, array16 or array32). */
function withoutArrayHeader(packed: Uint8Array): Uint8Array {
  const first = packed[0] as number;
  if (first >= 0x90 && first <= 0x9f) return packed.subarray(1);
  if (first === 0xdc) return packed.subarray(3);
  kvInvariant(first === 0xdd, () => `not a packed array (first byte ${first})`);
  return packed.subarray(5);
}
