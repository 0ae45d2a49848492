import { Packr } from 'msgpackr';
import type { ConfState, Entry, EntryType, Message, MessageType, NodeId, Snapshot } from '../core/types.js';

/**
 * The peer wire format. Every WebSocket binary message between two store replicas is one frame:
 * a msgpack map (msgpackr) with a format version `v` and a `kind`:
 *
 *     {v: 1, kind: 'challenge', nonce}                      acceptor → dialer, first frame
 *     {v: 1, kind: 'hello', id, clusterId, nonce2, mac}     dialer → acceptor
 *     {v: 1, kind: 'welcome', id, mac}                      acceptor → dialer; the link is up
 *     {v: 1, kind: 'raft', msgs: Message[]}                 either way, only once the link is up
 *     {v: 1, kind: 'chunk', id, index, count, total, crc, data}
 *                                                           either way, only once the link is up
 *
 * (handshake.ts says what the nonces and MACs are.) A chunk frame carries one piece of an encoded
 * raft frame too large for one frame (a snapshot message): `data` is bytes [index·size, …) of the
 * `total` bytes of transfer `id`, sent as `count` chunks in index order, with `crc` the CRC-32C of
 * `data` (chunk-sender.ts, chunk-reassembly.ts). Messages are `Message` records of
 * raft/core/types.ts as msgpack maps with the same field names; absent optional fields are left
 * out; `Uint8Array` fields are msgpack bin and come back as `Uint8Array` (copied out of the frame,
 * so an entry kept in the log does not pin the whole frame in memory).
 *
 * Decoding is a validation boundary: `decodeFrame` takes bytes from the network and either returns
 * a fully typed, checked frame or throws a `FrameError` — never another error, whatever the
 * bytes. Unknown fields are ignored (not copied), so a later minor addition does not break an
 * older peer; anything that changes the meaning of a field bumps `v`, and a frame with another
 * version is refused.
 */

export const FRAME_VERSION = 1;
/** Large enough for a snapshot of a store with a few tens of MiB of data; configurable. */
export const FRAME_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

export interface RaftFrame {
  readonly v: typeof FRAME_VERSION;
  readonly kind: 'raft';
  /** A batch of messages to one peer, in the order they were sent; never empty. */
  readonly msgs: readonly Message[];
}

export interface ChallengeFrame {
  readonly v: typeof FRAME_VERSION;
  readonly kind: 'challenge';
  readonly nonce: Uint8Array;
}

export interface HelloFrame {
  readonly v: typeof FRAME_VERSION;
  readonly kind: 'hello';
  readonly id: NodeId;
  readonly clusterId: string;
  readonly nonce2: Uint8Array;
  readonly mac: Uint8Array;
}

export interface WelcomeFrame {
  readonly v: typeof FRAME_VERSION;
  readonly kind: 'welcome';
  readonly id: NodeId;
  readonly mac: Uint8Array;
}

export interface ChunkFrame {
  readonly v: typeof FRAME_VERSION;
  readonly kind: 'chunk';
  /** Names the transfer on its link; a sender never reuses one while a link is up. */
  readonly id: number;
  /** 0-based; `index < count`. */
  readonly index: number;
  readonly count: number;
  /** Bytes of the whole encoded raft frame being transferred; `data` is never longer. */
  readonly total: number;
  /** CRC-32C of `data`. */
  readonly crc: number;
  /** A view into the decoded frame's bytes (not copied: the receiver copies it into place). */
  readonly data: Uint8Array;
}

export type Frame = RaftFrame | ChallengeFrame | HelloFrame | WelcomeFrame | ChunkFrame;
export type FrameKind = Frame['kind'];

export type FrameErrorReason =
  /** Longer than the frame size limit: refused before any decoding. */
  | 'oversized'
  /** Not one well-formed msgpack value. */
  | 'undecodable'
  /** A frame of a format version this replica does not speak. */
  | 'version'
  /** Valid msgpack, but not a frame: wrong kind, missing field, wrong field type or range. */
  | 'shape';

/** A frame was refused. The only error `decodeFrame` throws. */
export class FrameError extends Error {
  readonly reason: FrameErrorReason;
  constructor(reason: FrameErrorReason, detail: string) {
    super(`malformed peer frame (${reason}): ${detail}`);
    this.name = 'FrameError';
    this.reason = reason;
  }
}

// Bins decode as views into the input; validation copies the ones a message keeps (see `Bin`).
const packr = new Packr({ useRecords: false, moreTypes: false, copyBuffers: false });

/** Encodes a frame. The frame must be well-typed; encoding does not check sizes (callers do). */
export function encodeFrame(frame: Frame): Uint8Array {
  return packr.pack(frame);
}

export interface DecodeOptions {
  /**
   * Let decoded messages' bytes (entry data, snapshot data, contexts) be views into `bytes`
   * instead of copies. Only for a buffer the caller owns and that is mostly that data anyway (a
   * reassembled snapshot message), where a copy would double the memory for nothing.
   */
  readonly borrow?: boolean;
}

/**
 * Decodes and validates one frame. Throws `FrameError` (and nothing else) if `bytes` is longer
 * than `frameBytesMax` (checked first, before any decoding), is not one msgpack value, or is not a
 * valid frame of version 1.
 */
export function decodeFrame(bytes: Uint8Array, frameBytesMax: number = FRAME_BYTES_MAX_DEFAULT, options: DecodeOptions = {}): Frame {
  if (bytes.byteLength > frameBytesMax) {
    throw new FrameError('oversized', `${bytes.byteLength} bytes exceeds the limit of ${frameBytesMax}`);
  }
  let value: unknown;
  try {
    // A plain Uint8Array view, so msgpackr hands back plain Uint8Array bins rather than Buffers.
    value = packr.unpack(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new FrameError('undecodable', err instanceof Error ? err.message : String(err));
  }
  try {
    return frameOf(value, options.borrow === true ? borrowBin : copyBin);
  } catch (err) {
    if (err instanceof FrameError) throw err;
    // Validation only reads plain data; anything else thrown (a stack overflow on absurd nesting,
    // a getter on an exotic decoded object) still means "not a frame".
    throw new FrameError('shape', err instanceof Error ? err.message : String(err));
  }
}

/**
 * An upper bound on the encoded size of a message, without encoding it. The transport uses it to
 * bound its queues in bytes and to split a batch into frames under the size limit.
 */
export function messageBytesEstimate(m: Message): number {
  // Per field: a short key plus a value of at most 9 bytes; per bin: a 5-byte header.
  let bytes = 160;
  if (m.context) bytes += m.context.byteLength + 16;
  if (m.entries) for (const e of m.entries) bytes += ENTRY_OVERHEAD_BYTES + e.data.byteLength;
  if (m.snapshot) {
    const conf = m.snapshot.metadata.confState;
    bytes += 128 + m.snapshot.data.byteLength + 9 * (conf.voters.length + conf.learners.length);
  }
  return bytes;
}

/** The envelope around a batch: `{v, kind, msgs}` plus an array header. */
export const RAFT_FRAME_OVERHEAD_BYTES = 32;
/** The envelope around a chunk's data: `{v, kind, id, index, count, total, crc, data}`, generously. */
export const CHUNK_FRAME_OVERHEAD_BYTES = 128;
const ENTRY_OVERHEAD_BYTES = 64;

/**
 * The raft frame `{v, kind: 'raft', msgs: [m]}` of one snapshot message, encoded as a small `head`
 * followed by the snapshot data itself, not copied: `concat(head, data)` is a valid encoding of
 * that frame (it is what `decodeFrame` of the reassembled bytes sees). This is how a snapshot of
 * hundreds of MiB is sent without a second copy of it on the sender: the head ends with the
 * snapshot data's bin header, which works because msgpackr writes keys in insertion order and
 * the snapshot (with `data` last) is put last.
 */
export function encodeSnapshotFrameParts(m: Message & { readonly snapshot: Snapshot }): { readonly head: Uint8Array; readonly data: Uint8Array } {
  const { snapshot, ...rest } = m;
  const shell = { ...rest, snapshot: { metadata: snapshot.metadata, data: EMPTY } };
  const encoded = encodeFrame({ v: FRAME_VERSION, kind: 'raft', msgs: [shell] });
  const n = encoded.byteLength;
  if (n < 2 || encoded[n - 2] !== 0xc4 || encoded[n - 1] !== 0x00) {
    // Not the layout expected of msgpackr (a new version?): fall back to one whole encoding.
    return { head: encodeFrame({ v: FRAME_VERSION, kind: 'raft', msgs: [m] }), data: EMPTY };
  }
  const head = new Uint8Array(n - 2 + 5);
  head.set(encoded.subarray(0, n - 2));
  head[n - 2] = 0xc6; // bin 32, then the length big-endian
  new DataView(head.buffer).setUint32(n - 1, snapshot.data.byteLength, false);
  return { head, data: snapshot.data };
}

const EMPTY = new Uint8Array(0);

// ---- validation -------------------------------------------------------------------------------

const MESSAGE_TYPES: ReadonlySet<string> = new Set<MessageType>([
  'app',
  'appResp',
  'vote',
  'voteResp',
  'preVote',
  'preVoteResp',
  'heartbeat',
  'heartbeatResp',
  'snap',
  'timeoutNow',
  'readIndex',
  'readIndexResp',
]);
const ENTRY_TYPES: ReadonlySet<string> = new Set<EntryType>(['normal', 'confChange']);
const NONCE_BYTES_MAX = 1024;
const CLUSTER_ID_LENGTH_MAX = 256;

function shape(path: string, what: string): FrameError {
  return new FrameError('shape', `${path}: ${what}`);
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw shape(path, 'expected a map');
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw shape(path, 'expected a plain map');
  return value as Record<string, unknown>;
}

function array(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) throw shape(path, 'expected an array');
  return value;
}

/** A non-negative safe integer: indexes, terms, ids. */
function uint(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw shape(path, 'expected a non-negative integer');
  }
  return value;
}

function nodeId(value: unknown, path: string): NodeId {
  const id = uint(value, path);
  if (id === 0) throw shape(path, 'expected a replica id (0 is none)');
  return id;
}

function bytes(value: unknown, path: string, lengthMax = Number.POSITIVE_INFINITY): Uint8Array {
  if (!(value instanceof Uint8Array)) throw shape(path, 'expected bytes');
  if (value.byteLength > lengthMax) throw shape(path, `longer than ${lengthMax} bytes`);
  return value;
}

function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw shape(path, 'expected a boolean');
  return value;
}

function string(value: unknown, path: string, lengthMax: number): string {
  if (typeof value !== 'string') throw shape(path, 'expected a string');
  if (value.length > lengthMax) throw shape(path, `longer than ${lengthMax} characters`);
  return value;
}

/** An optional field: absent or undefined means absent. */
function opt<T>(obj: Record<string, unknown>, key: string, path: string, check: (v: unknown, p: string) => T): T | undefined {
  const value = Object.hasOwn(obj, key) ? obj[key] : undefined;
  return value === undefined ? undefined : check(value, `${path}.${key}`);
}

function req<T>(obj: Record<string, unknown>, key: string, path: string, check: (v: unknown, p: string) => T): T {
  const value = Object.hasOwn(obj, key) ? obj[key] : undefined;
  if (value === undefined) throw shape(`${path}.${key}`, 'missing');
  return check(value, `${path}.${key}`);
}

/** What to do with a bin a decoded message keeps: copy it out of the frame, or keep the view. */
type Bin = (b: Uint8Array) => Uint8Array;
const copyBin: Bin = (b) => b.slice();
const borrowBin: Bin = (b) => b;
const CHUNK_COUNT_MAX = 1 << 24;

function frameOf(value: unknown, bin: Bin): Frame {
  const f = record(value, 'frame');
  const v = Object.hasOwn(f, 'v') ? f.v : undefined;
  if (v !== FRAME_VERSION) throw new FrameError('version', `frame version ${String(v)} is not ${FRAME_VERSION}`);
  const kind = req(f, 'kind', 'frame', (x, p) => string(x, p, 16));
  switch (kind) {
    case 'raft': {
      const list = req(f, 'msgs', 'frame', array);
      if (list.length === 0) throw shape('frame.msgs', 'empty batch');
      return { v: FRAME_VERSION, kind, msgs: list.map((m, i) => messageOf(m, `frame.msgs[${i}]`, bin)) };
    }
    case 'chunk': {
      const count = req(f, 'count', 'frame', uint);
      if (count === 0 || count > CHUNK_COUNT_MAX) throw shape('frame.count', `${count} is not in 1..${CHUNK_COUNT_MAX}`);
      const index = req(f, 'index', 'frame', uint);
      if (index >= count) throw shape('frame.index', `${index} is not below the count ${count}`);
      const total = req(f, 'total', 'frame', uint);
      const crc = req(f, 'crc', 'frame', uint);
      if (crc > 0xffffffff) throw shape('frame.crc', 'not a 32-bit checksum');
      const data = req(f, 'data', 'frame', (x, p) => bytes(x, p, total));
      return { v: FRAME_VERSION, kind, id: req(f, 'id', 'frame', uint), index, count, total, crc, data };
    }
    case 'challenge':
      return { v: FRAME_VERSION, kind, nonce: req(f, 'nonce', 'frame', (x, p) => copyBin(bytes(x, p, NONCE_BYTES_MAX))) };
    case 'hello':
      return {
        v: FRAME_VERSION,
        kind,
        id: req(f, 'id', 'frame', nodeId),
        clusterId: req(f, 'clusterId', 'frame', (x, p) => string(x, p, CLUSTER_ID_LENGTH_MAX)),
        nonce2: req(f, 'nonce2', 'frame', (x, p) => copyBin(bytes(x, p, NONCE_BYTES_MAX))),
        mac: req(f, 'mac', 'frame', (x, p) => copyBin(bytes(x, p, NONCE_BYTES_MAX))),
      };
    case 'welcome':
      return {
        v: FRAME_VERSION,
        kind,
        id: req(f, 'id', 'frame', nodeId),
        mac: req(f, 'mac', 'frame', (x, p) => copyBin(bytes(x, p, NONCE_BYTES_MAX))),
      };
    default:
      throw shape('frame.kind', `unknown kind ${JSON.stringify(kind)}`);
  }
}

function entryOf(value: unknown, path: string, bin: Bin): Entry {
  const e = record(value, path);
  const type = req(e, 'type', path, (x, p) => string(x, p, 16));
  if (!ENTRY_TYPES.has(type)) throw shape(`${path}.type`, `unknown entry type ${JSON.stringify(type)}`);
  return {
    term: req(e, 'term', path, uint),
    index: req(e, 'index', path, uint),
    type: type as EntryType,
    data: bin(req(e, 'data', path, bytes)),
  };
}

function confStateOf(value: unknown, path: string): ConfState {
  const c = record(value, path);
  const ids = (key: string): NodeId[] => req(c, key, path, array).map((id, i) => nodeId(id, `${path}.${key}[${i}]`));
  return { voters: ids('voters'), learners: ids('learners') };
}

function snapshotOf(value: unknown, path: string, bin: Bin): Snapshot {
  const s = record(value, path);
  const meta = req(s, 'metadata', path, record);
  const mp = `${path}.metadata`;
  return {
    metadata: { index: req(meta, 'index', mp, uint), term: req(meta, 'term', mp, uint), confState: req(meta, 'confState', mp, confStateOf) },
    data: bin(req(s, 'data', path, bytes)),
  };
}

/**
 * One message. Besides field types, checks what the core takes for granted of an AppendEntries:
 * its entries follow `index` one by one, with terms that never decrease (starting from `logTerm`).
 * A snapshot message carries a snapshot.
 */
function messageOf(value: unknown, path: string, bin: Bin): Message {
  const m = record(value, path);
  const type = req(m, 'type', path, (x, p) => string(x, p, 16));
  if (!MESSAGE_TYPES.has(type)) throw shape(`${path}.type`, `unknown message type ${JSON.stringify(type)}`);
  const out: { -readonly [K in keyof Message]: Message[K] } = {
    type: type as MessageType,
    from: req(m, 'from', path, nodeId),
    to: req(m, 'to', path, nodeId),
    term: req(m, 'term', path, uint),
  };
  const index = opt(m, 'index', path, uint);
  if (index !== undefined) out.index = index;
  const logTerm = opt(m, 'logTerm', path, uint);
  if (logTerm !== undefined) out.logTerm = logTerm;
  const entries = opt(m, 'entries', path, array);
  if (entries !== undefined) {
    const list = entries.map((e, i) => entryOf(e, `${path}.entries[${i}]`, bin));
    let prev = { index: index ?? 0, term: logTerm ?? 0 };
    for (const [i, e] of list.entries()) {
      if (e.index !== prev.index + 1) throw shape(`${path}.entries[${i}].index`, `expected ${prev.index + 1}, got ${e.index}`);
      if (e.term < prev.term) throw shape(`${path}.entries[${i}].term`, `term ${e.term} after term ${prev.term}`);
      prev = e;
    }
    out.entries = list;
  }
  const commit = opt(m, 'commit', path, uint);
  if (commit !== undefined) out.commit = commit;
  const reject = opt(m, 'reject', path, bool);
  if (reject !== undefined) out.reject = reject;
  const rejectHint = opt(m, 'rejectHint', path, uint);
  if (rejectHint !== undefined) out.rejectHint = rejectHint;
  const snapshot = opt(m, 'snapshot', path, (x, p) => snapshotOf(x, p, bin));
  if (snapshot !== undefined) out.snapshot = snapshot;
  else if (type === 'snap') throw shape(`${path}.snapshot`, 'a snap message carries a snapshot');
  const context = opt(m, 'context', path, bytes);
  if (context !== undefined) out.context = bin(context);
  const transfer = opt(m, 'transfer', path, bool);
  if (transfer !== undefined) out.transfer = transfer;
  return out;
}
