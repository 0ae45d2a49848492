import { CompactedError, UnavailableError, invariant } from './errors.js';
import { UnstableLog } from './log-unstable.js';
import { type Storage, limitBytes } from './storage.js';
import type { Entry, Snapshot } from './types.js';

/**
 * The replica's view of the whole log: the durable part (Storage) followed by the unstable part
 * (not yet persisted), plus the commit and apply cursors.
 *
 * Invariants: applied <= applying <= committed <= lastIndex; committed never moves backwards;
 * an entry at or below `committed` is never overwritten.
 */
export class RaftLog {
  readonly storage: Storage;
  readonly unstable: UnstableLog;
  committed: number;
  /** Handed to the driver for applying, not yet confirmed applied. */
  applying: number;
  applied: number;
  /** Cap on the bytes of committed entries handed out in one Ready. */
  readonly maxApplyingBytes: number;

  constructor(storage: Storage, maxApplyingBytes: number) {
    this.storage = storage;
    this.maxApplyingBytes = maxApplyingBytes;
    const first = storage.firstIndex();
    this.unstable = new UnstableLog(storage.lastIndex() + 1);
    this.committed = first - 1;
    this.applying = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /** The term of the entry at `index`; throws CompactedError/UnavailableError out of range. */
  term(index: number): number {
    const t = this.unstable.maybeTerm(index);
    if (t !== undefined) return t;
    const dummy = this.firstIndex() - 1;
    if (index < dummy) throw new CompactedError(index, this.firstIndex());
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    return this.storage.term(index);
  }

  /** The term at `index`, or 0 where the log cannot say (compacted or beyond the end). */
  termOrZero(index: number): number {
    try {
      return this.term(index);
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return 0;
      throw e;
    }
  }

  matchTerm(index: number, term: number): boolean {
    return this.termOrZero(index) === term && (term !== 0 || index === 0 || index === this.firstIndex() - 1);
  }

  /** The up-to-date rule of §5.4.1: a later last term wins, then a longer log. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Appends what a leader sent after (index, logTerm) if our log matches there. Returns the index
   * of the last new entry, or undefined if the logs do not match at (index, logTerm).
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) {
      invariant(conflict > this.committed, () => `entry ${conflict} conflicts with committed entry [committed(${this.committed})]`);
      this.append(ents.slice(conflict - index - 1));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    const first = ents[0];
    if (!first) return this.lastIndex();
    invariant(first.index - 1 >= this.committed, () => `after(${first.index - 1}) is out of range [committed(${this.committed})]`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** The index of the first entry whose term differs from ours (or that we lack); 0 if none. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * For a rejected append at (index, term): the largest index <= `index` whose term is <= `term`,
   * and that term. The leader can skip a whole term of conflicting entries in one round trip.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = Math.min(index, this.lastIndex());
    for (;;) {
      let t: number;
      try {
        t = this.term(i);
      } catch {
        return { index: i, term: 0 };
      }
      if (t <= term) return { index: i, term: t };
      i--;
    }
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    invariant(index <= this.lastIndex(), () => `tocommit(${index}) is out of range [lastIndex(${this.lastIndex()})]`);
    this.committed = index;
  }

  /** Commits up to `index` only if that entry is of `term` (the leader's: Figure 8 of the paper). */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.termOrZero(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  hasNextCommittedEntries(): boolean {
    return this.committed > this.applying;
  }

  /** Committed entries not yet handed out for applying, up to maxApplyingBytes. */
  nextCommittedEntries(): Entry[] {
    const lo = Math.max(this.applying + 1, this.firstIndex());
    const hi = this.committed + 1;
    if (lo >= hi) return [];
    return this.slice(lo, hi, this.maxApplyingBytes);
  }

  acceptApplying(index: number): void {
    this.applying = Math.max(this.applying, index);
  }

  appliedTo(index: number): void {
    if (index === 0) return;
    invariant(index <= this.committed, () => `applied(${index}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    this.applied = Math.max(this.applied, index);
    this.applying = Math.max(this.applying, index);
  }

  /** Entries [lo, hi), from storage and then the unstable tail, up to maxBytes (at least one). */
  slice(lo: number, hi: number, maxBytes?: number): Entry[] {
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) throw new CompactedError(lo, this.firstIndex());
    invariant(hi <= this.lastIndex() + 1, () => `slice[${lo},${hi}) out of bound [${this.firstIndex()},${this.lastIndex()}]`);
    let out: Entry[] = [];
    const offset = this.unstable.offset;
    if (lo < offset) {
      out = this.storage.entries(lo, Math.min(hi, offset), maxBytes);
      // Storage stopped early (size limit): the unstable part must not be glued on after a gap.
      if (out.length < Math.min(hi, offset) - lo) return out;
    }
    if (hi > offset) {
      const tail = this.unstable.slice(Math.max(lo, offset), hi);
      out = out.length > 0 ? out.concat(tail) : tail;
    }
    return limitBytes(out, maxBytes);
  }

  /** Entries from `index` to the end, up to maxBytes. */
  entriesFrom(index: number, maxBytes?: number): Entry[] {
    if (index > this.lastIndex()) return [];
    return this.slice(index, this.lastIndex() + 1, maxBytes);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  restore(snap: Snapshot): void {
    this.committed = snap.metadata.index;
    this.unstable.restore(snap);
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }

  /** The last index known to be on this replica's disk. */
  lastStableIndex(): number {
    if (this.unstable.snapshot) return this.storage.lastIndex();
    return this.unstable.offset - 1;
  }
}

