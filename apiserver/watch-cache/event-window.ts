import type { WindowEvent } from './window-event.js';

/**
 * The recent changes of one resource, in revision order, in a ring of fixed capacity.
 *
 * Invariant: the window holds every change with a revision after `startRevision` (and up to
 * the cache's revision). It starts as the list revision; evicting the oldest change moves it
 * to that change's revision, which is exact even when a revision has several changes: a
 * watcher from that revision needs only the changes after it.
 */
export class EventWindow {
  private readonly ring: (WindowEvent | undefined)[];
  private head = 0;
  private count = 0;
  private start: number;

  constructor(
    readonly capacity: number,
    startRevision: number,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`event window capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<WindowEvent | undefined>(capacity);
    this.start = startRevision;
  }

  /** Changes after this revision are all held; a watch from an older one has expired. */
  get startRevision(): number {
    return this.start;
  }

  get size(): number {
    return this.count;
  }

  /** Forgets every change; the window now starts at `startRevision` (a fresh list). */
  reset(startRevision: number): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.start = startRevision;
  }

  push(e: WindowEvent): void {
    const newest = this.count > 0 ? this.at(this.count - 1).revision : this.start;
    if (e.revision < newest || e.revision <= this.start) throw new Error(`event window invariant: revision ${e.revision} after ${newest}`);
    if (this.count === this.capacity) {
      this.start = this.at(0).revision;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
    this.ring[(this.head + this.count) % this.capacity] = e;
    this.count++;
  }

  /** The changes after `revision`, oldest first; undefined if some of them are gone. */
  since(revision: number): WindowEvent[] | undefined {
    if (revision < this.start) return undefined;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    const out: WindowEvent[] = [];
    for (let i = lo; i < this.count; i++) out.push(this.at(i));
    return out;
  }

  private at(i: number): WindowEvent {
    const e = this.ring[(this.head + i) % this.capacity];
    if (e === undefined) throw new Error(`event window invariant: no event at ${i} of ${this.count}`);
    return e;
  }
}
