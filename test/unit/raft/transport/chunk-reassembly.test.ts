import t from 'tap';
import type { Message } from '../../../../raft/core/types.js';
import { crc32c } from '../../../../raft/storage/crc32c.js';
import { type ChunkOutcome, Reassembly } from '../../../../raft/transport/chunk-reassembly.js';
import { OutgoingTransfer } from '../../../../raft/transport/chunk-sender.js';
import { type ChunkFrame, decodeFrame, encodeFrame, encodeSnapshotFrameParts, FRAME_VERSION } from '../../../../raft/transport/codec.js';
import { bytes, snapshot } from './transport-fixtures.js';

/**
 * The two halves of a chunked transfer without sockets: what the sender cuts, the receiver puts
 * back byte for byte, and the receiver refuses anything else within its bounds.
 */

const snapMsg = (dataBytes: number): Message => ({
  type: 'snap',
  from: 1,
  to: 2,
  term: 9,
  // `context` after `snapshot`: the encoder must still put the snapshot data last.
  snapshot: snapshot(500, 8, dataBytes),
  context: bytes(1, 2, 3),
});

const chunksOf = (out: OutgoingTransfer): ChunkFrame[] => {
  const frames: ChunkFrame[] = [];
  while (!out.done) {
    const f = decodeFrame(out.next());
    if (f.kind !== 'chunk') throw new Error(`expected a chunk frame, got ${f.kind}`);
    frames.push(f);
  }
  return frames;
};

const chunk = (fields: Partial<ChunkFrame> & { readonly data: Uint8Array }): ChunkFrame => ({
  v: FRAME_VERSION,
  kind: 'chunk',
  id: 1,
  index: 0,
  count: 1,
  total: fields.data.byteLength,
  crc: crc32c(fields.data),
  ...fields,
});

const limits = { totalBytesMax: 1 << 20, idleTimeoutMs: 1000 };

t.test('the head plus the snapshot data, uncopied, decode as the whole frame would', async (t) => {
  const m = snapMsg(3000);
  const { head, data } = encodeSnapshotFrameParts(m as Message & { snapshot: NonNullable<Message['snapshot']> });
  t.equal(data, m.snapshot?.data, 'the data is the message’s own buffer');
  const whole = new Uint8Array(head.byteLength + data.byteLength);
  whole.set(head);
  whole.set(data, head.byteLength);
  const frame = decodeFrame(whole);
  t.same(frame, { v: FRAME_VERSION, kind: 'raft', msgs: [m] });
});

t.test('a message cut into chunks comes back byte for byte, including a chunk straddling head and data', async (t) => {
  const m = snapMsg(10_000);
  const out = new OutgoingTransfer(5, m, 97); // the head is longer than 97 bytes: chunks straddle
  const frames = chunksOf(out);
  t.equal(frames.length, out.count);
  t.ok(frames.every((f) => f.id === 5 && f.total === out.total && f.count === out.count));
  const held: number[] = [];
  const r = new Reassembly(limits, (d) => held.push(d));
  const outcomes = frames.map((f, i) => r.accept(f, i));
  t.ok(outcomes.slice(0, -1).every((o) => o.kind === 'partial'));
  const last = outcomes.at(-1);
  if (last?.kind !== 'complete') throw new Error(`expected complete, got ${last?.kind}`);
  const frame = decodeFrame(last.bytes, limits.totalBytesMax, { borrow: true });
  t.same(frame, { v: FRAME_VERSION, kind: 'raft', msgs: [m] });
  t.same(held, [out.total, -out.total], 'allocated once at the total, released on completion');
  t.equal(r.heldBytes, 0);
});

t.test('a transfer declaring more than the limit is refused as oversized before anything is allocated', async (t) => {
  const held: number[] = [];
  const r = new Reassembly(limits, (d) => held.push(d));
  const o = r.accept(chunk({ data: bytes(1), total: (1 << 20) + 1, count: 2 }), 0);
  t.equal(o.kind, 'refused');
  t.equal(o.kind === 'refused' && o.reason, 'oversized');
  t.same(held, []);
  t.same(r.accept(chunk({ data: bytes(1), index: 1, total: (1 << 20) + 1, count: 2 }), 0), { kind: 'ignored' }, 'its tail is not counted twice');
});

t.test('bad chunks end their transfer, release its buffer, and are refused', async (t) => {
  const data = new Uint8Array(100).fill(7);
  const cases: [string, ChunkFrame][] = [
    ['an index out of order', chunk({ data: data.subarray(0, 10), index: 2, count: 10, total: 100 })],
    ['a different count', chunk({ data: data.subarray(0, 10), index: 1, count: 11, total: 100 })],
    ['a different total', chunk({ data: data.subarray(0, 10), index: 1, count: 10, total: 99 })],
    ['a CRC mismatch', { ...chunk({ data: data.subarray(0, 10), index: 1, count: 10, total: 100 }), crc: 12345 }],
    ['more data than the total', chunk({ data, index: 1, count: 10, total: 100 })],
    ['an empty chunk', chunk({ data: new Uint8Array(0), index: 1, count: 10, total: 100 })],
  ];
  for (const [what, bad] of cases) {
    const r = new Reassembly(limits);
    t.equal(r.accept(chunk({ data: data.subarray(0, 10), count: 10, total: 100 }), 0).kind, 'partial');
    t.equal(r.heldBytes, 100);
    const o: ChunkOutcome = r.accept(bad, 1);
    t.equal(o.kind, 'refused', what);
    t.equal(r.heldBytes, 0, `${what}: buffer released`);
  }
});

t.test('a chunk of a transfer that never started is refused; a new transfer replaces an unfinished one', async (t) => {
  const r = new Reassembly(limits);
  t.equal(r.accept(chunk({ id: 40, index: 3, count: 5, total: 50, data: bytes(1) }), 0).kind, 'refused');
  t.equal(r.accept(chunk({ id: 41, count: 2, total: 4, data: bytes(1, 2) }), 0).kind, 'partial');
  t.equal(r.accept(chunk({ id: 42, count: 2, total: 6, data: bytes(1, 2, 3) }), 0).kind, 'partial');
  t.equal(r.heldBytes, 6, 'only the newer transfer is held');
  t.equal(r.accept(chunk({ id: 41, index: 1, count: 2, total: 4, data: bytes(3, 4) }), 0).kind, 'refused', 'the replaced one is gone');
  const o = r.accept(chunk({ id: 42, index: 1, count: 2, total: 6, data: bytes(4, 5, 6) }), 0);
  t.same(o.kind === 'complete' ? [...o.bytes] : o, [1, 2, 3, 4, 5, 6]);
});

t.test('too few bytes over all chunks, or a zero total, are refused', async (t) => {
  const r = new Reassembly(limits);
  t.equal(r.accept(chunk({ count: 2, total: 10, data: bytes(1) }), 0).kind, 'partial');
  t.equal(r.accept(chunk({ index: 1, count: 2, total: 10, data: bytes(2) }), 0).kind, 'refused');
  t.equal(r.heldBytes, 0);
  t.equal(r.accept(chunk({ id: 2, count: 1, total: 0, data: new Uint8Array(0) }), 0).kind, 'refused');
});

t.test('a transfer with no chunk for the idle timeout is abandoned and its memory released', async (t) => {
  const held: number[] = [];
  const r = new Reassembly(limits, (d) => held.push(d));
  r.accept(chunk({ count: 3, total: 30, data: new Uint8Array(10) }), 1000);
  r.accept(chunk({ index: 1, count: 3, total: 30, data: new Uint8Array(10) }), 1500);
  t.equal(r.expire(2499), false, 'not idle long enough');
  t.equal(r.heldBytes, 30);
  t.equal(r.expire(2500), true);
  t.equal(r.heldBytes, 0);
  t.same(held, [30, -30]);
  t.same(r.accept(chunk({ index: 2, count: 3, total: 30, data: new Uint8Array(10) }), 2600), { kind: 'ignored' }, 'a late chunk of it is ignored');
  t.equal(r.expire(10_000), false, 'nothing left to expire');
});

t.test('clear() drops the transfer in progress', async (t) => {
  const r = new Reassembly(limits);
  r.accept(chunk({ count: 3, total: 30, data: new Uint8Array(10) }), 0);
  r.clear();
  t.equal(r.heldBytes, 0);
  t.equal(r.inProgress, undefined);
});

t.test('the codec refuses chunk frames that are malformed on their own', async (t) => {
  const bad: [string, Record<string, unknown>][] = [
    ['index not below count', { id: 1, index: 2, count: 2, total: 5, crc: 0, data: bytes(1) }],
    ['zero count', { id: 1, index: 0, count: 0, total: 5, crc: 0, data: bytes(1) }],
    ['data longer than total', { id: 1, index: 0, count: 1, total: 1, crc: 0, data: bytes(1, 2) }],
    ['crc over 32 bits', { id: 1, index: 0, count: 1, total: 1, crc: 2 ** 32, data: bytes(1) }],
    ['no data', { id: 1, index: 0, count: 1, total: 1, crc: 0 }],
  ];
  for (const [what, fields] of bad) {
    const frame = encodeFrame({ v: FRAME_VERSION, kind: 'chunk', ...fields } as unknown as ChunkFrame);
    t.throws(() => decodeFrame(frame), { name: 'FrameError', reason: 'shape' }, what);
  }
});
