import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import t from 'tap';
import type { WalRecord } from '../../../../raft/storage/wal-record.js';
import { RECORD_HEADER_BYTES, decodeRecords, encodeRecord } from '../../../../raft/storage/wal-record.js';
import { crc32c } from '../../../../raft/storage/crc32c.js';
import { entry } from './fixtures/storage-fixtures.js';

const RECORDS: WalRecord[] = [
  { type: 'segmentHeader', seq: 7, firstIndex: 2 ** 40 },
  { type: 'entry', entry: entry(1, 1) },
  { type: 'entry', entry: { index: 2, term: 1, type: 'confChange', data: new Uint8Array([0, 255, 7]) } },
  { type: 'entry', entry: { index: 3, term: 2, type: 'normal', data: new Uint8Array(0) } },
  { type: 'hardState', hardState: { term: 2, vote: 3, commit: 1 } },
  { type: 'snapshotMarker', marker: { index: 9, term: 2 }, replacesLog: true },
  { type: 'snapshotMarker', marker: { index: 0, term: 0 }, replacesLog: false },
];

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function stream(records: readonly WalRecord[]): { bytes: Uint8Array; offsets: number[] } {
  const frames = records.map(encodeRecord);
  const offsets: number[] = [];
  let at = 0;
  for (const f of frames) {
    offsets.push(at);
    at += f.length;
  }
  return { bytes: concat(frames), offsets };
}

t.test('every record type survives encoding and decoding unchanged', async (t) => {
  const { bytes } = stream(RECORDS);
  const decoded = decodeRecords(bytes);
  t.same(decoded.tail, { kind: 'clean' });
  t.equal(decoded.validBytes, bytes.length);
  t.same(
    decoded.records.map((r) => r.record),
    RECORDS,
  );
});

t.test('a decoded entry owns its data rather than viewing the segment buffer', async (t) => {
  const { bytes } = stream([{ type: 'entry', entry: entry(1, 1, 'abc') }]);
  const [first] = decodeRecords(bytes).records;
  if (first?.record.type !== 'entry') throw new Error('expected an entry');
  t.equal(first.record.entry.data.byteLength, 3);
  t.equal(first.record.entry.data.buffer.byteLength, 3);
  t.equal(Object.getPrototypeOf(first.record.entry.data), Uint8Array.prototype);
});

t.test('a frame is length, checksum of type and payload, type, payload', async (t) => {
  const frame = encodeRecord({ type: 'hardState', hardState: { term: 1, vote: 2, commit: 3 } });
  const view = new DataView(frame.buffer);
  t.equal(view.getUint32(0, true), frame.length - RECORD_HEADER_BYTES);
  t.equal(view.getUint32(4, true), crc32c(frame.subarray(8)));
  t.equal(frame[8], 3);
});

t.test('an empty buffer is a clean end with no records', async (t) => {
  t.same(decodeRecords(new Uint8Array(0)), { records: [], validBytes: 0, tail: { kind: 'clean' } });
});

t.test('a last record cut anywhere is a torn tail at its start, keeping every record before it', async (t) => {
  const { bytes, offsets } = stream(RECORDS);
  const lastStart = offsets[offsets.length - 1] as number;
  for (let cut = lastStart + 1; cut < bytes.length; cut++) {
    const decoded = decodeRecords(bytes.subarray(0, cut));
    t.equal(decoded.tail.kind, 'torn', `cut at ${cut}`);
    t.equal(decoded.validBytes, lastStart);
    t.equal(decoded.records.length, RECORDS.length - 1);
  }
});

t.test('garbage or zeros after the last good record are a torn tail', async (t) => {
  const { bytes } = stream(RECORDS.slice(0, 3));
  const zeros = decodeRecords(concat([bytes, new Uint8Array(100)]));
  t.same(zeros.tail, { kind: 'torn', offset: bytes.length, reason: zeros.tail.kind === 'torn' ? zeros.tail.reason : '' });
  t.equal(zeros.records.length, 3);
  const ones = decodeRecords(concat([bytes, new Uint8Array(5).fill(0xff)]));
  t.equal(ones.tail.kind, 'torn');
  t.equal(ones.validBytes, bytes.length);
});

t.test('a checksum mismatch in the last record is a torn tail', async (t) => {
  const { bytes, offsets } = stream(RECORDS);
  const damaged = bytes.slice();
  const last = offsets[offsets.length - 1] as number;
  damaged[last + RECORD_HEADER_BYTES] = (damaged[last + RECORD_HEADER_BYTES] as number) ^ 0x01;
  const decoded = decodeRecords(damaged);
  t.match(decoded.tail, { kind: 'torn', offset: last, reason: /checksum/ });
});

t.test('a flipped byte in a record followed by valid records is corruption at that record', async (t) => {
  const { bytes, offsets } = stream(RECORDS);
  for (const victim of [1, 2, 4]) {
    const damaged = bytes.slice();
    const at = (offsets[victim] as number) + RECORD_HEADER_BYTES + 1;
    damaged[at] = (damaged[at] as number) ^ 0x40;
    const decoded = decodeRecords(damaged);
    t.match(decoded.tail, { kind: 'corrupt', offset: offsets[victim], reason: /valid record follows/ }, `record ${victim}`);
    t.equal(decoded.records.length, victim);
  }
});

t.test('a damaged length field in the middle is corruption, not a torn tail', async (t) => {
  const { bytes, offsets } = stream(RECORDS);
  const damaged = bytes.slice();
  const at = offsets[2] as number;
  new DataView(damaged.buffer).setUint32(at, 1_000_000, true);
  t.match(decodeRecords(damaged).tail, { kind: 'corrupt', offset: at });
});

t.test('a record with a right checksum but an unknown type is corruption even at the end', async (t) => {
  const frame = encodeRecord({ type: 'hardState', hardState: { term: 1, vote: 0, commit: 0 } });
  frame[8] = 99;
  new DataView(frame.buffer).setUint32(4, crc32c(frame.subarray(8)), true);
  t.match(decodeRecords(frame).tail, { kind: 'corrupt', offset: 0, reason: /unknown record type 99/ });
});

t.test('a segment header from another program or format version does not decode', async (t) => {
  const frame = encodeRecord({ type: 'segmentHeader', seq: 1, firstIndex: 1 });
  // The magic string is in the payload; damage it and re-seal the checksum.
  const at = frame.indexOf(0x70); // 'p' of "picokube-wal"
  frame[at] = 0x71;
  new DataView(frame.buffer).setUint32(4, crc32c(frame.subarray(8)), true);
  t.match(decodeRecords(frame).tail, { kind: 'corrupt', reason: /wrong magic/ });
});

t.test('any prefix of a valid stream decodes as a prefix of its records, cleanly or with a torn tail', async (t) => {
  const arbRecord: fc.Arbitrary<WalRecord> = fc.oneof(
    fc
      .record({ index: fc.nat(1000), term: fc.nat(50), data: fc.uint8Array({ maxLength: 40 }) })
      .map(({ index, term, data }): WalRecord => ({ type: 'entry', entry: { index, term, type: 'normal', data } })),
    fc
      .record({ term: fc.nat(50), vote: fc.nat(5), commit: fc.nat(1000) })
      .map(({ term, vote, commit }): WalRecord => ({ type: 'hardState', hardState: { term, vote, commit } })),
  );
  fc.assert(
    fc.property(fc.array(arbRecord, { minLength: 1, maxLength: 8 }), fc.double({ min: 0, max: 1, noNaN: true }), (records, fraction) => {
      const { bytes, offsets } = stream(records);
      const cut = Math.floor(bytes.length * fraction);
      const decoded = decodeRecords(bytes.subarray(0, cut));
      const expected = records.filter((_, i) => (offsets[i + 1] ?? bytes.length) <= cut);
      if (decoded.tail.kind === 'corrupt') return false;
      if (decoded.tail.kind === 'clean' && decoded.validBytes !== cut) return false;
      return isDeepStrictEqual(
        decoded.records.map((r) => r.record),
        expected,
      );
    }),
    { seed: 3, numRuns: 300 },
  );
  t.pass();
});
