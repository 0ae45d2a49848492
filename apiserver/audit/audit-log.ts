import { promises as fsp } from 'node:fs';
import type { Logger } from 'pino';

/**
 * The audit log file (kube's `--audit-log-path`, `--audit-log-maxsize`, `--audit-log-maxbackup`):
 * one JSON line per event, appended by one background writer so that a request never waits on
 * the disk, and rotated by size: before a write would take the file past `maxSizeBytes`, it is
 * renamed `path.1` (the older `path.1` … become `path.2` …, the oldest beyond `maxBackups` is
 * removed) and a new file started. Failures are logged and the lines dropped, never thrown: the
 * audit log must not take the apiserver down. At most `pendingLinesMax` lines wait; more are
 * dropped and counted (`dropped`).
 */

export interface AuditLogOptions {
  readonly path: string;
  /** Rotate before the file would pass this size; 0: never rotate. */
  readonly maxSizeBytes: number;
  /** How many rotated files to keep (`path.1` … `path.N`); 0: keep none. */
  readonly maxBackups: number;
  readonly logger?: Logger;
  readonly pendingLinesMax?: number;
}

/** Where events go; the in-memory twin below collects them for tests. */
export interface AuditSink {
  write(event: object): void;
  /** Resolves once every event written so far is on disk (or dropped). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const PENDING_LINES_MAX_DEFAULT = 10_000;

export class AuditLogFile implements AuditSink {
  private readonly options: AuditLogOptions;
  private readonly pendingLinesMax: number;
  private pending: string[] = [];
  private writing: Promise<void> | undefined;
  private handle: fsp.FileHandle | undefined;
  private sizeBytes = 0;
  private closed = false;
  /** Lines dropped: queue full, or the disk refused them. */
  dropped = 0;

  constructor(options: AuditLogOptions) {
    this.options = options;
    this.pendingLinesMax = options.pendingLinesMax ?? PENDING_LINES_MAX_DEFAULT;
  }

  write(event: object): void {
    if (this.closed) return;
    if (this.pending.length >= this.pendingLinesMax) {
      this.dropped++;
      return;
    }
    this.pending.push(`${JSON.stringify(event)}\n`);
    this.writing ??= this.drain().finally(() => {
      this.writing = undefined;
    });
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.handle?.close().catch(() => {});
    this.handle = undefined;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.append(batch);
      } catch (err) {
        this.dropped += batch.length;
        this.options.logger?.error({ err: String(err), path: this.options.path }, 'audit log write failed');
        await this.handle?.close().catch(() => {});
        this.handle = undefined;
      }
    }
  }

  /** Appends lines, rotating between them whenever the next would pass the size limit. */
  private async append(lines: readonly string[]): Promise<void> {
    let chunk = '';
    let chunkBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      const handle = await this.open();
      if (this.options.maxSizeBytes > 0 && this.sizeBytes + chunkBytes + bytes > this.options.maxSizeBytes && this.sizeBytes + chunkBytes > 0) {
        if (chunk !== '') await handle.appendFile(chunk);
        chunk = '';
        chunkBytes = 0;
        await this.rotate();
      }
      chunk += line;
      chunkBytes += bytes;
    }
    if (chunk !== '') {
      await (await this.open()).appendFile(chunk);
      this.sizeBytes += chunkBytes;
    }
  }

  private async open(): Promise<fsp.FileHandle> {
    if (this.handle) return this.handle;
    this.handle = await fsp.open(this.options.path, 'a', 0o600);
    this.sizeBytes = (await this.handle.stat()).size;
    return this.handle;
  }

  private async rotate(): Promise<void> {
    const { path, maxBackups } = this.options;
    await this.handle?.close();
    this.handle = undefined;
    // path.N-1 → path.N … path → path.1; the rename over path.N drops the oldest.
    for (let n = maxBackups; n >= 1; n--) {
      const from = n === 1 ? path : `${path}.${n - 1}`;
      await fsp.rename(from, `${path}.${n}`).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    // No backups kept: the full file is simply started over.
    if (maxBackups === 0) await fsp.rm(path, { force: true });
    this.sizeBytes = 0;
    await this.open();
  }
}

/** Collects events in memory (tests, and `--audit-log-path` unset but a sink wanted). */
export class MemoryAuditSink implements AuditSink {
  readonly events: object[] = [];
  write(event: object): void {
    this.events.push(structuredClone(event));
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
