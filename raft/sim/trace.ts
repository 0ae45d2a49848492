/**
 * The last events of a run, kept in a ring so a violation can be explained without keeping the
 * whole history in memory.
 */
export class Trace {
  private readonly lines: string[] = [];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {}

  add(timeMs: number, line: string): void {
    const text = `${timeMs.toFixed(1).padStart(9)}ms ${line}`;
    if (this.lines.length < this.capacity) this.lines.push(text);
    else this.lines[this.next] = text;
    this.next = (this.next + 1) % this.capacity;
    this.count++;
  }

  /** The kept lines, oldest first. */
  tail(): string[] {
    if (this.lines.length < this.capacity) return [...this.lines];
    return [...this.lines.slice(this.next), ...this.lines.slice(0, this.next)];
  }

  get total(): number {
    return this.count;
  }
}
