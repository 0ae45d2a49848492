import { invariant } from './errors.js';

/**
 * The appends in flight to one follower, as a sliding window: each is remembered by the last
 * index it carried and its size. The window is full at `capacity` messages or `bytesMax` bytes
 * (0 = no byte cap), which bounds what a slow or dead follower can make the leader buffer and
 * send (the bandwidth-delay product).
 */
export class Inflights {
  private readonly indexes: number[] = [];
  private readonly sizes: number[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    readonly capacity: number,
    readonly bytesMax: number,
  ) {}

  get count(): number {
    return this.indexes.length - this.head;
  }

  add(lastIndex: number, bytes: number): void {
    invariant(!this.full(), 'cannot add into a full inflights window');
    this.indexes.push(lastIndex);
    this.sizes.push(bytes);
    this.bytes += bytes;
  }

  /** Frees every in-flight append whose last index is <= `index` (acknowledged). */
  freeLE(index: number): void {
    while (this.head < this.indexes.length && (this.indexes[this.head] as number) <= index) {
      this.bytes -= this.sizes[this.head] as number;
      this.head++;
    }
    // Compact now and then so the arrays do not grow with the history of the window.
    if (this.head > 64 && this.head * 2 > this.indexes.length) {
      this.indexes.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
  }

  full(): boolean {
    return this.count >= this.capacity || (this.bytesMax > 0 && this.bytes >= this.bytesMax);
  }

  reset(): void {
    this.indexes.length = 0;
    this.sizes.length = 0;
    this.head = 0;
    this.bytes = 0;
  }
}
