import fc from 'fast-check';
import { Packr } from 'msgpackr';
import type { Test } from 'tap';
import t from 'tap';
import type { Entry, Message, MessageType } from '../../../../raft/core/types.js';
import {
  decodeFrame,
  encodeFrame,
  FRAME_VERSION,
  type Frame,
  FrameError,
  messageBytesEstimate,
  RAFT_FRAME_OVERHEAD_BYTES,
} from '../../../../raft/transport/codec.js';
import { bytes, everyMessageType, snapshot } from './transport-fixtures.js';

/** Encodes any value as msgpack, the way a confused or hostile peer might. */
const raw = new Packr({ useRecords: false, moreTypes: false });
const pack = (value: unknown): Uint8Array => raw.pack(value);

const raftFrame = (msgs: Message[]): Frame => ({ v: FRAME_VERSION, kind: 'raft', msgs });

/** Every Uint8Array in a decoded value is a plain Uint8Array (not a Buffer, not a copy of a number array). */
function allBytesArePlain(value: unknown): boolean {
  if (value instanceof Uint8Array) return value.constructor === Uint8Array;
  if (Array.isArray(value)) return value.every(allBytesArePlain);
  if (typeof value === 'object' && value !== null) return Object.values(value).every(allBytesArePlain);
  return true;
}

function throwsFrameError(t: Test, fn: () => unknown, reason: FrameError['reason'], what: string): void {
  try {
    fn();
    t.fail(`${what}: expected a FrameError (${reason})`);
  } catch (err) {
    t.ok(err instanceof FrameError, `${what}: throws a FrameError`);
    t.equal((err as FrameError).reason, reason, `${what}: reason ${reason}`);
  }
}

t.test('every message type survives a roundtrip with all its fields, bytes as Uint8Array', async (t) => {
  const msgs = everyMessageType(1, 2);
  const decoded = decodeFrame(encodeFrame(raftFrame(msgs)));
  t.same(decoded, raftFrame(msgs));
  t.ok(allBytesArePlain(decoded), 'entries, snapshot data and contexts come back as Uint8Array');
  if (decoded.kind !== 'raft') throw new Error('not a raft frame');
  const snap = decoded.msgs.find((m) => m.type === 'snap')?.snapshot;
  t.same(snap?.data, snapshot(100, 4, 1000).data, 'snapshot data is byte-for-byte equal');
  t.ok(
    decoded.msgs.every((m) => !Object.values(m).includes(undefined)),
    'absent optional fields stay absent, not undefined',
  );
});

t.test('the handshake frames survive a roundtrip', async (t) => {
  const nonce = new Uint8Array(32).fill(7);
  const frames: Frame[] = [
    { v: FRAME_VERSION, kind: 'challenge', nonce },
    { v: FRAME_VERSION, kind: 'hello', id: 3, clusterId: 'picokube-dev', nonce2: nonce, mac: new Uint8Array(32).fill(9) },
    { v: FRAME_VERSION, kind: 'welcome', id: 4, mac: new Uint8Array(32).fill(1) },
  ];
  for (const f of frames) t.same(decodeFrame(encodeFrame(f)), f, f.kind);
});

t.test('decoded bytes do not alias the frame they came in', async (t) => {
  const frame = encodeFrame(raftFrame([{ type: 'heartbeat', from: 1, to: 2, term: 1, context: bytes(1, 2, 3) }]));
  const decoded = decodeFrame(frame);
  frame.fill(0);
  t.same(decoded.kind === 'raft' ? decoded.msgs[0]?.context : undefined, bytes(1, 2, 3));
});

const arbBytes = fc.uint8Array({ maxLength: 64 });
const arbId = fc.integer({ min: 1, max: 2 ** 31 });
const arbUint = fc.nat();
const arbEntries = (after: number): fc.Arbitrary<Entry[]> =>
  fc.array(fc.tuple(fc.constantFrom<Entry['type']>('normal', 'confChange'), arbBytes, fc.nat({ max: 3 })), { maxLength: 8 }).map((specs) => {
    let term = 1;
    return specs.map(([type, data, bump], i) => {
      term += bump;
      return { term, index: after + 1 + i, type, data };
    });
  });
const arbMessage: fc.Arbitrary<Message> = fc
  .record(
    {
      type: fc.constantFrom<MessageType>('app', 'appResp', 'vote', 'voteResp', 'heartbeat', 'heartbeatResp', 'snap', 'readIndex'),
      from: arbId,
      to: arbId,
      term: arbUint,
      index: fc.nat({ max: 1_000_000 }),
      commit: arbUint,
      reject: fc.boolean(),
      rejectHint: arbUint,
      context: arbBytes,
      transfer: fc.boolean(),
      snapshot: fc.record({
        metadata: fc.record({
          index: arbUint,
          term: arbUint,
          confState: fc.record({ voters: fc.array(arbId, { maxLength: 5 }), learners: fc.array(arbId, { maxLength: 3 }) }),
        }),
        data: fc.uint8Array({ maxLength: 2048 }),
      }),
    },
    { requiredKeys: ['type', 'from', 'to', 'term'] },
  )
  .chain((m) => {
    const withSnap =
      m.type === 'snap' && !m.snapshot ? { ...m, snapshot: { metadata: { index: 1, term: 1, confState: { voters: [1], learners: [] } }, data: bytes() } } : m;
    // Entries must follow `index` with non-decreasing terms; logTerm 0 keeps any first term valid.
    if (m.type !== 'app') return fc.constant<Message>(withSnap);
    return arbEntries(m.index ?? 0).map((entries): Message => ({ ...withSnap, logTerm: 0, entries }));
  });

t.test('any well-formed batch of messages survives a roundtrip unchanged', async (t) => {
  fc.assert(
    fc.property(fc.array(arbMessage, { minLength: 1, maxLength: 10 }), (msgs) => {
      const decoded = decodeFrame(encodeFrame(raftFrame(msgs)));
      t.same(decoded, raftFrame(msgs));
      return decoded.kind === 'raft' && decoded.msgs.length === msgs.length && allBytesArePlain(decoded);
    }),
    { seed: 7, numRuns: 300 },
  );
});

t.test('the size estimate of a message is never below its encoded size', async (t) => {
  fc.assert(
    fc.property(fc.array(arbMessage, { minLength: 1, maxLength: 10 }), (msgs) => {
      const estimate = msgs.reduce((sum, m) => sum + messageBytesEstimate(m), RAFT_FRAME_OVERHEAD_BYTES);
      return encodeFrame(raftFrame(msgs)).byteLength <= estimate;
    }),
    { seed: 8, numRuns: 500 },
  );
  const big = everyMessageType(2 ** 40, 2 ** 40 + 1).map((m) => ({ ...m, term: 2 ** 52, commit: 2 ** 52 }));
  for (const m of big) t.ok(encodeFrame(raftFrame([m])).byteLength <= messageBytesEstimate(m) + RAFT_FRAME_OVERHEAD_BYTES, `${m.type} with huge numbers`);
});

/** Either a valid frame or a FrameError; anything else thrown fails the property. */
function decodesOrFrameError(input: Uint8Array): boolean {
  try {
    decodeFrame(input);
    return true;
  } catch (err) {
    return err instanceof FrameError;
  }
}

t.test('random bytes never make the decoder throw anything but a FrameError', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), decodesOrFrameError), { seed: 1, numRuns: 5000 });
  t.pass();
});

t.test('any msgpack value that is not a frame is refused with a FrameError', async (t) => {
  fc.assert(
    fc.property(fc.anything({ withBigInt: true, withTypedArray: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true }), (value) => {
      let encoded: Uint8Array;
      try {
        encoded = pack(value);
      } catch {
        return true; // not encodable: not a case
      }
      try {
        decodeFrame(encoded);
        return false; // random values are never valid frames
      } catch (err) {
        return err instanceof FrameError;
      }
    }),
    { seed: 2, numRuns: 2000 },
  );
  t.pass();
});

t.test('flipping or truncating bytes of a valid frame never throws anything but a FrameError', async (t) => {
  const valid = encodeFrame(raftFrame(everyMessageType(1, 2)));
  fc.assert(
    fc.property(fc.nat({ max: valid.byteLength - 1 }), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, xor, truncate) => {
      const damaged = truncate ? valid.slice(0, at) : valid.slice();
      if (!truncate) damaged[at] = (damaged[at] as number) ^ xor;
      return decodesOrFrameError(damaged);
    }),
    { seed: 3, numRuns: 3000 },
  );
  t.pass();
});

t.test('a frame of another version is refused as such', async (t) => {
  const msgs = [{ type: 'heartbeat', from: 1, to: 2, term: 1 }];
  for (const v of [0, 2, '1', null, undefined]) {
    throwsFrameError(t, () => decodeFrame(pack({ v, kind: 'raft', msgs })), 'version', `v=${String(v)}`);
  }
  throwsFrameError(t, () => decodeFrame(pack({ kind: 'raft', msgs })), 'version', 'no version');
});

t.test('malformed shapes are refused with a FrameError naming the field', async (t) => {
  const ok = { type: 'app', from: 1, to: 2, term: 3, index: 4, logTerm: 2, commit: 4, entries: [{ term: 2, index: 5, type: 'normal', data: bytes(1) }] };
  const frameWith = (m: unknown): Uint8Array => pack({ v: 1, kind: 'raft', msgs: [m] });
  const cases: [string, Uint8Array][] = [
    ['not a map', pack([1, 'raft'])],
    ['a string', pack('hello')],
    ['unknown kind', pack({ v: 1, kind: 'gossip' })],
    ['msgs not an array', pack({ v: 1, kind: 'raft', msgs: { 0: ok } })],
    ['empty batch', pack({ v: 1, kind: 'raft', msgs: [] })],
    ['unknown message type', frameWith({ ...ok, type: 'appendEntries' })],
    ['from missing', frameWith({ ...ok, from: undefined })],
    ['from zero', frameWith({ ...ok, from: 0 })],
    ['negative term', frameWith({ ...ok, term: -1 })],
    ['fractional index', frameWith({ ...ok, index: 1.5 })],
    ['term as a string', frameWith({ ...ok, term: '3' })],
    ['term as a bigint', frameWith({ ...ok, term: 3n })],
    ['term beyond 2^53', frameWith({ ...ok, term: 2 ** 60 })],
    ['reject as a number', frameWith({ ...ok, reject: 1 })],
    ['context as a string', frameWith({ ...ok, context: 'abc' })],
    ['context as a number array', frameWith({ ...ok, context: [1, 2, 3] })],
    ['entry data as a string', frameWith({ ...ok, entries: [{ term: 2, index: 5, type: 'normal', data: 'x' }] })],
    ['entry data as a number array', frameWith({ ...ok, entries: [{ term: 2, index: 5, type: 'normal', data: [1] }] })],
    ['entry type unknown', frameWith({ ...ok, entries: [{ term: 2, index: 5, type: 'noop', data: bytes() }] })],
    ['entry missing its term', frameWith({ ...ok, entries: [{ index: 5, type: 'normal', data: bytes() }] })],
    ['entries not following index', frameWith({ ...ok, entries: [{ term: 2, index: 7, type: 'normal', data: bytes() }] })],
    ['entry terms decreasing', frameWith({ ...ok, logTerm: 3, entries: [{ term: 2, index: 5, type: 'normal', data: bytes() }] })],
    ['entries not an array', frameWith({ ...ok, entries: 'none' })],
    ['snap without a snapshot', frameWith({ type: 'snap', from: 1, to: 2, term: 1 })],
    ['snapshot data as a string', frameWith({ type: 'snap', from: 1, to: 2, term: 1, snapshot: { ...snapshot(1, 1), data: 'x' } })],
    [
      'snapshot voters not ids',
      frameWith({
        type: 'snap',
        from: 1,
        to: 2,
        term: 1,
        snapshot: { metadata: { index: 1, term: 1, confState: { voters: ['a'], learners: [] } }, data: bytes() },
      }),
    ],
    ['snapshot without metadata', frameWith({ type: 'snap', from: 1, to: 2, term: 1, snapshot: { data: bytes() } })],
    ['hello without a mac', pack({ v: 1, kind: 'hello', id: 1, clusterId: 'c', nonce2: bytes(1) })],
    ['hello with a numeric cluster id', pack({ v: 1, kind: 'hello', id: 1, clusterId: 7, nonce2: bytes(1), mac: bytes(1) })],
    ['challenge nonce as a string', pack({ v: 1, kind: 'challenge', nonce: 'n' })],
    ['welcome id zero', pack({ v: 1, kind: 'welcome', id: 0, mac: bytes(1) })],
  ];
  for (const [what, input] of cases) throwsFrameError(t, () => decodeFrame(input), 'shape', what);
});

t.test('bytes that are not one msgpack value are refused as undecodable', async (t) => {
  const valid = encodeFrame(raftFrame(everyMessageType(1, 2)));
  throwsFrameError(t, () => decodeFrame(new Uint8Array(0)), 'undecodable', 'empty');
  throwsFrameError(t, () => decodeFrame(valid.slice(0, valid.byteLength - 1)), 'undecodable', 'truncated');
  const twice = new Uint8Array([...valid, ...valid]);
  throwsFrameError(t, () => decodeFrame(twice), 'undecodable', 'two values');
});

t.test('a frame over the size limit is refused before it is decoded', async (t) => {
  const frame = encodeFrame(raftFrame([{ type: 'snap', from: 1, to: 2, term: 1, snapshot: snapshot(5, 1, 5000) }]));
  throwsFrameError(t, () => decodeFrame(frame, 4096), 'oversized', 'over a 4 KiB limit');
  throwsFrameError(t, () => decodeFrame(new Uint8Array(5000).fill(0xc1), 4096), 'oversized', 'garbage over the limit');
  t.equal(decodeFrame(frame, frame.byteLength).kind, 'raft', 'exactly at the limit is fine');
});

t.test('unknown fields are ignored and not passed on', async (t) => {
  const decoded = decodeFrame(pack({ v: 1, kind: 'raft', extra: 1, msgs: [{ type: 'vote', from: 1, to: 2, term: 1, future: 'x' }] }));
  t.same(decoded, raftFrame([{ type: 'vote', from: 1, to: 2, term: 1 }]));
  t.notOk(decoded.kind === 'raft' && 'future' in (decoded.msgs[0] ?? {}), 'the unknown field is dropped');
});

t.test('a __proto__ key in a frame pollutes nothing', async (t) => {
  const hostile = JSON.parse(
    '{"__proto__": {"polluted": 1}, "v": 1, "kind": "raft", "msgs": [{"type": "vote", "from": 1, "to": 2, "term": 1, "__proto__": {"reject": true}}]}',
  );
  const decoded = decodeFrame(pack(hostile));
  t.same(decoded, raftFrame([{ type: 'vote', from: 1, to: 2, term: 1 }]));
  t.equal((decoded as { polluted?: unknown }).polluted, undefined);
  t.equal(({} as { polluted?: unknown }).polluted, undefined);
  t.equal(decoded.kind === 'raft' ? decoded.msgs[0]?.reject : 'x', undefined);
});
