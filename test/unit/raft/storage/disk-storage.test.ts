import { join } from 'node:path';
import t from 'tap';
import { CompactedError, RaftInvariantError, UnavailableError } from '../../../../raft/core/errors.js';
import type { Snapshot } from '../../../../raft/core/types.js';
import { EMPTY_HARD_STATE } from '../../../../raft/core/types.js';
import { DiskStorage } from '../../../../raft/storage/disk-storage.js';
import { SnapshotOutOfDateError, StorageRecoveryError } from '../../../../raft/storage/errors.js';
import type { FsPort } from '../../../../raft/storage/fs-port.js';
import { MemFs } from '../../../../raft/storage/mem-fs.js';
import { NodeFs } from '../../../../raft/storage/node-fs.js';
import { entries, entry, hardState, summarize, tempDir } from './fixtures/storage-fixtures.js';

const DIR = '/data';
const CONF = { voters: [1, 2, 3], learners: [] };

function snapshot(index: number, term: number): Snapshot {
  return { metadata: { index, term, confState: CONF }, data: new TextEncoder().encode(`state@${index}`) };
}

async function open(fs: FsPort, dir = DIR, segmentBytesMax?: number): Promise<DiskStorage> {
  return DiskStorage.open(segmentBytesMax === undefined ? { fs, dir } : { fs, dir, segmentBytesMax });
}

async function flipByte(fs: FsPort, path: string, at: number): Promise<void> {
  const bytes = await fs.readFile(path);
  bytes[at] = (bytes[at] as number) ^ 0xff;
  const h = await fs.open(path, 'truncate');
  await h.append(bytes);
  await h.sync();
  await h.close();
}

/** A storage holding a snapshot at 5 (term 2) and entries 6..10 (term 2). */
async function withLog(fs: FsPort): Promise<DiskStorage> {
  const s = await open(fs);
  await s.save(hardState(2, 1, 5), entries(6, 10, 2), snapshot(5, 2));
  await s.sync();
  return s;
}

t.test('a new storage is empty: first index 1, last index 0, term(0) = 0, the empty snapshot', async (t) => {
  const s = await open(new MemFs());
  t.equal(s.firstIndex(), 1);
  t.equal(s.lastIndex(), 0);
  t.equal(s.term(0), 0);
  t.same(s.initialState(), { hardState: EMPTY_HARD_STATE, confState: { voters: [], learners: [] } });
  t.equal(s.snapshot().metadata.index, 0);
  t.same(s.recovery, { walRepaired: undefined, skippedSnapshots: [], removedSnapshots: [], fellBack: false });
  await s.close();
});

t.test('term answers from firstIndex-1 to lastIndex, throwing CompactedError below and UnavailableError above', async (t) => {
  const s = await withLog(new MemFs());
  t.equal(s.firstIndex(), 6);
  t.equal(s.lastIndex(), 10);
  t.equal(s.term(5), 2, 'the snapshot remembers the term of its last entry');
  t.equal(s.term(10), 2);
  t.throws(() => s.term(4), CompactedError);
  t.throws(() => s.term(11), UnavailableError);
  await s.close();
});

t.test('entries returns [lo, hi), limited by maxBytes but always at least one entry', async (t) => {
  const s = await withLog(new MemFs());
  t.same(
    s.entries(6, 11).map((e) => e.index),
    [6, 7, 8, 9, 10],
  );
  t.same(s.entries(8, 8), []);
  t.same(
    s.entries(6, 11, 0).map((e) => e.index),
    [6],
    'one entry even if it alone exceeds maxBytes',
  );
  const one = 16 + (s.entries(6, 7)[0]?.data.byteLength ?? 0);
  t.same(
    s.entries(6, 11, one * 2).map((e) => e.index),
    [6, 7],
  );
  t.throws(() => s.entries(5, 7), CompactedError, 'the snapshot index itself is compacted');
  t.throws(() => s.entries(6, 12), UnavailableError);
  await s.close();
});

t.test('saved and synced state is the same after reopen', async (t) => {
  const fs = new MemFs();
  const s = await withLog(fs);
  await s.save(hardState(3, 2, 8), [entry(11, 3)]);
  await s.sync();
  await s.close();
  const again = await open(fs);
  t.same(again.initialState(), { hardState: hardState(3, 2, 8), confState: CONF });
  t.same(again.snapshot(), snapshot(5, 2));
  t.equal(again.firstIndex(), 6);
  t.same(summarize(again.entries(6, 12)), summarize([...entries(6, 10, 2), entry(11, 3)]));
  await again.close();
});

t.test('saving an entry at i replaces every entry from i on, in memory and after reopen', async (t) => {
  const fs = new MemFs();
  const s = await withLog(fs);
  await s.save(undefined, [entry(8, 3), entry(9, 3)]);
  t.equal(s.lastIndex(), 9);
  t.equal(s.term(8), 3);
  await s.sync();
  await s.close();
  const again = await open(fs);
  t.same(summarize(again.entries(6, 10)), summarize([entry(6, 2), entry(7, 2), entry(8, 3), entry(9, 3)]));
  await again.close();
});

t.test('entries the snapshot already covers are skipped when saved', async (t) => {
  const s = await withLog(new MemFs());
  await s.save(undefined, entries(4, 11, 2));
  t.equal(s.firstIndex(), 6);
  t.equal(s.lastIndex(), 11);
  await s.save(undefined, entries(2, 4, 1));
  t.equal(s.lastIndex(), 11, 'nothing changes when every entry is covered');
  await s.close();
});

t.test('saving entries that leave a gap or lower the term is refused', async (t) => {
  const s = await withLog(new MemFs());
  await t.rejects(s.save(undefined, [entry(12, 2)]), RaftInvariantError);
  await t.rejects(s.save(undefined, [entry(8, 1)]), RaftInvariantError);
  await t.rejects(s.save(undefined, [entry(11, 2), entry(13, 2)]), RaftInvariantError);
  t.equal(s.lastIndex(), 10, 'a refused save changes nothing');
  await s.close();
});

t.test('a snapshot from the leader replaces the whole log, also after reopen', async (t) => {
  const fs = new MemFs();
  const s = await withLog(fs);
  await s.save(hardState(4, 0, 20), [], { metadata: { index: 20, term: 4, confState: { voters: [1, 2], learners: [3] } }, data: new Uint8Array([9]) });
  t.equal(s.firstIndex(), 21);
  t.equal(s.lastIndex(), 20);
  t.equal(s.term(20), 4);
  await s.save(undefined, [entry(21, 4)]);
  await s.sync();
  await s.close();
  const again = await open(fs);
  t.same(again.initialState(), { hardState: hardState(4, 0, 20), confState: { voters: [1, 2], learners: [3] } });
  t.same(
    again.entries(21, 22).map((e) => e.index),
    [21],
  );
  t.throws(() => again.term(19), CompactedError);
  await again.close();
});

t.test('a snapshot not newer than the one held is ignored', async (t) => {
  const s = await withLog(new MemFs());
  await s.applySnapshot(snapshot(3, 1));
  t.equal(s.snapshot().metadata.index, 5);
  t.equal(s.lastIndex(), 10);
  await s.close();
});

t.test('compact drops entries up to the snapshot and keeps the term of the last one dropped', async (t) => {
  const s = await withLog(new MemFs());
  await s.createSnapshot(8, CONF, new Uint8Array([1]));
  s.compact(7);
  t.equal(s.firstIndex(), 8);
  t.equal(s.term(7), 2);
  t.throws(() => s.term(6), CompactedError);
  t.throws(() => s.entries(7, 9), CompactedError);
  s.compact(8);
  t.equal(s.firstIndex(), 9);
  t.same(
    s.entries(9, 11).map((e) => e.index),
    [9, 10],
  );
  s.compact(3);
  t.equal(s.firstIndex(), 9, 'compacting below the first index does nothing');
  t.throws(() => s.compact(9), RaftInvariantError, 'entries the snapshot does not cover stay');
  await s.close();
});

t.test('createSnapshot at or below the snapshot held throws SnapshotOutOfDateError', async (t) => {
  const s = await withLog(new MemFs());
  await t.rejects(s.createSnapshot(5, CONF, new Uint8Array()), SnapshotOutOfDateError);
  await s.createSnapshot(7, CONF, new Uint8Array());
  await t.rejects(s.createSnapshot(6, CONF, new Uint8Array()), SnapshotOutOfDateError);
  await t.rejects(s.createSnapshot(11, CONF, new Uint8Array()), RaftInvariantError, 'nor past the last index');
  await s.close();
});

t.test('createSnapshot is durable at once and keeps the two newest snapshots and the WAL back to the older', async (t) => {
  const fs = new MemFs();
  const s = await open(fs, DIR, 250);
  let index = 0;
  for (let round = 1; round <= 5; round++) {
    for (let k = 0; k < 10; k++) {
      index++;
      await s.save(hardState(1, 1, index), [entry(index, 1)]);
      await s.sync();
    }
    await s.createSnapshot(index, CONF, new TextEncoder().encode(`state@${index}`));
  }
  t.same(await fs.readdir(join(DIR, 'snap')), ['0000000000000001-0000000000000028.snap', '0000000000000001-0000000000000032.snap'], 'snapshots at 40 and 50');
  const segments = (await fs.readdir(join(DIR, 'wal'))).map((n) => Number.parseInt(n.slice(17, 33), 16));
  t.ok(segments.length > 1);
  t.ok((segments[0] as number) <= 40, 'the WAL still reaches back to the older kept snapshot');
  t.ok((segments[1] ?? 41) > 1, 'older segments were released');
  t.ok(!segments.includes(1), 'the first segment is gone');

  const rebooted = fs.crash();
  const again = await open(rebooted, DIR, 250);
  t.same(again.snapshot().metadata, { index: 50, term: 1, confState: CONF });
  t.equal(again.firstIndex(), 51);
  t.equal(again.lastIndex(), 50);
  t.same(again.initialState().hardState, hardState(1, 1, 50));
  await again.close();
});

t.test('a damaged newest snapshot falls back to the older one and the WAL entries after it', async (t) => {
  const fs = new MemFs();
  const s = await withLog(fs);
  await s.createSnapshot(7, CONF, new TextEncoder().encode('state@7'));
  await s.save(hardState(2, 1, 9), [entry(11, 2)]);
  await s.createSnapshot(9, CONF, new TextEncoder().encode('state@9'));
  await s.close();
  const newest = join(DIR, 'snap', '0000000000000002-0000000000000009.snap');
  await flipByte(fs, newest, 20);

  const again = await open(fs);
  t.equal(again.recovery.fellBack, true);
  t.match(again.recovery.skippedSnapshots, [{ file: newest, reason: /checksum mismatch/ }]);
  t.equal(again.snapshot().metadata.index, 7);
  t.equal(again.firstIndex(), 8);
  t.equal(again.lastIndex(), 11);
  t.same(
    again.entries(8, 12).map((e) => e.index),
    [8, 9, 10, 11],
  );
  t.same(again.initialState().hardState, hardState(2, 1, 9));
  await again.close();
});

t.test('with no usable snapshot while the WAL continues from one, open throws StorageRecoveryError', async (t) => {
  const fs = new MemFs();
  const s = await withLog(fs);
  await s.close();
  const file = join(DIR, 'snap', '0000000000000002-0000000000000005.snap');
  await flipByte(fs, file, 15);
  await t.rejects(open(fs), StorageRecoveryError);
  await t.rejects(open(fs), { message: /continues from the snapshot at index 5, term 2.*no usable snapshot/ });
});

t.test('a snapshot file the WAL never recorded (a crash before sync) is removed on open', async (t) => {
  const fs = new MemFs();
  const s = await withLog(fs);
  await s.save(hardState(3, 0, 30), [], snapshot(30, 3));
  const rebooted = fs.crash();
  const again = await open(rebooted);
  t.same(again.recovery.removedSnapshots, [join(DIR, 'snap', '0000000000000003-000000000000001e.snap')]);
  t.equal(again.snapshot().metadata.index, 5, 'the state is the last synced one');
  t.equal(again.lastIndex(), 10);
  await again.close();
});

t.test('a crash between save and sync loses at most the unsynced records, and a torn tail is reported', async (t) => {
  const fs = new MemFs();
  const s = await withLog(fs);
  await s.save(hardState(2, 1, 6), entries(11, 14, 2));
  const rebooted = fs.crash({ tornBytes: () => 0 });
  const again = await open(rebooted);
  t.equal(again.lastIndex(), 10);
  t.same(again.initialState().hardState, hardState(2, 1, 5));
  t.equal(again.recovery.walRepaired, undefined);
  await again.close();

  const fs2 = new MemFs();
  const s2 = await withLog(fs2);
  // A sync that writes its records and then fails leaves them unsynced on the disk.
  await s2.save(hardState(2, 1, 6), entries(11, 14, 2));
  fs2.failNext('sync');
  await t.rejects(s2.sync());
  const rebooted2 = fs2.crash({ tornBytes: (_p, n) => n - 3 });
  const again2 = await open(rebooted2);
  t.match(again2.recovery.walRepaired, { reason: /short record/ });
  t.equal(again2.lastIndex(), 14, 'the entries were whole; only the hard state record was torn');
  t.same(again2.initialState().hardState, hardState(2, 1, 5));
  await again2.close();
});

t.test('disk storage on the real file system reopens to the same state', async (t) => {
  const fs = new NodeFs();
  const dir = tempDir(t);
  const s = await open(fs, dir);
  await s.save(hardState(2, 1, 5), entries(6, 10, 2), snapshot(5, 2));
  await s.sync();
  await s.createSnapshot(8, CONF, new Uint8Array([8]));
  await s.close();
  const again = await open(fs, dir);
  t.equal(again.snapshot().metadata.index, 8);
  t.same(
    again.entries(9, 11).map((e) => e.index),
    [9, 10],
  );
  await again.close();
});
