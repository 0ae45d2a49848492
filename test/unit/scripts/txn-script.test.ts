import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readSnapshotFile, writeSnapshotFile } from '../../../scripts/store-snapshot-file.js';
import { parseTxnScript } from '../../../scripts/txn-script.js';

const enc = new TextEncoder();

t.test("storectl txn reads etcdctl's syntax: compares, a blank line, success ops, a blank line, failure ops", async (t) => {
  const txn = parseTxnScript('mod("key1") > "0"\nvalue("key2") = "v 2"\n\nput key1 "overwrote-key1"\nget key2\n\nput key1 created-key1\ndel key3\n');
  t.same(txn.compare, [
    { key: 'key1', target: 'modRevision', result: '>', operand: 0 },
    { key: 'key2', target: 'value', result: '=', operand: enc.encode('v 2') },
  ]);
  t.same(txn.success, [
    { t: 'put', key: 'key1', value: enc.encode('overwrote-key1') },
    { t: 'range', key: 'key2' },
  ]);
  t.same(txn.failure, [
    { t: 'put', key: 'key1', value: enc.encode('created-key1') },
    { t: 'delete', key: 'key3' },
  ]);
});

t.test('a txn line that does not parse is refused with the line in the message', async (t) => {
  t.throws(() => parseTxnScript('modrev(key1) > 0\n'), /cannot parse compare: modrev/);
  t.throws(() => parseTxnScript('\nput onlykey\n'), /put needs a value/);
  t.throws(() => parseTxnScript('version("k") = "x"\n'), /compares a number/);
});

t.test('a store backup round-trips, and a damaged or truncated one is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picokube-backup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'backup.db');
  writeSnapshotFile(file, enc.encode('state bytes'), 42);
  const back = readSnapshotFile(file);
  t.equal(back.revision, 42);
  t.same(back.data, enc.encode('state bytes'));
  const bytes = readFileSync(file);
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
  writeFileSync(join(dir, 'damaged.db'), bytes);
  t.throws(() => readSnapshotFile(join(dir, 'damaged.db')), /checksum mismatch/);
  writeFileSync(join(dir, 'short.db'), bytes.subarray(0, bytes.length - 3));
  t.throws(() => readSnapshotFile(join(dir, 'short.db')), /truncated/);
  writeFileSync(join(dir, 'other.db'), 'not a backup at all');
  t.throws(() => readSnapshotFile(join(dir, 'other.db')), /not a picokube store backup/);
});
