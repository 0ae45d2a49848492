import type { Message, Snapshot } from '../core/types.js';
import { crc32c } from '../storage/crc32c.js';
import { encodeFrame, encodeSnapshotFrameParts, FRAME_VERSION } from './codec.js';

/**
 * The sending side of a chunked transfer: one snapshot message too large for a frame, written as
 * `count` chunk frames of at most `chunkBytes` data each (codec.ts `ChunkFrame`).
 *
 * Memory: the encoded message is a small head plus the snapshot data itself (not copied, see
 * `encodeSnapshotFrameParts`); each `next()` makes one chunk frame, the only copy of that piece.
 * So a transfer holds the message the caller already holds, plus the chunk frames the socket has
 * not written yet (the transport paces those by the socket buffer).
 */
export class OutgoingTransfer {
  readonly id: number;
  readonly msg: Message;
  readonly total: number;
  readonly count: number;
  private readonly head: Uint8Array;
  private readonly data: Uint8Array;
  private readonly chunkBytes: number;
  private nextIndex = 0;

  /** Throws if the message cannot be encoded (a caller bug: it is not a snapshot message). */
  constructor(id: number, msg: Message, chunkBytes: number) {
    if (!msg.snapshot) throw new Error(`only snapshot messages are sent in chunks, not ${msg.type}`);
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) throw new RangeError(`chunk size must be a positive integer, got ${chunkBytes}`);
    const { head, data } = encodeSnapshotFrameParts(msg as Message & { readonly snapshot: Snapshot });
    this.id = id;
    this.msg = msg;
    this.head = head;
    this.data = data;
    this.chunkBytes = chunkBytes;
    this.total = head.byteLength + data.byteLength;
    this.count = Math.max(1, Math.ceil(this.total / chunkBytes));
  }

  /** Chunk frames written so far. */
  get sent(): number {
    return this.nextIndex;
  }

  get done(): boolean {
    return this.nextIndex >= this.count;
  }

  /** The next chunk frame, encoded. Throws once `done`. */
  next(): Uint8Array {
    if (this.done) throw new Error(`transfer ${this.id}: all ${this.count} chunks were sent`);
    const index = this.nextIndex++;
    const start = index * this.chunkBytes;
    const data = this.slice(start, Math.min(start + this.chunkBytes, this.total));
    return encodeFrame({ v: FRAME_VERSION, kind: 'chunk', id: this.id, index, count: this.count, total: this.total, crc: crc32c(data), data });
  }

  /** Bytes [start, end) of concat(head, data), copying only when the range straddles the two. */
  private slice(start: number, end: number): Uint8Array {
    const h = this.head.byteLength;
    if (end <= h) return this.head.subarray(start, end);
    if (start >= h) return this.data.subarray(start - h, end - h);
    const out = new Uint8Array(end - start);
    out.set(this.head.subarray(start), 0);
    out.set(this.data.subarray(0, end - h), h - start);
    return out;
  }
}
