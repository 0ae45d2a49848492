import { join } from 'node:path';
import type { Test } from 'tap';
import t from 'tap';
import type { FsPort } from '../../../../raft/storage/fs-port.js';
import { fsErrorCode, unlinkIfExists } from '../../../../raft/storage/fs-port.js';
import { MemFs } from '../../../../raft/storage/mem-fs.js';
import { NodeFs } from '../../../../raft/storage/node-fs.js';
import { tempDir } from './fixtures/storage-fixtures.js';

/**
 * One suite for every implementation of the file-system port: what callers may rely on, whatever
 * the disk. Durability across crashes is the twin's own test (mem-fs.test.ts); here both must
 * agree on everything observable without a crash.
 */

interface Subject {
  readonly fs: FsPort;
  /** A fresh, empty, existing directory. */
  readonly root: string;
}

const implementations: Record<string, (t: Test) => Subject> = {
  'node fs': (t) => ({ fs: new NodeFs(), root: tempDir(t) }),
  'mem fs': () => ({ fs: new MemFs(), root: '/data' }),
};

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const read = async (fs: FsPort, path: string): Promise<string> => new TextDecoder().decode(await fs.readFile(path));

async function rejectsWithCode(t: Test, promise: Promise<unknown>, code: string, what: string): Promise<void> {
  try {
    await promise;
    t.fail(`${what}: expected ${code}, but it succeeded`);
  } catch (err) {
    t.equal(fsErrorCode(err), code, what);
  }
}

for (const [name, make] of Object.entries(implementations)) {
  t.test(name, async (t) => {
    const setup = async (t: Test): Promise<Subject> => {
      const subject = make(t);
      await subject.fs.mkdir(subject.root);
      return subject;
    };

    t.test('mkdir creates missing parents and accepts an existing directory', async (t) => {
      const { fs, root } = await setup(t);
      await fs.mkdir(join(root, 'a', 'b', 'c'));
      await fs.mkdir(join(root, 'a', 'b'));
      t.same(await fs.readdir(join(root, 'a')), ['b']);
      t.same(await fs.readdir(join(root, 'a', 'b', 'c')), []);
    });

    t.test('readdir lists names sorted and fails with ENOENT for a missing directory', async (t) => {
      const { fs, root } = await setup(t);
      for (const n of ['b.wal', 'a.wal', '0001.wal', 'c']) await (await fs.open(join(root, n), 'append')).close();
      t.same(await fs.readdir(root), ['0001.wal', 'a.wal', 'b.wal', 'c']);
      await rejectsWithCode(t, fs.readdir(join(root, 'missing')), 'ENOENT', 'missing dir');
    });

    t.test('appends accumulate at the end of the file and readFile returns all of it', async (t) => {
      const { fs, root } = await setup(t);
      const path = join(root, 'f');
      const h = await fs.open(path, 'append');
      await h.append(text('hello '));
      await h.append(text('world'));
      await h.sync();
      await h.close();
      t.equal(await read(fs, path), 'hello world');
      const again = await fs.open(path, 'append');
      await again.append(text('!'));
      await again.close();
      t.equal(await read(fs, path), 'hello world!');
    });

    t.test('appending a view of a larger buffer writes only the view', async (t) => {
      const { fs, root } = await setup(t);
      const path = join(root, 'f');
      const h = await fs.open(path, 'append');
      await h.append(text('xxabcxx').subarray(2, 5));
      await h.close();
      t.equal(await read(fs, path), 'abc');
    });

    t.test('opening in truncate mode empties an existing file', async (t) => {
      const { fs, root } = await setup(t);
      const path = join(root, 'f');
      const h = await fs.open(path, 'append');
      await h.append(text('old content'));
      await h.close();
      const fresh = await fs.open(path, 'truncate');
      await fresh.append(text('new'));
      await fresh.close();
      t.equal(await read(fs, path), 'new');
    });

    t.test('readFile of a missing file fails with ENOENT', async (t) => {
      const { fs, root } = await setup(t);
      await rejectsWithCode(t, fs.readFile(join(root, 'nope')), 'ENOENT', 'missing file');
    });

    t.test('rename moves a file and replaces an existing target', async (t) => {
      const { fs, root } = await setup(t);
      const write = async (n: string, s: string): Promise<void> => {
        const h = await fs.open(join(root, n), 'truncate');
        await h.append(text(s));
        await h.close();
      };
      await write('a.tmp', 'new');
      await write('a', 'old');
      await fs.rename(join(root, 'a.tmp'), join(root, 'a'));
      await fs.syncDir(root);
      t.same(await fs.readdir(root), ['a']);
      t.equal(await read(fs, join(root, 'a')), 'new');
      await rejectsWithCode(t, fs.rename(join(root, 'gone'), join(root, 'b')), 'ENOENT', 'missing source');
    });

    t.test('unlink removes a file and fails with ENOENT when it is missing', async (t) => {
      const { fs, root } = await setup(t);
      await (await fs.open(join(root, 'f'), 'append')).close();
      await fs.unlink(join(root, 'f'));
      t.same(await fs.readdir(root), []);
      await rejectsWithCode(t, fs.unlink(join(root, 'f')), 'ENOENT', 'second unlink');
      await unlinkIfExists(fs, join(root, 'f'));
    });

    t.test('truncate shortens a file and never extends it', async (t) => {
      const { fs, root } = await setup(t);
      const path = join(root, 'f');
      const h = await fs.open(path, 'append');
      await h.append(text('0123456789'));
      await h.close();
      await fs.truncate(path, 4);
      t.equal(await read(fs, path), '0123');
      await fs.truncate(path, 100);
      t.equal(await read(fs, path), '0123');
      const more = await fs.open(path, 'append');
      await more.append(text('ab'));
      await more.close();
      t.equal(await read(fs, path), '0123ab', 'appends continue at the new end');
    });

    t.test('syncing a directory and a file both succeed', async (t) => {
      const { fs, root } = await setup(t);
      const h = await fs.open(join(root, 'f'), 'append');
      await h.append(text('x'));
      await h.sync();
      await h.close();
      await fs.syncDir(root);
      t.same(await fs.readdir(root), ['f']);
    });

    t.test('a file cannot be opened in a missing directory', async (t) => {
      const { fs, root } = await setup(t);
      await rejectsWithCode(t, fs.open(join(root, 'missing', 'f'), 'append'), 'ENOENT', 'missing parent');
    });
  });
}
