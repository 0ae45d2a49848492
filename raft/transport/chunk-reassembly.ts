import { crc32c } from '../storage/crc32c.js';
import type { ChunkFrame } from './codec.js';

/**
 * The receiving side of chunked transfers on one link: puts chunk frames back together into the
 * encoded raft frame they were cut from. Pure (time is passed in); one per authenticated link,
 * dropped with it.
 *
 * Bounds: at most one transfer in progress (chunk 0 of a new transfer replaces an unfinished one:
 * the sender gave it up); its buffer is allocated once, at its declared `total`, which must be
 * within `totalBytesMax`; it is released when the transfer completes, fails, is replaced, expires
 * (no chunk for `idleTimeoutMs`), or the link drops (`clear`). Chunks must come in index order
 * with the same count and total as chunk 0, fit the total, and match their CRC; the first that
 * does not ends its transfer (refused), and the rest of that transfer is ignored without being
 * counted again. A chunk of a transfer never started is refused.
 */

export interface ReassemblyLimits {
  /** The largest `total` accepted. */
  readonly totalBytesMax: number;
  /** A transfer with no chunk for this long is abandoned (checked by `expire`). */
  readonly idleTimeoutMs: number;
}

export type ChunkOutcome =
  /** Stored; more to come. */
  | { readonly kind: 'partial' }
  /** The last chunk: `bytes` is the whole encoded frame, owned by the caller now. */
  | { readonly kind: 'complete'; readonly bytes: Uint8Array }
  /** The rest of a transfer already refused; not worth counting again. */
  | { readonly kind: 'ignored' }
  /** Refused (the transfer it belongs to, if any, is dropped): count it as a bad frame. */
  | { readonly kind: 'refused'; readonly reason: 'oversized' | 'shape'; readonly detail: string };

interface Pending {
  readonly id: number;
  readonly count: number;
  readonly total: number;
  readonly buffer: Uint8Array;
  nextIndex: number;
  received: number;
  lastChunkAtMs: number;
}

export class Reassembly {
  private readonly limits: ReassemblyLimits;
  private pending: Pending | undefined;
  /** The last transfer refused or abandoned, whose later chunks are ignored. */
  private deadId: number | undefined;
  /** Told of every allocation (+bytes) and release (−bytes), so a transport can report what it holds. */
  private readonly onHeld: (deltaBytes: number) => void;

  constructor(limits: ReassemblyLimits, onHeld: (deltaBytes: number) => void = () => {}) {
    this.limits = limits;
    this.onHeld = onHeld;
  }

  /** Bytes held for the transfer in progress (its whole buffer); 0 if none. */
  get heldBytes(): number {
    return this.pending?.buffer.byteLength ?? 0;
  }

  /** The transfer in progress, for logs. */
  get inProgress(): { readonly id: number; readonly received: number; readonly total: number } | undefined {
    const p = this.pending;
    return p && { id: p.id, received: p.received, total: p.total };
  }

  accept(chunk: ChunkFrame, nowMs: number): ChunkOutcome {
    if (this.pending?.id === chunk.id) return this.append(this.pending, chunk, nowMs);
    if (chunk.index !== 0) {
      if (chunk.id === this.deadId) return { kind: 'ignored' };
      return { kind: 'refused', reason: 'shape', detail: `chunk ${chunk.index} of transfer ${chunk.id}, which never started` };
    }
    this.release();
    this.deadId = undefined;
    if (chunk.total > this.limits.totalBytesMax) {
      this.deadId = chunk.id;
      return { kind: 'refused', reason: 'oversized', detail: `transfer of ${chunk.total} bytes exceeds the limit of ${this.limits.totalBytesMax}` };
    }
    if (chunk.total === 0 || chunk.count > chunk.total) {
      this.deadId = chunk.id;
      return { kind: 'refused', reason: 'shape', detail: `${chunk.count} chunks cannot carry ${chunk.total} bytes` };
    }
    // Zero-filled memory from the allocator is committed page by page as chunks are written, so
    // a sender that declares a large total and stalls costs little until it actually sends.
    const pending: Pending = {
      id: chunk.id,
      count: chunk.count,
      total: chunk.total,
      buffer: new Uint8Array(chunk.total),
      nextIndex: 0,
      received: 0,
      lastChunkAtMs: nowMs,
    };
    this.pending = pending;
    this.onHeld(pending.total);
    return this.append(pending, chunk, nowMs);
  }

  /** Abandons the transfer in progress if it has been idle too long; true if it did. */
  expire(nowMs: number): boolean {
    const p = this.pending;
    if (!p || nowMs - p.lastChunkAtMs < this.limits.idleTimeoutMs) return false;
    this.deadId = p.id;
    this.release();
    return true;
  }

  /** Drops any transfer in progress (the link is gone). */
  clear(): void {
    this.release();
  }

  private append(p: Pending, chunk: ChunkFrame, nowMs: number): ChunkOutcome {
    const fail = (detail: string): ChunkOutcome => {
      this.deadId = p.id;
      this.release();
      return { kind: 'refused', reason: 'shape', detail: `transfer ${p.id}: ${detail}` };
    };
    if (chunk.index !== p.nextIndex) return fail(`chunk ${chunk.index} where ${p.nextIndex} was due`);
    if (chunk.count !== p.count || chunk.total !== p.total)
      return fail(`chunk ${chunk.index} declares ${chunk.count} chunks of ${chunk.total} bytes, not ${p.count} of ${p.total}`);
    const n = chunk.data.byteLength;
    if (n === 0 || p.received + n > p.total) return fail(`chunk ${chunk.index} of ${n} bytes does not fit (${p.received} of ${p.total} received)`);
    if (crc32c(chunk.data) !== chunk.crc) return fail(`chunk ${chunk.index} fails its CRC-32C`);
    p.buffer.set(chunk.data, p.received);
    p.received += n;
    p.nextIndex++;
    p.lastChunkAtMs = nowMs;
    if (p.nextIndex < p.count) return { kind: 'partial' };
    if (p.received !== p.total) return fail(`${p.count} chunks carried ${p.received} bytes, not ${p.total}`);
    this.pending = undefined;
    this.onHeld(-p.total);
    return { kind: 'complete', bytes: p.buffer };
  }

  private release(): void {
    if (!this.pending) return;
    this.onHeld(-this.pending.total);
    this.pending = undefined;
  }
}
