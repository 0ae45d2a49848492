import { CompactedError, SnapshotTemporarilyUnavailableError, UnavailableError, invariant } from './errors.js';
import type { ConfState, Entry, HardState, Snapshot } from './types.js';
import { EMPTY_HARD_STATE } from './types.js';

/**
 * What the core reads of the durable log (etcd-io/raft storage.go). Everything the driver has
 * persisted is visible here; entries not yet persisted live in the core's unstable log.
 *
 * Contract: `term(i)` answers for firstIndex()-1 … lastIndex() (the entry just before the first
 * kept one is remembered through the snapshot's metadata); below that it throws CompactedError,
 * above it UnavailableError. `entries(lo, hi)` returns [lo, hi) and at least one entry when the
 * range is not empty, even if that entry alone exceeds maxBytes.
 */
export interface Storage {
  initialState(): { hardState: HardState; confState: ConfState };
  entries(lo: number, hi: number, maxBytes?: number): Entry[];
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** The newest snapshot; may throw SnapshotTemporarilyUnavailableError. */
  snapshot(): Snapshot;
}

export const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [] };

export function entryBytes(e: Entry): number {
  return e.data.byteLength + 16;
}

/** Keeps entries from `lo` on while their total size stays within maxBytes; always keeps one. */
export function limitBytes(entries: Entry[], maxBytes: number | undefined): Entry[] {
  if (maxBytes === undefined || entries.length === 0) return entries;
  let size = entryBytes(entries[0] as Entry);
  let n = 1;
  for (; n < entries.length; n++) {
    size += entryBytes(entries[n] as Entry);
    if (size > maxBytes) break;
  }
  return n === entries.length ? entries : entries.slice(0, n);
}

/**
 * The in-memory twin of durable storage: what the simulator's replicas "persist" to, and what
 * unit tests drive. The first slot holds a dummy entry carrying the snapshot's index and term,
 * so term(firstIndex-1) is always answerable.
 */
export class MemoryStorage implements Storage {
  hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot = { metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } }, data: new Uint8Array(0) };
  private ents: Entry[] = [{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }];

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  private get offset(): number {
    return (this.ents[0] as Entry).index;
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.ents.length - 1;
  }

  term(index: number): number {
    if (index < this.offset) throw new CompactedError(index, this.firstIndex());
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    return (this.ents[index - this.offset] as Entry).term;
  }

  entries(lo: number, hi: number, maxBytes?: number): Entry[] {
    if (lo <= this.offset) throw new CompactedError(lo, this.firstIndex());
    invariant(hi <= this.lastIndex() + 1, () => `entries hi ${hi} is out of bound lastIndex ${this.lastIndex()}`);
    return limitBytes(this.ents.slice(lo - this.offset, hi - this.offset), maxBytes);
  }

  snapshot(): Snapshot {
    if (this.snapshotUnavailable) throw new SnapshotTemporarilyUnavailableError();
    return this.snap;
  }

  /** Tests set this to exercise the leader's retry when a snapshot is not ready. */
  snapshotUnavailable = false;

  /** Replaces the whole log with a snapshot (a follower installing one it received). */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index < this.snap.metadata.index) return;
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: 'normal', data: new Uint8Array(0) }];
  }

  /** Records a snapshot of the state machine at `index` (which must already be applied). */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    invariant(index > this.snap.metadata.index, `snapshot ${index} is not newer than ${this.snap.metadata.index}`);
    invariant(index <= this.lastIndex(), `snapshot ${index} is past the last index ${this.lastIndex()}`);
    this.snap = { metadata: { index, term: this.term(index), confState }, data };
    return this.snap;
  }

  /** Drops the entries before `index`, keeping its term answerable. */
  compact(index: number): void {
    if (index <= this.offset) return;
    invariant(index <= this.lastIndex(), `compact ${index} is past the last index ${this.lastIndex()}`);
    this.ents = this.ents.slice(index - this.offset);
    const head = this.ents[0] as Entry;
    this.ents[0] = { term: head.term, index: head.index, type: 'normal', data: new Uint8Array(0) };
  }

  /** Persists entries; an entry at index i replaces everything from i on. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = (entries[entries.length - 1] as Entry).index;
    if (last < first) return;
    // Entries already compacted away are skipped: they are committed and covered by the snapshot.
    const kept = (entries[0] as Entry).index < first ? entries.slice(first - (entries[0] as Entry).index) : entries;
    const at = (kept[0] as Entry).index - this.offset;
    invariant(at <= this.ents.length, () => `missing log entry [last: ${this.lastIndex()}, append at: ${(kept[0] as Entry).index}]`);
    this.ents = this.ents.slice(0, at).concat(kept);
  }
}

/**
 * Writes the initial membership of a new cluster as a snapshot at index 1, term 1, with empty
 * data (the empty state machine). Every replica of a new cluster is bootstrapped the same way;
 * a replica that joins later starts empty and receives this or a newer snapshot from the leader.
 */
export function bootstrapMemoryStorage(storage: MemoryStorage, voters: readonly number[]): void {
  storage.applySnapshot({ metadata: { index: 1, term: 1, confState: { voters: [...voters], learners: [] } }, data: new Uint8Array(0) });
  storage.setHardState({ term: 1, vote: 0, commit: 1 });
}
