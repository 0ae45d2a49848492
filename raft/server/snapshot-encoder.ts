import type { MvccStore } from '../kv/mvcc-store.js';
import { type Member, stateSnapshotParts } from './members.js';

/**
 * The replica's state machine snapshot, made without stalling the replica: the store is encoded
 * a slice at a time (raft/kv/snapshot-writer.ts) with a turn of the event loop between slices,
 * so heartbeats, client requests and watch events go on meanwhile; the store goes on applying
 * writes too, and the snapshot is still exactly its state when this started. The result is a
 * list of slices, which storage writes to the snapshot file as they are; `assembleInSlices`
 * copies them into one buffer, a few megabytes per turn, for whoever needs one.
 */

export interface EncodedSnapshot {
  /** The state snapshot bytes (members.ts's envelope around the store's snapshot), in slices. */
  readonly parts: readonly Uint8Array[];
  readonly byteLength: number;
  /** The store revision it holds. */
  readonly revision: number;
  /** The longest the event loop was held by one slice, in milliseconds. */
  readonly longestSliceMs: number;
  /** Slices (turns of the event loop) it took. */
  readonly slices: number;
}

export interface SnapshotEncoderOptions {
  /** How long one slice may run before yielding (default 8 ms). */
  readonly sliceMs?: number;
  /** Bytes copied per turn when assembling (default 16 MiB). */
  readonly copyBytesPerTurn?: number;
  /** Yields to the event loop; default a setImmediate. */
  readonly pause?: () => Promise<void>;
}

const SLICE_MS_DEFAULT = 8;
const COPY_BYTES_PER_TURN_DEFAULT = 16 * 1024 * 1024;
/** Keys (or dedup entries) per writer step: small enough to check the clock often. */
const STEP_ITEMS = 128;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Snapshots `store` and `members` as they are now, resolving with the bytes once encoded.
 * Capture happens synchronously in this call: the caller records the applied index with it.
 */
export async function encodeStateSnapshotInSlices(
  store: MvccStore,
  members: readonly Member[],
  options: SnapshotEncoderOptions = {},
): Promise<EncodedSnapshot> {
  const sliceMs = options.sliceMs ?? SLICE_MS_DEFAULT;
  const pause = options.pause ?? nextTurn;
  const writer = store.snapshotWriter();
  const memberList = members.map((m) => ({ ...m }));
  let longestSliceMs = 0;
  let slices = 0;
  const slice = (work: () => boolean): boolean => {
    const started = performance.now();
    let done: boolean;
    do done = work();
    while (!done && performance.now() - started < sliceMs);
    longestSliceMs = Math.max(longestSliceMs, performance.now() - started);
    slices++;
    return done;
  };
  try {
    while (!slice(() => writer.step(STEP_ITEMS))) await pause();
  } finally {
    writer.release();
  }
  const parts = stateSnapshotParts(writer.chunks(), writer.byteLength, memberList);
  const byteLength = parts.reduce((n, p) => n + p.byteLength, 0);
  return { parts, byteLength, revision: writer.revision, longestSliceMs, slices };
}

/** Copies `parts` into one buffer, `copyBytesPerTurn` at a time with a pause between. */
export async function assembleInSlices(parts: readonly Uint8Array[], options: SnapshotEncoderOptions = {}): Promise<Uint8Array> {
  const copyBytes = options.copyBytesPerTurn ?? COPY_BYTES_PER_TURN_DEFAULT;
  const pause = options.pause ?? nextTurn;
  const data = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  let sincePause = 0;
  for (const p of parts) {
    for (let offset = 0; offset < p.byteLength; ) {
      if (sincePause >= copyBytes) {
        await pause();
        sincePause = 0;
      }
      const n = Math.min(p.byteLength - offset, copyBytes - sincePause);
      data.set(p.subarray(offset, offset + n), at);
      at += n;
      offset += n;
      sincePause += n;
    }
  }
  return data;
}
