import { invariant } from './errors.js';
import type { Entry, Snapshot } from './types.js';

/**
 * The tail of the log that the driver has not yet persisted: entries from `offset` on, and
 * possibly an incoming snapshot that replaces everything before them. Entries leave this
 * structure only when the driver reports them durable (stableTo), and only if they were not
 * replaced in the meantime, which the (index, term) check detects.
 */
export class UnstableLog {
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  /** The first index, if a pending snapshot fixes it. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      if (this.snapshot && this.snapshot.metadata.index === index) return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || index > last) return undefined;
    return (this.entries[index - this.offset] as Entry).term;
  }

  /** Entries up to `index` (with term `term`) are durable now. */
  stableTo(index: number, term: number): void {
    const t = this.maybeTerm(index);
    // A snapshot or newer entries may have replaced what was written: then nothing is stable yet.
    if (t === undefined || t !== term || index < this.offset) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.snapshot && this.snapshot.metadata.index === index) this.snapshot = undefined;
  }

  restore(snap: Snapshot): void {
    this.offset = snap.metadata.index + 1;
    this.entries = [];
    this.snapshot = snap;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const first = ents[0];
    if (!first) return;
    const after = first.index;
    if (after === this.offset + this.entries.length) {
      this.entries.push(...ents);
    } else if (after <= this.offset) {
      // Replaces every unstable entry; the driver learns of it from the next Ready.
      this.offset = after;
      this.entries = [...ents];
    } else {
      this.entries = this.slice(this.offset, after).concat(ents);
    }
  }

  slice(lo: number, hi: number): Entry[] {
    invariant(lo <= hi && lo >= this.offset && hi <= this.offset + this.entries.length, () => `unstable slice [${lo}, ${hi}) out of [${this.offset}, ${this.offset + this.entries.length})`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
