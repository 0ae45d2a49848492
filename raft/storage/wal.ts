import { join } from 'node:path';
import { invariant } from '../core/errors.js';
import type { Entry, HardState } from '../core/types.js';
import { WalCorruptError, WalFailedError } from './errors.js';
import type { FileHandle, FsPort } from './fs-port.js';
import { unlinkIfExists } from './fs-port.js';
import { GroupCommit } from './group-commit.js';
import type { SnapshotMarker, WalRecord } from './wal-record.js';
import { decodeRecords, encodeRecord } from './wal-record.js';
import type { WalReplayResult } from './wal-replay.js';
import { WalReplay } from './wal-replay.js';
import type { SegmentName } from './wal-segment.js';
import { parseSegmentName, segmentName, TMP_SUFFIX } from './wal-segment.js';

/**
 * The write-ahead log of one replica: append-only segment files in one directory (names and
 * rotation in wal-segment.ts, record format in wal-record.ts, replay rules in wal-replay.ts).
 *
 * Durability contract: `append` and `markSnapshot` only buffer; a record is durable once a
 * `sync()` called after it resolves. `sync()` is a group commit: concurrent callers share
 * fdatasyncs (see group-commit.ts). Records become durable in the order they were appended, and
 * a crash loses at most a suffix of the unsynced ones (possibly leaving a torn record, which
 * `open` truncates and reports in `repaired`).
 *
 * Failure contract: after any write or fsync error the WAL refuses all further use
 * (WalFailedError): after a failed fsync, what reached the disk is unknown, so the only safe
 * continuation is to reopen and replay.
 *
 * One process owns the directory; nothing here locks it.
 */
export interface WalOptions {
  /** A segment is closed and a new one started once it would grow past this. Default 64 MiB. */
  readonly segmentBytesMax?: number;
}

export const DEFAULT_SEGMENT_BYTES_MAX = 64 * 1024 * 1024;

/** What `open` had to cut off the end of the last segment: the server logs "WAL tail truncated at …". */
export interface WalRepair {
  readonly file: string;
  readonly offset: number;
  readonly reason: string;
}

export interface WalOpened extends WalReplayResult {
  readonly wal: Wal;
  /** Set when a torn tail was truncated (or a torn, headless last segment removed). */
  readonly repaired: WalRepair | undefined;
}

/** The log's shape after a prefix of the records: what a new segment's head must restate. */
interface StreamState {
  readonly lastIndex: number;
  readonly marker: SnapshotMarker;
  readonly hardState: HardState;
}

interface Pending {
  readonly record: WalRecord;
  readonly bytes: Uint8Array;
}

interface OpenSegment {
  readonly segment: SegmentName;
  readonly handle: FileHandle;
  /** Bytes in the file, including those written by the flush in progress. */
  size: number;
  /** Records in the file; a fresh segment holds 3 (header, snapshot marker, hard state). */
  records: number;
}

const HEAD_RECORDS = 3;

export class Wal {
  private pending: Pending[] = [];
  /** State after every record appended (buffered or not): what `append` validates against. */
  private appended: StreamState;
  /** State after every record handed to the file system. */
  private written: StreamState;
  /** State after every record known durable. */
  private durable: StreamState;
  private failure: WalFailedError | undefined;
  private closed = false;
  private readonly commit = new GroupCommit(() => this.flush());

  private constructor(
    private readonly fs: FsPort,
    private readonly dir: string,
    private readonly segmentBytesMax: number,
    private readonly segments: SegmentName[],
    private current: OpenSegment,
    state: StreamState,
  ) {
    this.appended = state;
    this.written = state;
    this.durable = state;
  }

  /**
   * Opens (creating if needed) the WAL in `dir` and replays it. A torn tail of the last segment
   * is truncated and reported in `repaired`; any other damage throws WalCorruptError naming the
   * file and offset. Leftover `.tmp` files from an interrupted rotation are removed.
   */
  static async open(fs: FsPort, dir: string, options: WalOptions = {}): Promise<WalOpened> {
    const segmentBytesMax = options.segmentBytesMax ?? DEFAULT_SEGMENT_BYTES_MAX;
    invariant(segmentBytesMax > 0, 'segmentBytesMax must be positive');
    await fs.mkdir(dir);
    const names = await fs.readdir(dir);
    for (const name of names) if (name.endsWith(TMP_SUFFIX)) await unlinkIfExists(fs, join(dir, name));
    const segments = names.flatMap((name) => parseSegmentName(name) ?? []).sort((a, b) => a.seq - b.seq);
    for (let i = 1; i < segments.length; i++) {
      const prev = segments[i - 1] as SegmentName;
      const seg = segments[i] as SegmentName;
      if (seg.seq !== prev.seq + 1) {
        throw new WalCorruptError(join(dir, seg.name), 0, `segment ${prev.seq + 1} is missing between ${prev.name} and ${seg.name}`);
      }
    }

    const replay = new WalReplay();
    let repaired: WalRepair | undefined;
    let lastSize = 0;
    let lastRecords = 0;
    let nextSeq = 1;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i] as SegmentName;
      const file = join(dir, seg.name);
      const isLast = i === segments.length - 1;
      const buf = await fs.readFile(file);
      const decoded = decodeRecords(buf);
      const { tail } = decoded;
      if (tail.kind === 'corrupt') throw new WalCorruptError(file, tail.offset, tail.reason);
      if (tail.kind === 'torn' && !isLast) {
        throw new WalCorruptError(file, tail.offset, `${tail.reason}, in a segment that is not the last one (segments are synced before the next begins)`);
      }
      const [header, ...body] = decoded.records;
      if (header === undefined && isLast) {
        // Only a crash mid-creation outside the .tmp protocol (or an emptied file) leaves this;
        // it holds no complete record, so nothing acknowledged is lost by removing it.
        await fs.unlink(file);
        await fs.syncDir(dir);
        segments.pop();
        nextSeq = seg.seq;
        repaired = { file, offset: 0, reason: tail.kind === 'torn' ? `torn segment header: ${tail.reason}; segment removed` : 'empty segment; segment removed' };
        break;
      }
      if (header === undefined || header.record.type !== 'segmentHeader') {
        throw new WalCorruptError(file, header?.offset ?? 0, 'segment does not begin with a segment header');
      }
      if (header.record.seq !== seg.seq || header.record.firstIndex !== seg.firstIndex) {
        throw new WalCorruptError(file, 0, `segment header says seq ${header.record.seq}, first index ${header.record.firstIndex}, but the file name says seq ${seg.seq}, first index ${seg.firstIndex}`);
      }
      for (const r of body) {
        if (r.record.type === 'segmentHeader') throw new WalCorruptError(file, r.offset, 'segment header in the middle of a segment');
        replay.apply(r.record, { file, offset: r.offset });
      }
      if (tail.kind === 'torn') {
        await fs.truncate(file, decoded.validBytes);
        repaired = { file, offset: decoded.validBytes, reason: tail.reason };
      }
      lastSize = decoded.validBytes;
      lastRecords = decoded.records.length;
      nextSeq = seg.seq + 1;
    }

    const result = replay.finish();
    const state: StreamState = { lastIndex: result.lastIndex, marker: result.snapshotMarker, hardState: result.hardState };
    const last = segments[segments.length - 1];
    let current: OpenSegment;
    if (last === undefined) {
      current = await createSegment(fs, dir, segmentName(nextSeq, state.lastIndex + 1), state);
      segments.push(current.segment);
    } else {
      current = { segment: last, handle: await fs.open(join(dir, last.name), 'append'), size: lastSize, records: lastRecords };
    }
    const wal = new Wal(fs, dir, segmentBytesMax, segments, current, state);
    return { ...result, wal, repaired };
  }

  /** The last index of the log as appended so far (durable or not). */
  get lastIndex(): number {
    return this.appended.lastIndex;
  }

  /** The newest snapshot marker known durable: the limit for `releaseTo`. */
  get durableSnapshotMarker(): SnapshotMarker {
    return this.durable.marker;
  }

  /** The segment files, oldest first. */
  segmentNames(): string[] {
    return this.segments.map((s) => s.name);
  }

  /**
   * Buffers entries (an entry at index i supersedes everything at ≥ i) and then, if given, a
   * hard state. Each entry must be above the current snapshot marker and at most lastIndex + 1.
   */
  append(entries: readonly Entry[], hardState?: HardState): void {
    this.assertUsable();
    for (const entry of entries) {
      invariant(entry.index > this.appended.marker.index, () => `WAL append of entry ${entry.index} at or below the snapshot at ${this.appended.marker.index}`);
      invariant(entry.index <= this.appended.lastIndex + 1, () => `WAL append of entry ${entry.index} would leave a gap after ${this.appended.lastIndex}`);
      this.buffer({ type: 'entry', entry });
    }
    if (hardState !== undefined) this.buffer({ type: 'hardState', hardState });
  }

  /**
   * Buffers a snapshot marker: the log now continues from `marker`. `replacesLog` for a snapshot
   * installed from the leader (every earlier entry is discarded); otherwise the snapshot was
   * taken locally and must lie within the log. The snapshot file must be durable before this.
   */
  markSnapshot(marker: SnapshotMarker, replacesLog: boolean): void {
    this.assertUsable();
    invariant(replacesLog || marker.index <= this.appended.lastIndex, () => `local snapshot at ${marker.index} is past the WAL's last index ${this.appended.lastIndex}`);
    this.buffer({ type: 'snapshotMarker', marker, replacesLog });
  }

  /** Makes everything appended before this call durable; concurrent callers share fsyncs. */
  sync(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('WAL is closed'));
    // Nothing new buffered: whatever this caller appended is in the flush in flight, if any.
    if (this.pending.length === 0) return this.commit.idle();
    return this.commit.request();
  }

  /**
   * Deletes whole segments that hold nothing needed to continue from a snapshot at `index`:
   * every segment before the last one whose first index is ≤ `index`. A durable snapshot marker
   * at ≥ `index` must exist (the caller has synced it), so replay still finds where the log
   * continues from. Returns the number of segments removed. The current segment is never removed.
   */
  async releaseTo(index: number): Promise<number> {
    this.assertUsable();
    invariant(index <= this.durable.marker.index, () => `WAL release to ${index} is past the durable snapshot marker ${this.durable.marker.index}`);
    let keepFrom = 0;
    for (let i = 0; i < this.segments.length; i++) if ((this.segments[i] as SegmentName).firstIndex <= index) keepFrom = i;
    const removed = this.segments.splice(0, Math.min(keepFrom, this.segments.length - 1));
    for (const seg of removed) await unlinkIfExists(this.fs, join(this.dir, seg.name));
    if (removed.length > 0) await this.fs.syncDir(this.dir);
    return removed.length;
  }

  /** Waits for flushes in flight, then closes the current segment. Unsynced appends stay unsynced. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.commit.idle();
    } finally {
      await this.current.handle.close();
    }
  }

  private buffer(record: WalRecord): void {
    this.pending.push({ record, bytes: encodeRecord(record) });
    this.appended = advance(this.appended, record);
  }

  private assertUsable(): void {
    if (this.failure !== undefined) throw this.failure;
    invariant(!this.closed, 'WAL is closed');
  }

  /** One group-commit flush: writes the buffered records, rotating as needed, then fdatasyncs. */
  private async flush(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      let chunk: Uint8Array[] = [];
      for (const p of batch) {
        const cur = this.current;
        if (cur.records > HEAD_RECORDS && cur.size + p.bytes.length > this.segmentBytesMax) {
          await this.write(chunk);
          chunk = [];
          await this.rotate();
        }
        chunk.push(p.bytes);
        this.current.size += p.bytes.length;
        this.current.records++;
        this.written = advance(this.written, p.record);
      }
      await this.write(chunk);
      await this.current.handle.sync();
      this.durable = this.written;
    } catch (err) {
      this.failure = err instanceof WalFailedError ? err : new WalFailedError(err);
      throw this.failure;
    }
  }

  private async write(chunk: Uint8Array[]): Promise<void> {
    if (chunk.length === 0) return;
    await this.current.handle.append(chunk.length === 1 ? (chunk[0] as Uint8Array) : concat(chunk));
  }

  /** Seals the current segment (synced, so only the last segment can ever have a torn tail) and starts the next. */
  private async rotate(): Promise<void> {
    const old = this.current;
    await old.handle.sync();
    this.durable = this.written;
    await old.handle.close();
    const next = segmentName(old.segment.seq + 1, this.written.lastIndex + 1);
    this.current = await createSegment(this.fs, this.dir, next, this.written);
    this.segments.push(next);
  }
}

/** Writes a segment's head under a temporary name, syncs it, renames it into place, syncs the directory. */
async function createSegment(fs: FsPort, dir: string, segment: SegmentName, state: StreamState): Promise<OpenSegment> {
  const path = join(dir, segment.name);
  const tmp = path + TMP_SUFFIX;
  const head = concat([
    encodeRecord({ type: 'segmentHeader', seq: segment.seq, firstIndex: segment.firstIndex }),
    encodeRecord({ type: 'snapshotMarker', marker: state.marker, replacesLog: false }),
    encodeRecord({ type: 'hardState', hardState: state.hardState }),
  ]);
  const out = await fs.open(tmp, 'truncate');
  try {
    await out.append(head);
    await out.sync();
  } finally {
    await out.close();
  }
  await fs.rename(tmp, path);
  await fs.syncDir(dir);
  return { segment, handle: await fs.open(path, 'append'), size: head.length, records: HEAD_RECORDS };
}

function advance(state: StreamState, record: WalRecord): StreamState {
  switch (record.type) {
    case 'segmentHeader':
      return state;
    case 'entry':
      return { ...state, lastIndex: record.entry.index };
    case 'hardState':
      return { ...state, hardState: record.hardState };
    case 'snapshotMarker':
      return {
        ...state,
        marker: record.marker,
        lastIndex: record.replacesLog ? record.marker.index : Math.max(state.lastIndex, record.marker.index),
      };
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
