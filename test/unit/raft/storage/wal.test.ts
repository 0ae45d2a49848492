import { join } from 'node:path';
import t from 'tap';
import { RaftInvariantError } from '../../../../raft/core/errors.js';
import { EMPTY_HARD_STATE } from '../../../../raft/core/types.js';
import { WalCorruptError, WalFailedError } from '../../../../raft/storage/errors.js';
import type { FsPort } from '../../../../raft/storage/fs-port.js';
import { MemFs } from '../../../../raft/storage/mem-fs.js';
import { NodeFs } from '../../../../raft/storage/node-fs.js';
import type { WalOpened } from '../../../../raft/storage/wal.js';
import { Wal } from '../../../../raft/storage/wal.js';
import { decodeRecords, RECORD_HEADER_BYTES } from '../../../../raft/storage/wal-record.js';
import { entries, entry, hardState, summarize, tempDir } from './fixtures/storage-fixtures.js';

const DIR = '/data/wal';

async function lastRecordOf(fs: FsPort, file: string): Promise<{ offset: number; end: number }> {
  const records = decodeRecords(await fs.readFile(file)).records;
  const last = records[records.length - 1];
  if (last === undefined) throw new Error(`no records in ${file}`);
  return last;
}

async function reopen(opened: WalOpened, fs: FsPort, dir = DIR, segmentBytesMax?: number): Promise<WalOpened> {
  await opened.wal.close();
  return Wal.open(fs, dir, segmentBytesMax === undefined ? {} : { segmentBytesMax });
}

t.test('a new WAL is empty: no entries, the empty hard state, no snapshot', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR);
  t.same(opened.entries, []);
  t.same(opened.hardState, EMPTY_HARD_STATE);
  t.same(opened.snapshotMarker, { index: 0, term: 0 });
  t.equal(opened.repaired, undefined);
  t.same(opened.wal.segmentNames(), ['0000000000000001-0000000000000001.wal']);
  await opened.wal.close();
});

t.test('entries and hard state appended and synced are all there after reopen', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR);
  opened.wal.append(entries(1, 3, 1), hardState(1, 2, 1));
  opened.wal.append([entry(4, 2)], hardState(2, 0, 3));
  await opened.wal.sync();
  const again = await reopen(opened, fs);
  t.same(summarize(again.entries), summarize(entries(1, 4, 1).map((e) => (e.index === 4 ? entry(4, 2) : e))));
  t.same(again.hardState, hardState(2, 0, 3));
  t.equal(again.lastIndex, 4);
  await again.wal.close();
});

t.test('an entry at index i replaces every entry from i on, also after reopen', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR);
  opened.wal.append(entries(1, 5, 1));
  opened.wal.append([entry(3, 2)]);
  await opened.wal.sync();
  const again = await reopen(opened, fs);
  t.same(summarize(again.entries), summarize([entry(1, 1), entry(2, 1), entry(3, 2)]));
  t.equal(again.lastIndex, 3);
  again.wal.append([entry(4, 2)]);
  await again.wal.sync();
  const third = await reopen(again, fs);
  t.same(
    third.entries.map((e) => e.index),
    [1, 2, 3, 4],
  );
  await third.wal.close();
});

t.test('rotation spreads the log over several segments, named seq-firstIndex, and reopen reads them all', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR, { segmentBytesMax: 200 });
  for (let i = 1; i <= 40; i++) {
    opened.wal.append([entry(i, 1)], hardState(1, 1, i - 1));
    if (i % 7 === 0) await opened.wal.sync();
  }
  await opened.wal.sync();
  const names = opened.wal.segmentNames();
  t.ok(names.length > 3, `${names.length} segments`);
  t.same(await fs.readdir(DIR), names, 'the files are exactly the segments, in order');
  names.forEach((name, k) => t.match(name, new RegExp(`^${(k + 1).toString(16).padStart(16, '0')}-[0-9a-f]{16}\\.wal$`)));
  const again = await reopen(opened, fs, DIR, 200);
  t.same(
    again.entries.map((e) => e.index),
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  t.same(again.hardState, hardState(1, 1, 39));
  await again.wal.close();
});

t.test('a segment holds at least one record even when that record alone exceeds the limit', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR, { segmentBytesMax: 10 });
  opened.wal.append(entries(1, 3, 1));
  await opened.wal.sync();
  t.equal(opened.wal.segmentNames().length, 3);
  const again = await reopen(opened, fs, DIR, 10);
  t.same(
    again.entries.map((e) => e.index),
    [1, 2, 3],
  );
  await again.wal.close();
});

t.test('releaseTo removes only the segments wholly before the snapshot, and replay still continues from it', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR, { segmentBytesMax: 200 });
  const wal = opened.wal;
  for (let i = 1; i <= 30; i++) wal.append([entry(i, 1)]);
  wal.append([], hardState(1, 1, 30));
  await wal.sync();
  const before = wal.segmentNames();
  await t.rejects(wal.releaseTo(20), RaftInvariantError, 'no release past the durable snapshot marker');
  wal.markSnapshot({ index: 20, term: 1 }, false);
  await wal.sync();
  const removed = await wal.releaseTo(20);
  const after = wal.segmentNames();
  t.ok(removed > 0, `${removed} segments removed`);
  t.same(after, before.slice(removed));
  const firstIndexOf = (name: string): number => Number.parseInt(name.slice(17, 33), 16);
  t.ok(firstIndexOf(after[0] as string) <= 20, 'the segment holding entry 20 onwards is kept');
  t.ok(firstIndexOf(before[removed - 1] as string) <= 20);
  t.same(await fs.readdir(DIR), after);
  const again = await reopen(opened, fs, DIR, 200);
  t.same(again.snapshotMarker, { index: 20, term: 1 });
  t.same(
    again.entries.map((e) => e.index),
    Array.from({ length: 10 }, (_, i) => i + 21),
  );
  t.same(again.hardState, hardState(1, 1, 30), 'the hard state survives although its record was released');
  await again.wal.close();
});

t.test('releaseTo never removes the segment being written', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR);
  opened.wal.append(entries(1, 5, 1));
  opened.wal.markSnapshot({ index: 5, term: 1 }, false);
  await opened.wal.sync();
  t.equal(await opened.wal.releaseTo(5), 0);
  t.equal(opened.wal.segmentNames().length, 1);
  await opened.wal.close();
});

t.test('a snapshot installed from the leader discards every earlier entry on replay', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR);
  opened.wal.append(entries(1, 10, 1));
  opened.wal.markSnapshot({ index: 7, term: 3 }, true);
  opened.wal.append([entry(8, 3)]);
  await opened.wal.sync();
  const again = await reopen(opened, fs);
  t.same(again.snapshotMarker, { index: 7, term: 3 });
  t.same(summarize(again.entries), summarize([entry(8, 3)]));
  t.same(again.coveredEntries, [], 'nothing older survives a replaced log');
  await again.wal.close();
});

t.test('a local snapshot keeps the entries after it and sets apart those it covers', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR);
  opened.wal.append(entries(1, 10, 1));
  opened.wal.markSnapshot({ index: 6, term: 1 }, false);
  await opened.wal.sync();
  const again = await reopen(opened, fs);
  t.same(
    again.entries.map((e) => e.index),
    [7, 8, 9, 10],
  );
  t.same(
    again.coveredEntries.map((e) => e.index),
    [1, 2, 3, 4, 5, 6],
  );
  t.same(again.markers, [
    { index: 0, term: 0 },
    { index: 6, term: 1 },
  ]);
  await again.wal.close();
});

t.test('a torn last record is truncated on open and reported; later appends survive another reopen', async (t) => {
  const subjects: [string, FsPort, string][] = [
    ['mem fs', new MemFs(), DIR],
    ['node fs', new NodeFs(), join(tempDir(t), 'wal')],
  ];
  for (const [name, fs, dir] of subjects) {
    const opened = await Wal.open(fs, dir);
    opened.wal.append(entries(1, 5, 1));
    await opened.wal.sync();
    await opened.wal.close();
    const file = join(dir, opened.wal.segmentNames()[0] as string);
    const last = await lastRecordOf(fs, file);
    await fs.truncate(file, last.offset + Math.floor((last.end - last.offset) / 2));

    const repaired = await Wal.open(fs, dir);
    t.same(repaired.repaired, { file, offset: last.offset, reason: repaired.repaired?.reason ?? '' }, name);
    t.match(repaired.repaired?.reason, /short record payload/, name);
    t.same(
      repaired.entries.map((e) => e.index),
      [1, 2, 3, 4],
      `${name}: everything before the torn record`,
    );
    t.equal((await fs.readFile(file)).length, last.offset, `${name}: the file is cut at the last good record`);
    repaired.wal.append([entry(5, 2), entry(6, 2)]);
    await repaired.wal.sync();

    const again = await reopen(repaired, fs, dir);
    t.equal(again.repaired, undefined, `${name}: nothing to repair the second time`);
    t.same(summarize(again.entries), summarize([...entries(1, 4, 1), entry(5, 2), entry(6, 2)]), name);
    await again.wal.close();
  }
});

t.test('a flipped byte in a record before the tail makes open throw WalCorruptError naming file and offset', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR);
  opened.wal.append(entries(1, 5, 1));
  await opened.wal.sync();
  await opened.wal.close();
  const file = join(DIR, opened.wal.segmentNames()[0] as string);
  const bytes = await fs.readFile(file);
  const victim = decodeRecords(bytes).records[4]; // entry 2: header, marker, hard state, entry 1 come first
  if (victim === undefined) throw new Error('expected a fifth record');
  bytes[victim.offset + RECORD_HEADER_BYTES + 2] = (bytes[victim.offset + RECORD_HEADER_BYTES + 2] as number) ^ 0xff;
  const h = await fs.open(file, 'truncate');
  await h.append(bytes);
  await h.sync();
  await h.close();

  const err = await Wal.open(fs, DIR).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, WalCorruptError);
  if (!(err instanceof WalCorruptError)) return;
  t.equal(err.file, file);
  t.equal(err.offset, victim.offset);
  t.match(err.message, new RegExp(`${file}.*offset ${victim.offset}.*checksum mismatch`));
  t.same(await fs.readFile(file), bytes, 'the damaged file is left untouched for inspection');
});

t.test('a bad record at the end of a segment that is not the last one is corruption', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR, { segmentBytesMax: 150 });
  opened.wal.append(entries(1, 12, 1));
  await opened.wal.sync();
  await opened.wal.close();
  const [first] = opened.wal.segmentNames();
  t.ok(opened.wal.segmentNames().length > 1);
  const file = join(DIR, first as string);
  const last = await lastRecordOf(fs, file);
  await fs.truncate(file, last.end - 1);
  await t.rejects(Wal.open(fs, DIR, { segmentBytesMax: 150 }), { name: 'WalCorruptError', file, offset: last.offset, message: /not the last one/ });
});

t.test('a missing segment in the middle makes open throw rather than skip it', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR, { segmentBytesMax: 150 });
  opened.wal.append(entries(1, 20, 1));
  await opened.wal.sync();
  await opened.wal.close();
  const names = opened.wal.segmentNames();
  t.ok(names.length >= 3);
  await fs.unlink(join(DIR, names[1] as string));
  await t.rejects(Wal.open(fs, DIR), { name: 'WalCorruptError', message: /segment 2 is missing/ });
});

t.test('a last segment left empty by a crash is removed and reported, and the WAL goes on', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR);
  opened.wal.append(entries(1, 3, 1));
  await opened.wal.sync();
  await opened.wal.close();
  await (await fs.open(join(DIR, '0000000000000002-0000000000000004.wal'), 'append')).close();
  const again = await Wal.open(fs, DIR);
  t.match(again.repaired, { file: join(DIR, '0000000000000002-0000000000000004.wal'), offset: 0, reason: /empty segment/ });
  t.same(
    again.entries.map((e) => e.index),
    [1, 2, 3],
  );
  again.wal.append([entry(4, 1)]);
  await again.wal.sync();
  const third = await reopen(again, fs);
  t.same(
    third.entries.map((e) => e.index),
    [1, 2, 3, 4],
  );
  await third.wal.close();
});

t.test('a temporary segment left by an interrupted rotation is removed on open', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR);
  await opened.wal.close();
  await (await fs.open(join(DIR, '0000000000000002-0000000000000001.wal.tmp'), 'append')).close();
  const again = await Wal.open(fs, DIR);
  t.same(await fs.readdir(DIR), ['0000000000000001-0000000000000001.wal']);
  await again.wal.close();
});

t.test('100 concurrent append-and-sync calls cost far fewer than 100 fdatasyncs', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR);
  const syncsBefore = fs.stats.fileSyncs;
  await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      opened.wal.append([entry(i + 1, 1)]);
      await opened.wal.sync();
    }),
  );
  const syncs = fs.stats.fileSyncs - syncsBefore;
  t.ok(syncs < 100, `${syncs} fdatasyncs`);
  t.ok(syncs <= 2, 'one flush in flight and one shared by everyone who arrived during it');
  const again = await reopen(opened, fs);
  t.equal(again.entries.length, 100);
  await again.wal.close();
});

t.test('sync with nothing new appended does not fsync again', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR);
  opened.wal.append([entry(1, 1)]);
  await opened.wal.sync();
  const syncs = fs.stats.fileSyncs;
  await opened.wal.sync();
  t.equal(fs.stats.fileSyncs, syncs);
  await opened.wal.close();
});

t.test('after a failed fdatasync the WAL refuses further use', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR);
  opened.wal.append([entry(1, 1)]);
  fs.failNext('sync');
  await t.rejects(opened.wal.sync(), WalFailedError);
  t.throws(() => opened.wal.append([entry(2, 1)]), WalFailedError);
  await t.rejects(opened.wal.sync(), WalFailedError);
});

t.test('appending an entry that leaves a gap is refused', async (t) => {
  const fs = new MemFs();
  const opened = await Wal.open(fs, DIR);
  opened.wal.append([entry(1, 1)]);
  t.throws(() => opened.wal.append([entry(3, 1)]), RaftInvariantError);
  opened.wal.markSnapshot({ index: 1, term: 1 }, false);
  t.throws(() => opened.wal.append([entry(1, 2)]), RaftInvariantError, 'nor one the snapshot covers');
  await opened.wal.close();
});

t.test('the WAL on the real file system reopens to the same state', async (t) => {
  const fs = new NodeFs();
  const dir = join(tempDir(t), 'wal');
  const opened = await Wal.open(fs, dir, { segmentBytesMax: 100 });
  opened.wal.append(entries(1, 20, 1), hardState(1, 1, 18));
  opened.wal.markSnapshot({ index: 10, term: 1 }, false);
  await opened.wal.sync();
  t.ok((await opened.wal.releaseTo(10)) > 0);
  const again = await reopen(opened, fs, dir, 100);
  t.same(
    again.entries.map((e) => e.index),
    Array.from({ length: 10 }, (_, i) => i + 11),
  );
  t.same(again.hardState, hardState(1, 1, 18));
  await again.wal.close();
});
