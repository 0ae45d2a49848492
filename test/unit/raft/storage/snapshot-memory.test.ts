import { Packr } from 'msgpackr';
import t from 'tap';
import { SnapshotTemporarilyUnavailableError } from '../../../../raft/core/errors.js';
import type { Snapshot } from '../../../../raft/core/types.js';
import { crc32c } from '../../../../raft/storage/crc32c.js';
import { DiskStorage } from '../../../../raft/storage/disk-storage.js';
import { MemFs } from '../../../../raft/storage/mem-fs.js';
import { SnapshotStore } from '../../../../raft/storage/snapshot-store.js';
import { entries, hardState } from './fixtures/storage-fixtures.js';

/**
 * Large snapshots without large copies: a snapshot saved from slices is the same file as one
 * saved from one buffer, and storage can forget a snapshot's data once it is on disk, reading
 * it back (while the core is told "temporarily unavailable") when a follower needs it.
 */

const CONF = { voters: [1, 2, 3], learners: [4] };
const packr = new Packr({ useRecords: false, moreTypes: false });

function bytes(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * seed) % 251;
  return out;
}

/** Every way of cutting `data` in three. */
function thirds(data: Uint8Array): Uint8Array[] {
  const a = Math.floor(data.byteLength / 3);
  return [data.subarray(0, a), data.subarray(a, 2 * a), data.subarray(2 * a)];
}

t.test('a snapshot saved from slices is byte for byte the file of the whole msgpack body, checksum included, at every bin size', async (t) => {
  const fs = new MemFs();
  let pauses = 0;
  const store = await SnapshotStore.open(fs, '/snap', async () => {
    pauses++;
  });
  for (const n of [0, 1, 255, 256, 65_535, 65_536, 20 * 1024 * 1024]) {
    const data = bytes(n);
    const metadata = { index: 10 + n, term: 3, confState: CONF };
    const ref = await store.save({ metadata, data: thirds(data) });
    const file = await fs.readFile(`/snap/${ref.name}`);
    const body = packr.pack([metadata.index, 3, CONF.voters, CONF.learners, data]);
    t.ok(Buffer.from(file.subarray(12)).equals(Buffer.from(body)), `${n} bytes: the body is the packed array`);
    t.equal(new DataView(file.buffer, file.byteOffset).getUint32(8, true), crc32c(body), `${n} bytes: the checksum covers it`);
    t.ok(Buffer.from((await store.load(ref)).data).equals(Buffer.from(data)), `${n} bytes: it loads back`);
  }
  t.ok(pauses >= 4, `the 20 MiB checksums paused between slices on save and on load (${pauses} pauses)`);
});

/** A storage with entries 1..10 (term 1). */
async function withEntries(fs: MemFs): Promise<DiskStorage> {
  const s = await DiskStorage.open({ fs, dir: '/data' });
  await s.save(hardState(1, 1, 10), entries(1, 10, 1));
  await s.sync();
  return s;
}

/** Asks for the snapshot until it is back in memory; counts the "temporarily unavailable" answers. */
async function snapshotWhenLoaded(s: DiskStorage): Promise<{ snapshot: Snapshot; unavailable: number }> {
  let unavailable = 0;
  for (;;) {
    try {
      return { snapshot: s.snapshot(), unavailable };
    } catch (e) {
      if (!(e instanceof SnapshotTemporarilyUnavailableError)) throw e;
      unavailable++;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

t.test('a snapshot created from slices is not kept in memory: asked for, it is temporarily unavailable, then read back whole', async (t) => {
  const s = await withEntries(new MemFs());
  const data = bytes(100_000);
  await s.createSnapshot(8, CONF, thirds(data));
  t.throws(() => s.snapshot(), SnapshotTemporarilyUnavailableError, 'not in memory');
  const { snapshot, unavailable } = await snapshotWhenLoaded(s);
  t.ok(unavailable >= 1);
  t.same(snapshot.metadata, { index: 8, term: 1, confState: CONF });
  t.ok(Buffer.from(snapshot.data).equals(Buffer.from(data)), 'read back from its file');
  t.equal(s.snapshot(), snapshot, 'kept once read back');
  await s.close();
});

t.test('releaseSnapshotData forgets the data of a snapshot given whole, and a newer snapshot replaces a pending read', async (t) => {
  const s = await withEntries(new MemFs());
  await s.createSnapshot(5, CONF, bytes(1000, 3));
  t.ok(Buffer.from(s.snapshot().data).equals(Buffer.from(bytes(1000, 3))), 'a snapshot given whole stays in memory');
  s.releaseSnapshotData();
  t.throws(() => s.snapshot(), SnapshotTemporarilyUnavailableError, 'until released');
  await s.createSnapshot(9, CONF, bytes(500, 5));
  const { snapshot } = await snapshotWhenLoaded(s);
  t.equal(snapshot.metadata.index, 9, 'the read of the older one does not overwrite the newer');
  t.ok(Buffer.from(snapshot.data).equals(Buffer.from(bytes(500, 5))));
  await s.close();
});

t.test('metadata, first index and compaction do not need the snapshot data in memory', async (t) => {
  const s = await withEntries(new MemFs());
  await s.createSnapshot(8, CONF, [bytes(10)]);
  s.compact(6);
  t.equal(s.firstIndex(), 7);
  t.same(s.initialState().confState, CONF);
  t.equal(s.term(8), 1);
  await s.close();
});

t.test('a reopened storage has its snapshot in memory, for the replica to restore from', async (t) => {
  const fs = new MemFs();
  const s = await withEntries(fs);
  await s.createSnapshot(8, CONF, thirds(bytes(3000)));
  await s.close();
  const reopened = await DiskStorage.open({ fs, dir: '/data' });
  t.ok(Buffer.from(reopened.snapshot().data).equals(Buffer.from(bytes(3000))));
  await reopened.close();
});
