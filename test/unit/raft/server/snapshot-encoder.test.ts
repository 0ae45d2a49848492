import t from 'tap';
import { MvccStore } from '../../../../raft/kv/mvcc-store.js';
import { decodeStateSnapshot, encodeStateSnapshot, stateSnapshotParts } from '../../../../raft/server/members.js';
import { assembleInSlices, encodeStateSnapshotInSlices } from '../../../../raft/server/snapshot-encoder.js';

/**
 * The replica's snapshot encoder: a store snapshotted a slice at a time, with writes and a
 * compaction landing at every pause, comes out exactly as it was when the snapshot started,
 * in the same bytes the one-go encoding gives.
 */

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const MEMBERS = [
  { id: 1, peerAddress: '127.0.0.1:2380', clientAddress: '127.0.0.1:2379' },
  { id: 2, peerAddress: '127.0.0.1:2390', clientAddress: '127.0.0.1:2389' },
];

t.test('the state snapshot from slices is the bytes of the one-go encoding, for every size of kv snapshot', async (t) => {
  for (const n of [0, 10, 300, 70_000]) {
    const kv = new Uint8Array(n).fill(9);
    const parts = stateSnapshotParts([kv.subarray(0, n >> 1), kv.subarray(n >> 1)], n, MEMBERS);
    const whole = encodeStateSnapshot({ kv, members: MEMBERS });
    t.ok(Buffer.concat(parts).equals(Buffer.from(whole)), `${n} kv bytes`);
  }
});

t.test('a snapshot encoded in slices while writes and a compaction land between them is the state it started at', async (t) => {
  const store = new MvccStore();
  for (let i = 0; i < 2000; i++) store.put(`/registry/pods/ns/p${String(i).padStart(4, '0')}`, b(`v${i}`));
  for (let i = 0; i < 2000; i += 3) store.deleteRange(`/registry/pods/ns/p${String(i).padStart(4, '0')}`);
  const atStart = encodeStateSnapshot({ kv: store.snapshot(), members: MEMBERS });
  const hashAtStart = store.hash();
  let pauses = 0;
  const pause = async (): Promise<void> => {
    pauses++;
    // Writes between slices: changes, deletes, new keys on both sides of the walk, and a compaction.
    store.put(`/registry/pods/ns/p${String(pauses * 7).padStart(4, '0')}`, b(`changed${pauses}`));
    store.deleteRange(`/registry/pods/ns/p${String(pauses * 11 + 1).padStart(4, '0')}`);
    store.put(`/registry/a/${pauses}`, b('new'));
    store.put(`/registry/z/${pauses}`, b('new'));
    if (pauses === 3) store.compact(store.revision - 5);
  };
  const encoded = await encodeStateSnapshotInSlices(store, MEMBERS, { sliceMs: 0, pause });
  t.ok(pauses > 10, `it took ${encoded.slices} slices`);
  const data = await assembleInSlices(encoded.parts, { copyBytesPerTurn: 1000, pause: async () => {} });
  t.equal(data.byteLength, encoded.byteLength);
  t.ok(Buffer.from(data).equals(Buffer.from(atStart)), 'the bytes of the state at the start');
  const restored = new MvccStore();
  restored.restore(decodeStateSnapshot(data).kv ?? new Uint8Array(0));
  t.same(restored.hash(), hashAtStart, 'restores to the key space at the start');
  t.equal(encoded.revision, hashAtStart.revision);
  t.same(decodeStateSnapshot(data).members, MEMBERS);
});
