import type { Entry, HardState } from '../core/types.js';
import { EMPTY_HARD_STATE } from '../core/types.js';
import { WalCorruptError } from './errors.js';
import type { SnapshotMarker, WalRecord } from './wal-record.js';

/**
 * Rebuilds the log from WAL records in write order. The rules, which are also what the writer
 * promises:
 * - An entry at index i replaces every entry at ≥ i written before it, and must not leave a gap:
 *   i ≤ last index + 1. (An entry below the oldest one seen starts the log afresh there: the
 *   oldest kept segment may begin with an overwrite reaching into a released segment.)
 * - A snapshot marker with `replacesLog` (a snapshot installed from the leader) discards every
 *   entry before it; the next entry must be marker.index + 1. Without it (a local snapshot, or the
 *   copy at the head of each segment), entries stay: those ≤ marker.index are covered by the
 *   snapshot and are returned apart, in `coveredEntries`, for falling back to an older snapshot.
 * - No entry at or below the latest snapshot marker is written after it.
 * - The last hard state written wins.
 * Breaking a rule means the bytes are valid but the log is not: WalCorruptError with the place.
 */
export interface WalReplayResult {
  /** The last hard state written, or the empty one. */
  readonly hardState: HardState;
  /** The snapshot the log continues from: the last marker written, or {0, 0}. */
  readonly snapshotMarker: SnapshotMarker;
  /** Every distinct marker still in the WAL, in write order (to match snapshot files against). */
  readonly markers: readonly SnapshotMarker[];
  /** The live entries after `snapshotMarker.index`, contiguous from snapshotMarker.index + 1. */
  readonly entries: Entry[];
  /**
   * Live entries at or below `snapshotMarker.index` that the kept segments still hold,
   * contiguous, ascending (possibly empty): enough to continue from an older snapshot whose
   * entries follow it here, if the newest snapshot file turns out unreadable.
   */
  readonly coveredEntries: Entry[];
  /** The log's last index: that of the last entry, or the marker's if the log is empty past it. */
  readonly lastIndex: number;
}

export interface RecordPlace {
  readonly file: string;
  readonly offset: number;
}

export class WalReplay {
  private hardState: HardState = EMPTY_HARD_STATE;
  private marker: SnapshotMarker = { index: 0, term: 0 };
  private readonly markers: SnapshotMarker[] = [];
  /** The live log seen so far: contiguous entries, run[k].index = run[0].index + k. */
  private run: Entry[] = [];
  private runStart: RecordPlace | undefined;
  /** After a log-replacing marker: the index the next entry must have. */
  private expectedNext: number | undefined;

  apply(record: WalRecord, place: RecordPlace): void {
    switch (record.type) {
      case 'segmentHeader':
        return;
      case 'hardState':
        this.hardState = record.hardState;
        return;
      case 'snapshotMarker': {
        const m = record.marker;
        const last = this.markers[this.markers.length - 1];
        if (last === undefined || last.index !== m.index || last.term !== m.term) this.markers.push(m);
        this.marker = m;
        if (record.replacesLog) {
          this.run = [];
          this.runStart = undefined;
          this.expectedNext = m.index + 1;
        }
        return;
      }
      case 'entry':
        this.entry(record.entry, place);
        return;
    }
  }

  private entry(e: Entry, place: RecordPlace): void {
    if (this.marker.index > 0 && e.index <= this.marker.index) {
      throw new WalCorruptError(place.file, place.offset, `entry ${e.index} is written after the snapshot marker at ${this.marker.index} that covers it`);
    }
    const first = this.run[0];
    if (first === undefined) {
      if (this.expectedNext !== undefined && e.index !== this.expectedNext) {
        throw new WalCorruptError(place.file, place.offset, `entry ${e.index} follows a snapshot installed at ${this.expectedNext - 1}; expected entry ${this.expectedNext}`);
      }
      this.startRun(e, place);
      return;
    }
    const last = first.index + this.run.length - 1;
    if (e.index > last + 1) {
      throw new WalCorruptError(place.file, place.offset, `entry ${e.index} leaves a gap after entry ${last}`);
    }
    if (e.index < first.index) {
      this.startRun(e, place);
      return;
    }
    this.run.length = e.index - first.index;
    this.run.push(e);
  }

  private startRun(e: Entry, place: RecordPlace): void {
    this.run = [e];
    this.runStart = place;
    this.expectedNext = undefined;
  }

  finish(): WalReplayResult {
    const m = this.marker;
    const entries = this.run.filter((e) => e.index > m.index);
    const coveredEntries = this.run.filter((e) => e.index <= m.index);
    const head = entries[0];
    if (head !== undefined && head.index !== m.index + 1) {
      const place = this.runStart ?? { file: '(unknown)', offset: 0 };
      throw new WalCorruptError(place.file, place.offset, `the log continues from the snapshot at ${m.index} but its entries start at ${head.index}: entries in between are missing`);
    }
    const tail = entries[entries.length - 1];
    return {
      hardState: this.hardState,
      snapshotMarker: m,
      markers: [...this.markers],
      entries,
      coveredEntries,
      lastIndex: tail === undefined ? m.index : tail.index,
    };
  }
}
