/**
 * The output of one container instance, kept in memory as the kubelet keeps it on disk: lines
 * with the time each began, the oldest dropped once the buffer holds more than `maxBytes` (the
 * kubelet rotates at 10 MiB; 1 MiB per instance keeps a thousand process pods affordable).
 * stdout and stderr share the buffer, each with its own partial line. Followers get every line
 * added after they subscribed, then `end` once the instance is over.
 */

export interface LogLine {
  /** When the first byte of the line arrived, ms since the epoch. */
  readonly atMs: number;
  /** Without its newline. */
  readonly text: string;
  /** False for a last line that ended without a newline. */
  readonly newline: boolean;
}

export interface LogFollower {
  line(line: LogLine): void;
  end(): void;
}

export const DEFAULT_LOG_BYTES_MAX = 1024 * 1024;

/** A line longer than this is cut into pieces, as CRI runtimes split long lines (16 KiB). */
const LINE_BYTES_MAX = 16 * 1024;

export class LogBuffer {
  private readonly kept: LogLine[] = [];
  private head = 0;
  private bytes = 0;
  private readonly partial = new Map<'stdout' | 'stderr', { atMs: number; text: string }>();
  private readonly followers = new Set<LogFollower>();
  private ended = false;

  constructor(
    private readonly now: () => number,
    private readonly maxBytes = DEFAULT_LOG_BYTES_MAX,
  ) {}

  /** Append output; complete lines become visible, a trailing partial line waits for its end. */
  write(chunk: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    if (this.ended || chunk === '') return;
    let pending = this.partial.get(stream);
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      const piece = nl < 0 ? chunk.slice(start) : chunk.slice(start, nl);
      if (piece !== '' || nl >= 0) {
        pending ??= { atMs: this.now(), text: '' };
        pending.text += piece;
      }
      if (nl < 0) break;
      this.push({ atMs: pending?.atMs ?? this.now(), text: pending?.text ?? '', newline: true });
      pending = undefined;
      start = nl + 1;
    }
    while (pending && pending.text.length > LINE_BYTES_MAX) {
      this.push({ atMs: pending.atMs, text: pending.text.slice(0, LINE_BYTES_MAX), newline: true });
      pending = { atMs: pending.atMs, text: pending.text.slice(LINE_BYTES_MAX) };
    }
    if (pending) this.partial.set(stream, pending);
    else this.partial.delete(stream);
  }

  /** The instance is over: flush partial lines and end every follower. Idempotent. */
  close(): void {
    if (this.ended) return;
    for (const p of this.partial.values()) this.push({ atMs: p.atMs, text: p.text, newline: false });
    this.partial.clear();
    this.ended = true;
    for (const f of this.followers) f.end();
    this.followers.clear();
  }

  get closed(): boolean {
    return this.ended;
  }

  /** The lines kept, oldest first. */
  lines(): LogLine[] {
    return this.kept.slice(this.head);
  }

  /** Lines added from now on; returns the unsubscribe. A closed buffer ends the follower at once. */
  follow(follower: LogFollower): () => void {
    if (this.ended) {
      follower.end();
      return () => {};
    }
    this.followers.add(follower);
    return () => {
      this.followers.delete(follower);
    };
  }

  private push(line: LogLine): void {
    this.kept.push(line);
    this.bytes += line.text.length + 1;
    while (this.bytes > this.maxBytes && this.head < this.kept.length - 1) {
      const dropped = this.kept[this.head];
      this.head += 1;
      this.bytes -= (dropped?.text.length ?? 0) + 1;
    }
    // Compact the array now and then instead of shifting on every drop.
    if (this.head > 1024 && this.head * 2 > this.kept.length) {
      this.kept.splice(0, this.head);
      this.head = 0;
    }
    for (const f of this.followers) f.line(line);
  }
}
