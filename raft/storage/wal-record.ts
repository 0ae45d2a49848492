import { Packr } from 'msgpackr';
import { invariant } from '../core/errors.js';
import type { Entry, EntryType, HardState } from '../core/types.js';
import { crc32c } from './crc32c.js';

/**
 * WAL record framing. A segment file is a sequence of records:
 *
 *     [u32 LE payload length][u32 LE crc32c(type byte + payload)][u8 type][payload: msgpack array]
 *
 * The first record of every segment is a segment header. Payloads (msgpack arrays, positional so
 * the format is compact and every field is checked on decode):
 *
 *     1 segmentHeader   [magic "picokube-wal", format version, segment seq, first index]
 *     2 entry           [term, index, entry type (0 normal, 1 confChange), data (bin)]
 *     3 hardState       [term, vote, commit]
 *     4 snapshotMarker  [index, term, replacesLog (bool)]
 *
 * How a decode ends (`decodeRecords`), the rule that separates a crash from damage:
 * - clean: the buffer ends exactly after a valid record.
 * - torn: a bad record at offset o (short header, length over the limit or past the end, checksum
 *   mismatch) and NO valid record starts at any offset after o. A crash during an append leaves
 *   exactly this: a prefix of what was being written, possibly with garbage or zeros after it.
 *   The reader truncates to o: only unsynced (unacknowledged) bytes are dropped.
 * - corrupt: a bad record at o followed by bytes that parse as a valid record (a bit flip or a
 *   lost sector in the middle: truncating would drop good, possibly acknowledged, records); or a
 *   record whose checksum is right but whose type is unknown or whose payload does not decode (a
 *   writer bug or a format mismatch, never a crash). The reader refuses to go on.
 * A record "parses as valid" when its length fits, its checksum matches, its type is known and
 * its payload decodes. An entry whose data happens to contain a valid framed record can make a
 * torn tail look corrupt; that errs on the side of refusing to open, never of dropping data.
 * Whether a bad record in a segment that is not the last one is torn or corrupt does not matter:
 * the WAL treats both as corruption, since a segment is synced before the next one starts.
 */

export const RECORD_HEADER_BYTES = 9;
/** A limit on one record, so a damaged length field cannot make the reader allocate gigabytes. */
export const RECORD_PAYLOAD_BYTES_MAX = 64 * 1024 * 1024;
export const WAL_MAGIC = 'picokube-wal';
export const WAL_FORMAT_VERSION = 1;

/** Which snapshot the log continues from: the last index it covers and that entry's term. */
export interface SnapshotMarker {
  readonly index: number;
  readonly term: number;
}

export type WalRecord =
  | { readonly type: 'segmentHeader'; readonly seq: number; readonly firstIndex: number }
  | { readonly type: 'entry'; readonly entry: Entry }
  | { readonly type: 'hardState'; readonly hardState: HardState }
  /**
   * `replacesLog`: the snapshot was installed from the leader and replaces the whole log, so
   * every entry written before this record is discarded. Otherwise it was taken locally
   * (compaction): entries after `marker.index` stay.
   */
  | { readonly type: 'snapshotMarker'; readonly marker: SnapshotMarker; readonly replacesLog: boolean };

export interface DecodedRecord {
  readonly record: WalRecord;
  /** Byte offset of the record's first byte in the buffer, and of the byte after its last. */
  readonly offset: number;
  readonly end: number;
}

export type DecodeTail =
  | { readonly kind: 'clean' }
  | { readonly kind: 'torn'; readonly offset: number; readonly reason: string }
  | { readonly kind: 'corrupt'; readonly offset: number; readonly reason: string };

export interface DecodeResult {
  /** The valid records before the tail. */
  readonly records: DecodedRecord[];
  /** Length of the valid prefix: where a torn tail is cut. */
  readonly validBytes: number;
  readonly tail: DecodeTail;
}

const TYPE_CODES = { segmentHeader: 1, entry: 2, hardState: 3, snapshotMarker: 4 } as const;
const ENTRY_TYPE_CODES: Record<EntryType, number> = { normal: 0, confChange: 1 };

// copyBuffers: an entry read back owns its data, rather than keeping its whole segment's buffer alive.
const packr = new Packr({ useRecords: false, moreTypes: false, copyBuffers: true });

/** Frames one record. Throws if its payload exceeds RECORD_PAYLOAD_BYTES_MAX. */
export function encodeRecord(record: WalRecord): Uint8Array {
  const payload = packr.pack(payloadOf(record));
  invariant(payload.length <= RECORD_PAYLOAD_BYTES_MAX, () => `WAL record of ${payload.length} bytes exceeds the limit of ${RECORD_PAYLOAD_BYTES_MAX}`);
  const frame = new Uint8Array(RECORD_HEADER_BYTES + payload.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, payload.length, true);
  frame[8] = TYPE_CODES[record.type];
  frame.set(payload, RECORD_HEADER_BYTES);
  view.setUint32(4, crc32c(frame.subarray(8)), true);
  return frame;
}

function payloadOf(record: WalRecord): unknown[] {
  switch (record.type) {
    case 'segmentHeader':
      return [WAL_MAGIC, WAL_FORMAT_VERSION, record.seq, record.firstIndex];
    case 'entry': {
      const e = record.entry;
      return [e.term, e.index, ENTRY_TYPE_CODES[e.type], e.data];
    }
    case 'hardState':
      return [record.hardState.term, record.hardState.vote, record.hardState.commit];
    case 'snapshotMarker':
      return [record.marker.index, record.marker.term, record.replacesLog];
  }
}

/** Decodes a whole segment's bytes, classifying how they end (see the rule at the top). */
export function decodeRecords(buf: Uint8Array): DecodeResult {
  const records: DecodedRecord[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const parsed = parseAt(buf, offset);
    if (parsed.ok) {
      records.push({ record: parsed.record, offset, end: parsed.end });
      offset = parsed.end;
      continue;
    }
    if (parsed.checksumValid) {
      return { records, validBytes: offset, tail: { kind: 'corrupt', offset, reason: parsed.reason } };
    }
    for (let next = offset + 1; next + RECORD_HEADER_BYTES <= buf.length; next++) {
      if (parseAt(buf, next).ok) {
        return { records, validBytes: offset, tail: { kind: 'corrupt', offset, reason: `${parsed.reason}, yet a valid record follows at offset ${next}` } };
      }
    }
    return { records, validBytes: offset, tail: { kind: 'torn', offset, reason: parsed.reason } };
  }
  return { records, validBytes: offset, tail: { kind: 'clean' } };
}

type Parsed = { ok: true; record: WalRecord; end: number } | { ok: false; checksumValid: boolean; reason: string };

function parseAt(buf: Uint8Array, offset: number): Parsed {
  const remaining = buf.length - offset;
  if (remaining < RECORD_HEADER_BYTES) return { ok: false, checksumValid: false, reason: `short record header (${remaining} of ${RECORD_HEADER_BYTES} bytes)` };
  const view = new DataView(buf.buffer, buf.byteOffset + offset, RECORD_HEADER_BYTES);
  const length = view.getUint32(0, true);
  if (length > RECORD_PAYLOAD_BYTES_MAX) return { ok: false, checksumValid: false, reason: `record length ${length} exceeds the limit` };
  const end = offset + RECORD_HEADER_BYTES + length;
  if (end > buf.length)
    return { ok: false, checksumValid: false, reason: `short record payload (${buf.length - offset - RECORD_HEADER_BYTES} of ${length} bytes)` };
  const stored = view.getUint32(4, true);
  if (crc32c(buf.subarray(offset + 8, end)) !== stored) return { ok: false, checksumValid: false, reason: 'checksum mismatch' };
  const typeCode = buf[offset + 8] as number;
  try {
    return { ok: true, record: decodePayload(typeCode, packr.unpack(buf.subarray(offset + RECORD_HEADER_BYTES, end))), end };
  } catch (err) {
    return { ok: false, checksumValid: true, reason: `record of type ${typeCode} does not decode: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Validates a decoded payload; `unknown` stops here. Throws on anything malformed. */
function decodePayload(typeCode: number, value: unknown): WalRecord {
  if (!Array.isArray(value)) throw new Error('payload is not an array');
  const field = (i: number): unknown => value[i];
  const expectLength = (n: number): void => {
    if (value.length !== n) throw new Error(`payload has ${value.length} fields, expected ${n}`);
  };
  switch (typeCode) {
    case TYPE_CODES.segmentHeader: {
      expectLength(4);
      if (field(0) !== WAL_MAGIC) throw new Error('segment header has the wrong magic: not a picokube WAL');
      if (field(1) !== WAL_FORMAT_VERSION) throw new Error(`unsupported WAL format version ${String(field(1))} (this build reads ${WAL_FORMAT_VERSION})`);
      return { type: 'segmentHeader', seq: natural(field(2), 'seq'), firstIndex: natural(field(3), 'firstIndex') };
    }
    case TYPE_CODES.entry: {
      expectLength(4);
      const typeCode = field(2);
      const type = typeCode === 0 ? 'normal' : typeCode === 1 ? 'confChange' : undefined;
      if (type === undefined) throw new Error(`unknown entry type ${String(typeCode)}`);
      const data = field(3);
      if (!(data instanceof Uint8Array)) throw new Error('entry data is not binary');
      // Copy: a view would keep the whole segment buffer alive as long as the entry lives.
      return { type: 'entry', entry: { term: natural(field(0), 'term'), index: natural(field(1), 'index'), type, data: new Uint8Array(data) } };
    }
    case TYPE_CODES.hardState:
      expectLength(3);
      return { type: 'hardState', hardState: { term: natural(field(0), 'term'), vote: natural(field(1), 'vote'), commit: natural(field(2), 'commit') } };
    case TYPE_CODES.snapshotMarker: {
      expectLength(3);
      const replacesLog = field(2);
      if (typeof replacesLog !== 'boolean') throw new Error('snapshot marker replacesLog is not a boolean');
      return { type: 'snapshotMarker', marker: { index: natural(field(0), 'index'), term: natural(field(1), 'term') }, replacesLog };
    }
    default:
      throw new Error(`unknown record type ${typeCode}`);
  }
}

function natural(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new Error(`${name} is not a non-negative integer`);
  return value;
}
