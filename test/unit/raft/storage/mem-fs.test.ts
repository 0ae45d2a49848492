import t from 'tap';
import { fsErrorCode } from '../../../../raft/storage/fs-port.js';
import { MemFs } from '../../../../raft/storage/mem-fs.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const read = async (fs: MemFs, path: string): Promise<string> => new TextDecoder().decode(await fs.readFile(path));

async function fileWith(fs: MemFs, path: string, synced: string, unsynced = ''): Promise<void> {
  const h = await fs.open(path, 'append');
  await h.append(text(synced));
  await h.sync();
  if (unsynced) await h.append(text(unsynced));
}

t.test('a crash loses appends that were not synced and keeps those that were', async (t) => {
  let fs = new MemFs();
  await fs.mkdir('/d');
  await fileWith(fs, '/d/f', 'durable', '+lost');
  await fs.syncDir('/d');
  t.equal(await read(fs, '/d/f'), 'durable+lost', 'reads see unsynced bytes before the crash');
  fs = fs.crash();
  t.equal(await read(fs, '/d/f'), 'durable');
});

t.test('a torn write keeps the prefix of the unsynced bytes the crash chooses', async (t) => {
  let fs = new MemFs();
  await fs.mkdir('/d');
  await fileWith(fs, '/d/f', 'abc', 'defgh');
  await fs.syncDir('/d');
  const seen: [string, number][] = [];
  fs = fs.crash({
    tornBytes: (path, unsynced) => {
      seen.push([path, unsynced]);
      return 2;
    },
  });
  t.same(seen, [['/d/f', 5]]);
  t.equal(await read(fs, '/d/f'), 'abcde');
});

t.test('a torn length is clamped to the unsynced bytes', async (t) => {
  let fs = new MemFs();
  await fs.mkdir('/d');
  await fileWith(fs, '/d/f', 'a', 'bc');
  await fs.syncDir('/d');
  fs = fs.crash({ tornBytes: () => 99 });
  t.equal(await read(fs, '/d/f'), 'abc');
});

t.test('a file created but whose directory was not synced vanishes in a crash', async (t) => {
  let fs = new MemFs();
  await fs.mkdir('/d');
  await fileWith(fs, '/d/new', 'synced data');
  fs = fs.crash();
  t.same(await fs.readdir('/d'), []);
});

t.test('a rename is undone by a crash unless the directory was synced', async (t) => {
  let fs = new MemFs();
  await fs.mkdir('/d');
  await fileWith(fs, '/d/a.tmp', 'x');
  await fs.syncDir('/d');
  await fs.rename('/d/a.tmp', '/d/a');
  fs = fs.crash();
  t.same(await fs.readdir('/d'), ['a.tmp']);
  await fs.rename('/d/a.tmp', '/d/a');
  await fs.syncDir('/d');
  fs = fs.crash();
  t.same(await fs.readdir('/d'), ['a']);
  t.equal(await read(fs, '/d/a'), 'x');
});

t.test('an unlink is undone by a crash unless the directory was synced', async (t) => {
  let fs = new MemFs();
  await fs.mkdir('/d');
  await fileWith(fs, '/d/f', 'x');
  await fs.syncDir('/d');
  await fs.unlink('/d/f');
  fs = fs.crash();
  t.same(await fs.readdir('/d'), ['f']);
});

t.test('mkdir and truncate are durable at once', async (t) => {
  let fs = new MemFs();
  await fs.mkdir('/a/b');
  await fileWith(fs, '/a/b/f', '0123456789');
  await fs.syncDir('/a/b');
  await fs.truncate('/a/b/f', 3);
  fs = fs.crash();
  t.same(await fs.readdir('/a'), ['b']);
  t.equal(await read(fs, '/a/b/f'), '012');
});

t.test('a file emptied by truncate-mode open and not synced reverts to its durable content', async (t) => {
  let fs = new MemFs();
  await fs.mkdir('/d');
  await fileWith(fs, '/d/f', 'old');
  await fs.syncDir('/d');
  const h = await fs.open('/d/f', 'truncate');
  await h.append(text('new and longer'));
  fs = fs.crash({ tornBytes: () => 100 });
  t.equal(await read(fs, '/d/f'), 'old');
});

t.test('after a crash the old machine and its handles are dead, and the rebooted one sees the disk', async (t) => {
  const before = new MemFs();
  await before.mkdir('/d');
  const h = await before.open('/d/f', 'append');
  const after = before.crash();
  await t.rejects(h.append(text('x')), { code: 'EIO' });
  await t.rejects(h.sync(), { code: 'EIO' });
  await t.rejects(before.open('/d/g', 'append'), { code: 'EIO' }, 'work in flight cannot reach the disk after the crash');
  await t.rejects(before.readdir('/d'), { code: 'EIO' });
  t.same(await after.readdir('/d'), [], 'the unsynced creation is gone');
  t.equal(after.stats.crashes, 1, 'stats belong to the disk');
});

t.test('injected faults fail the next calls of that operation, then stop', async (t) => {
  let fs = new MemFs();
  await fs.mkdir('/d');
  const h = await fs.open('/d/f', 'append');
  fs.failNext('sync', 2);
  for (let i = 0; i < 2; i++) {
    try {
      await h.sync();
      t.fail('expected EIO');
    } catch (err) {
      t.equal(fsErrorCode(err), 'EIO');
    }
  }
  await h.sync();
  t.equal(fs.stats.fileSyncs, 1, 'failed syncs are not counted');
});

t.test('stats count file syncs, directory syncs and appended bytes', async (t) => {
  let fs = new MemFs();
  await fs.mkdir('/d');
  const h = await fs.open('/d/f', 'append');
  await h.append(text('12345'));
  await h.sync();
  await h.sync();
  await fs.syncDir('/d');
  t.same(fs.stats, { fileSyncs: 2, dirSyncs: 1, bytesAppended: 5, crashes: 0 });
});

t.test('large appends grow the file without losing earlier bytes', async (t) => {
  let fs = new MemFs();
  await fs.mkdir('/d');
  const h = await fs.open('/d/f', 'append');
  const chunk = new Uint8Array(1000).fill(7);
  for (let i = 0; i < 50; i++) await h.append(chunk);
  await h.sync();
  const all = await fs.readFile('/d/f');
  t.equal(all.length, 50_000);
  t.ok(all.every((b) => b === 7));
});
