import { join } from 'node:path';
import t from 'tap';
import type { Snapshot } from '../../../../raft/core/types.js';
import { SnapshotCorruptError } from '../../../../raft/storage/errors.js';
import { MemFs } from '../../../../raft/storage/mem-fs.js';
import { NodeFs } from '../../../../raft/storage/node-fs.js';
import { SnapshotStore } from '../../../../raft/storage/snapshot-store.js';
import { tempDir } from './fixtures/storage-fixtures.js';

const DIR = '/data/snap';

function snapshot(index: number, term: number, text = `state@${index}`): Snapshot {
  return { metadata: { index, term, confState: { voters: [1, 2, 3], learners: [4] } }, data: new TextEncoder().encode(text) };
}

async function damage(fs: MemFs, path: string, at: number): Promise<void> {
  const bytes = await fs.readFile(path);
  bytes[at] = (bytes[at] as number) ^ 0xff;
  const h = await fs.open(path, 'truncate');
  await h.append(bytes);
  await h.sync();
  await h.close();
}

t.test('a saved snapshot loads back equal, named <term>-<index>.snap', async (t) => {
  const fs = new MemFs();
  const store = await SnapshotStore.open(fs, DIR);
  const ref = await store.save(snapshot(12, 3));
  t.same(ref, { name: '0000000000000003-000000000000000c.snap', term: 3, index: 12 });
  t.same(await fs.readdir(DIR), [ref.name], 'no temporary file is left');
  t.same(await store.load(ref), snapshot(12, 3));
});

t.test('a snapshot larger than one checksum slice saves and loads back without a pause function (storectl snapshot restore)', async (t) => {
  const fs = new MemFs();
  const store = await SnapshotStore.open(fs, DIR);
  const data = new Uint8Array(10 * 1024 * 1024 + 17);
  for (let i = 0; i < data.length; i += 4093) data[i] = i % 251;
  const big: Snapshot = { metadata: { index: 7, term: 2, confState: { voters: [1], learners: [] } }, data };
  const ref = await store.save(big);
  const back = await store.load(ref);
  t.equal(back.data.byteLength, data.byteLength, 'every byte is there');
  t.ok(Buffer.from(back.data).equals(Buffer.from(data)), 'and equal');
});

t.test('a saved snapshot survives a crash right after save resolves', async (t) => {
  const fs = new MemFs();
  const store = await SnapshotStore.open(fs, DIR);
  await store.save(snapshot(5, 1));
  const rebooted = fs.crash({ tornBytes: () => 0 });
  const again = await SnapshotStore.open(rebooted, DIR);
  t.same((await again.loadNewest()).snapshot, snapshot(5, 1));
});

t.test('a crash during a save leaves either no new snapshot or a complete one, never a partial file', async (t) => {
  for (const op of ['open', 'append', 'sync', 'rename', 'syncDir'] as const) {
    const fs = new MemFs();
    const store = await SnapshotStore.open(fs, DIR);
    await store.save(snapshot(5, 1));
    // The save fails at `op`; the machine then loses power.
    fs.failNext(op);
    await store.save(snapshot(9, 2)).catch(() => undefined);
    const rebooted = fs.crash({ tornBytes: (_p, n) => Math.floor(n / 2) });
    const again = await SnapshotStore.open(rebooted, DIR);
    const { snapshot: newest, skipped } = await again.loadNewest();
    t.same(skipped, [], `fault at ${op}: nothing damaged`);
    t.ok(newest?.metadata.index === 5 || newest?.metadata.index === 9, `fault at ${op}: an intact snapshot`);
    t.notOk(
      (await rebooted.readdir(DIR)).some((n) => n.endsWith('.tmp')),
      'temporary files are cleaned up',
    );
  }
});

t.test('loadNewest returns the snapshot with the highest index', async (t) => {
  const fs = new MemFs();
  const store = await SnapshotStore.open(fs, DIR);
  await store.save(snapshot(10, 2));
  await store.save(snapshot(30, 3));
  await store.save(snapshot(20, 3));
  const { snapshot: newest, skipped } = await store.loadNewest();
  t.same(newest, snapshot(30, 3));
  t.same(skipped, []);
  t.same(
    (await store.list()).map((r) => r.index),
    [30, 20, 10],
  );
});

t.test('a damaged newest snapshot is skipped, reported, set aside as .broken, and an older one loads', async (t) => {
  const fs = new MemFs();
  const store = await SnapshotStore.open(fs, DIR);
  await store.save(snapshot(10, 2));
  const newest = await store.save(snapshot(20, 3));
  await damage(fs, join(DIR, newest.name), 20);
  const { snapshot: loaded, skipped } = await store.loadNewest();
  t.same(loaded, snapshot(10, 2));
  t.equal(skipped.length, 1);
  t.match(skipped[0], { file: join(DIR, newest.name), reason: /checksum mismatch.*\.broken/ });
  t.same(await fs.readdir(DIR), ['0000000000000002-000000000000000a.snap', `${newest.name}.broken`]);
});

t.test('a truncated snapshot file is corrupt', async (t) => {
  const fs = new MemFs();
  const store = await SnapshotStore.open(fs, DIR);
  const ref = await store.save(snapshot(10, 2, 'x'.repeat(100)));
  await fs.truncate(join(DIR, ref.name), 50);
  await t.rejects(store.load(ref), SnapshotCorruptError);
  await fs.truncate(join(DIR, ref.name), 5);
  await t.rejects(store.load(ref), { name: 'SnapshotCorruptError', message: /shorter than its preamble/ });
});

t.test('a snapshot whose contents disagree with its file name is corrupt', async (t) => {
  const fs = new MemFs();
  const store = await SnapshotStore.open(fs, DIR);
  const ref = await store.save(snapshot(10, 2));
  const wrong = SnapshotStore.fileName(2, 11);
  await fs.rename(join(DIR, ref.name), join(DIR, wrong));
  await t.rejects(store.load({ name: wrong, term: 2, index: 11 }), { name: 'SnapshotCorruptError', message: /file name says index 11/ });
});

t.test('loadNewest passes over snapshots the caller rejects, with the caller’s reason', async (t) => {
  const fs = new MemFs();
  const store = await SnapshotStore.open(fs, DIR);
  await store.save(snapshot(10, 2));
  await store.save(snapshot(20, 3));
  const { snapshot: loaded, skipped } = await store.loadNewest((ref) => (ref.index === 20 ? 'not recorded' : undefined));
  t.equal(loaded?.metadata.index, 10);
  t.same(
    skipped.map((s) => s.reason),
    ['not recorded'],
  );
});

t.test('with no valid snapshot loadNewest returns none', async (t) => {
  const fs = new MemFs();
  const store = await SnapshotStore.open(fs, DIR);
  t.same(await store.loadNewest(), { snapshot: undefined, skipped: [] });
});

t.test('prune keeps the newest N at or below a limit and leaves newer files alone', async (t) => {
  const fs = new MemFs();
  const store = await SnapshotStore.open(fs, DIR);
  for (const i of [10, 20, 30, 40]) await store.save(snapshot(i, 1));
  const { kept, removed } = await store.prune(2, 30);
  t.same(
    kept.map((r) => r.index),
    [30, 20],
  );
  t.same(
    removed.map((r) => r.index),
    [10],
  );
  t.same(
    (await store.list()).map((r) => r.index),
    [40, 30, 20],
  );
});

t.test('snapshots on the real file system save, load and prune', async (t) => {
  const fs = new NodeFs();
  const dir = join(tempDir(t), 'snap');
  const store = await SnapshotStore.open(fs, dir);
  const big = new Uint8Array(300_000).map((_, i) => i % 251);
  await store.save({ metadata: { index: 7, term: 2, confState: { voters: [1], learners: [] } }, data: big });
  await store.save(snapshot(9, 2));
  const again = await SnapshotStore.open(fs, dir);
  const loaded = await again.load({ name: SnapshotStore.fileName(2, 7), term: 2, index: 7 });
  t.ok(Buffer.from(loaded.data).equals(big), 'a 300 kB snapshot reads back byte for byte');
  t.same((await again.loadNewest()).snapshot, snapshot(9, 2));
  await again.prune(1, 9);
  t.same(await fs.readdir(dir), [SnapshotStore.fileName(2, 9)]);
});
