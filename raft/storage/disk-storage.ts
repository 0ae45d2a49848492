import { join } from 'node:path';
import { CompactedError, invariant, SnapshotTemporarilyUnavailableError, UnavailableError } from '../core/errors.js';
import type { Storage } from '../core/storage.js';
import { limitBytes } from '../core/storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../core/types.js';
import { SnapshotOutOfDateError, StorageRecoveryError } from './errors.js';
import type { FsPort } from './fs-port.js';
import type { SkippedSnapshot, SnapshotRef, SnapshotToSave } from './snapshot-store.js';
import { SnapshotStore } from './snapshot-store.js';
import type { WalOpened, WalRepair } from './wal.js';
import { Wal } from './wal.js';

/**
 * Durable storage for one Raft replica: a WAL (`<dir>/wal`) and snapshot files (`<dir>/snap`),
 * read by the core through the synchronous Storage interface from an in-memory cache of the
 * entries since the last compaction, plus hard state and the newest snapshot.
 *
 * The driver's contract (etcd-io/raft Ready order): for each Ready, `save(hardState, entries,
 * snapshot)`, then `sync()`, and only then send the Ready's messages and advance. `save` only
 * buffers WAL records (writing the snapshot file, if any, durably first), so reads reflect saved
 * but not yet durable state between the two calls, as in etcd; the core does not rely on
 * entries it has not yet seen advanced. save and sync are called one at a time; createSnapshot
 * (from the apply loop) may run concurrently with them.
 *
 * Read contract (as raft/core/storage.ts): term(i) answers for firstIndex()-1 … lastIndex(),
 * throws CompactedError below and UnavailableError above; entries(lo, hi) returns [lo, hi),
 * at least one entry when the range is not empty whatever maxBytes says, CompactedError when
 * lo < firstIndex and UnavailableError when hi > lastIndex + 1. Right after open, firstIndex is
 * the snapshot's index + 1; `compact` may raise it, never past the snapshot.
 *
 * Retention: the `snapshotsKept` newest snapshots are kept, and the WAL back to the oldest of
 * them, so that if the newest snapshot file is found damaged on open an older one can be used
 * with the entries after it.
 *
 * Memory: the newest snapshot's data (the whole state machine, possibly hundreds of MB) need
 * not stay in memory once it is on disk. After `releaseSnapshotData()`, or a `createSnapshot`
 * given the data in slices, `snapshot()` throws SnapshotTemporarilyUnavailableError (the core
 * then retries later, as etcd-io/raft does) while the file is read back, and returns it once
 * it is in memory again.
 */
export interface DiskStorageOptions {
  readonly fs: FsPort;
  readonly dir: string;
  /** See WalOptions.segmentBytesMax. */
  readonly segmentBytesMax?: number;
  /** Snapshots kept on disk (≥ 1). Default 2. */
  readonly snapshotsKept?: number;
  /** Awaited between slices of a large snapshot's checksum, to let a server's event loop run (SnapshotStore.open). */
  readonly pause?: () => Promise<void>;
}

/** What open had to do to recover; the server logs it. */
export interface RecoveryReport {
  /** The WAL's torn tail, truncated. */
  readonly walRepaired: WalRepair | undefined;
  /** Snapshot files passed over (damaged, or not usable with what the WAL holds). */
  readonly skippedSnapshots: readonly SkippedSnapshot[];
  /** Snapshot files removed because the WAL never recorded them (a crash right after writing one). */
  readonly removedSnapshots: readonly string[];
  /** The snapshot in use is older than the one the WAL continues from, which was unusable. */
  readonly fellBack: boolean;
}

const EMPTY_SNAPSHOT: Snapshot = { metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } }, data: new Uint8Array(0) };

export class DiskStorage implements Storage {
  private hardState: HardState;
  private snap: Snapshot;
  /** The newest snapshot's data is not in memory (`snap.data` is empty): read it from its file when asked. */
  private snapEvicted = false;
  private snapLoading: Promise<void> | undefined;
  /** Why reading the snapshot back last failed, if it did (it is retried on the next ask). */
  lastSnapshotLoadError: unknown;
  /** ents[0] is a dummy carrying the index and term of the last compacted entry (at least the snapshot's). */
  private ents: Entry[];
  private maintenanceDue = false;
  private maintenance: Promise<void> = Promise.resolve();

  private constructor(
    private readonly wal: Wal,
    private readonly snaps: SnapshotStore,
    private readonly snapshotsKept: number,
    hardState: HardState,
    snapshot: Snapshot,
    entries: Entry[],
    readonly recovery: RecoveryReport,
  ) {
    this.hardState = hardState;
    this.snap = snapshot;
    this.ents = [dummy(snapshot.metadata.index, snapshot.metadata.term), ...entries];
  }

  /**
   * Opens the storage in `dir` (creating it empty), replaying the WAL and loading the newest
   * snapshot the WAL can continue from. Throws WalCorruptError for a damaged WAL, and
   * StorageRecoveryError if the WAL continues from a snapshot and no usable snapshot file exists.
   */
  static async open(options: DiskStorageOptions): Promise<DiskStorage> {
    const snapshotsKept = options.snapshotsKept ?? 2;
    invariant(Number.isSafeInteger(snapshotsKept) && snapshotsKept >= 1, 'snapshotsKept must be at least 1');
    await options.fs.mkdir(options.dir);
    const snaps = await SnapshotStore.open(options.fs, join(options.dir, 'snap'), options.pause);
    const opened = await Wal.open(
      options.fs,
      join(options.dir, 'wal'),
      options.segmentBytesMax === undefined ? {} : { segmentBytesMax: options.segmentBytesMax },
    );
    try {
      const latest = opened.snapshotMarker;
      const removedSnapshots: string[] = [];
      for (const ref of await snaps.list()) {
        if (ref.index > latest.index) {
          await snaps.remove(ref);
          removedSnapshots.push(join(snaps.dir, ref.name));
        }
      }
      const { snapshot, skipped } = await snaps.loadNewest((ref) => unusableReason(ref, opened));
      if (snapshot === undefined && latest.index > 0) {
        const detail = skipped.map((s) => `${s.file}: ${s.reason}`).join('; ') || 'no snapshot files';
        throw new StorageRecoveryError(
          `the WAL continues from the snapshot at index ${latest.index}, term ${latest.term}, but no usable snapshot was found (${detail})`,
        );
      }
      const base = snapshot ?? EMPTY_SNAPSHOT;
      const fellBack = base.metadata.index < latest.index;
      const entries = fellBack ? [...opened.coveredEntries.filter((e) => e.index > base.metadata.index), ...opened.entries] : opened.entries;
      const recovery: RecoveryReport = { walRepaired: opened.repaired, skippedSnapshots: skipped, removedSnapshots, fellBack };
      return new DiskStorage(opened.wal, snaps, snapshotsKept, opened.hardState, base, entries, recovery);
    } catch (err) {
      await opened.wal.close();
      throw err;
    }
  }

  // ---- Storage (reads) ----

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
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
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    invariant(lo <= hi, () => `entries range [${lo}, ${hi}) is inverted`);
    return limitBytes(this.ents.slice(lo - this.offset, hi - this.offset), maxBytes);
  }

  snapshot(): Snapshot {
    if (!this.snapEvicted) return this.snap;
    this.snapLoading ??= this.loadSnapshotData();
    throw new SnapshotTemporarilyUnavailableError();
  }

  /** Forgets the newest snapshot's data (it stays on disk); `snapshot()` reads it back when asked. */
  releaseSnapshotData(): void {
    if (this.snap.metadata.index === 0 || this.snapEvicted) return;
    this.snap = { metadata: this.snap.metadata, data: new Uint8Array(0) };
    this.snapEvicted = true;
  }

  private async loadSnapshotData(): Promise<void> {
    const { index, term } = this.snap.metadata;
    try {
      const loaded = await this.snaps.load({ name: SnapshotStore.fileName(term, index), index, term });
      // Only if it is still the newest and still wanted.
      if (this.snapEvicted && this.snap.metadata.index === index && this.snap.metadata.term === term) {
        this.snap = loaded;
        this.snapEvicted = false;
      }
    } catch (err) {
      this.lastSnapshotLoadError = err;
    } finally {
      this.snapLoading = undefined;
    }
  }

  // ---- writes (the driver) ----

  /**
   * Persists one Ready: the snapshot first (if any and newer than the one held: its file is
   * written durably, the log is replaced), then the entries (an entry at i replaces everything
   * from i on; entries at or below the snapshot index are skipped), then the hard state.
   * Returns without syncing the WAL: call `sync()` before acting on it.
   */
  async save(hardState: HardState | undefined, entries: readonly Entry[], snapshot?: Snapshot): Promise<void> {
    if (snapshot !== undefined) await this.applySnapshot(snapshot);
    const kept = this.entriesToAppend(entries);
    this.wal.append(kept, hardState);
    const start = kept[0];
    if (start !== undefined) this.ents = this.ents.slice(0, start.index - this.offset).concat(kept);
    if (hardState !== undefined) this.hardState = hardState;
  }

  /** Makes everything saved so far durable (group commit), then drops what newer snapshots made obsolete. */
  async sync(): Promise<void> {
    await this.wal.sync();
    if (this.maintenanceDue) await this.maintain();
  }

  /**
   * Replaces the whole log with a snapshot received from the leader. Its file is durable when
   * this resolves; the WAL marker is not until `sync()`. A snapshot not newer than the one held
   * is ignored.
   */
  async applySnapshot(snapshot: Snapshot): Promise<void> {
    const { index, term } = snapshot.metadata;
    if (index <= this.snap.metadata.index) return;
    await this.snaps.save(snapshot);
    if (index <= this.snap.metadata.index) return; // a newer one landed while the file was written
    this.wal.markSnapshot({ index, term }, true);
    this.snap = snapshot;
    this.snapEvicted = false;
    this.ents = [dummy(index, term)];
    this.maintenanceDue = true;
  }

  /**
   * Records a snapshot of the state machine at `index` (already applied, so committed): writes
   * the file, the WAL marker, syncs, then prunes old snapshots and WAL segments. Throws
   * SnapshotOutOfDateError if the storage already has a snapshot at or past `index`. Data given
   * as slices (concatenated, they are the data) is written as it is and not kept in memory.
   */
  async createSnapshot(index: number, confState: ConfState, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
    if (index <= this.snap.metadata.index) throw new SnapshotOutOfDateError(index, this.snap.metadata.index);
    invariant(index <= this.lastIndex(), () => `snapshot ${index} is past the last index ${this.lastIndex()}`);
    const metadata = { index, term: this.term(index), confState: { voters: [...confState.voters], learners: [...confState.learners] } };
    const toSave: SnapshotToSave = { metadata, data };
    await this.snaps.save(toSave);
    if (index <= this.snap.metadata.index) throw new SnapshotOutOfDateError(index, this.snap.metadata.index);
    this.wal.markSnapshot({ index, term: metadata.term }, false);
    const inMemory = data instanceof Uint8Array;
    this.snap = { metadata, data: inMemory ? data : new Uint8Array(0) };
    this.snapEvicted = !inMemory;
    this.maintenanceDue = true;
    await this.sync();
  }

  /**
   * Drops cached entries up to and including `index`, which stays answerable by term(). Only
   * entries the snapshot covers may go (index ≤ snapshot index): anything newer is still needed
   * by followers that the snapshot would not bring up to date. Memory only; the WAL keeps its
   * segments until a newer snapshot makes them obsolete.
   */
  compact(index: number): void {
    if (index <= this.offset) return;
    invariant(index <= this.snap.metadata.index, () => `compact ${index} is past the snapshot at ${this.snap.metadata.index}`);
    const term = this.term(index);
    this.ents = [dummy(index, term), ...this.ents.slice(index - this.offset + 1)];
  }

  /** Waits for writes in flight and closes the WAL. */
  async close(): Promise<void> {
    await this.maintenance;
    await this.wal.close();
  }

  private get offset(): number {
    return (this.ents[0] as Entry).index;
  }

  /**
   * The entries to write, after checking they extend or overwrite the log in shape. Entries at
   * or below the snapshot index are dropped: they are committed and captured by the snapshot, so
   * they can only be the same entries again (a leader resending what this replica already has).
   */
  private entriesToAppend(entries: readonly Entry[]): readonly Entry[] {
    const head = entries[0];
    if (head === undefined) return entries;
    const first = this.snap.metadata.index + 1;
    const kept = head.index < first ? entries.slice(first - head.index) : entries;
    const start = kept[0];
    if (start === undefined) return kept;
    invariant(start.index <= this.lastIndex() + 1, () => `missing log entries: appending at ${start.index} after the last index ${this.lastIndex()}`);
    let prevTerm = this.term(start.index - 1);
    kept.forEach((e, k) => {
      invariant(e.index === start.index + k, () => `entries to save are not contiguous: ${e.index} after ${start.index + k - 1}`);
      invariant(e.term >= prevTerm, () => `entry ${e.index} has term ${e.term}, lower than the term ${prevTerm} before it`);
      prevTerm = e.term;
    });
    return kept;
  }

  /** Prunes snapshots beyond the newest `snapshotsKept` and WAL segments older than the oldest kept. Serialized. */
  private maintain(): Promise<void> {
    const run = this.maintenance.then(async () => {
      if (!this.maintenanceDue) return;
      this.maintenanceDue = false;
      const durable = this.wal.durableSnapshotMarker;
      if (durable.index === 0) return;
      const { kept } = await this.snaps.prune(this.snapshotsKept, durable.index);
      const oldest = kept[kept.length - 1];
      if (oldest !== undefined) await this.wal.releaseTo(oldest.index);
    });
    this.maintenance = run.catch(() => undefined);
    return run;
  }
}

/** Why a snapshot file cannot be the base the WAL continues from, or undefined if it can. */
function unusableReason(ref: SnapshotRef, opened: WalOpened): string | undefined {
  const latest = opened.snapshotMarker;
  if (!opened.markers.some((m) => m.index === ref.index && m.term === ref.term)) return 'not recorded in the WAL';
  if (ref.index === latest.index) return undefined;
  const covered = opened.coveredEntries;
  const first = covered[0];
  const last = covered[covered.length - 1];
  const atBase = first === undefined ? undefined : covered[ref.index - first.index];
  const continues =
    first !== undefined &&
    last !== undefined &&
    last.index === latest.index &&
    first.index <= ref.index + 1 &&
    (ref.index < first.index || atBase?.term === ref.term);
  return continues ? undefined : `the WAL no longer holds the entries from ${ref.index + 1} to the snapshot at ${latest.index}`;
}

function dummy(index: number, term: number): Entry {
  return { term, index, type: 'normal', data: new Uint8Array(0) };
}
