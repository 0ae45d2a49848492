import { readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { decodeRecords } from '../../raft/storage/wal-record.js';
import { StoreCluster, pollUntil } from '../helpers/store-cluster.js';

const enc = new TextEncoder();

function lastSegment(dataDir: string): string {
  const dir = join(dataDir, 'wal');
  const names = readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort();
  return join(dir, names[names.length - 1] as string);
}

async function hashesAgree(cluster: StoreCluster, revision: number): Promise<boolean> {
  const c = cluster.client();
  const hs = await Promise.all(cluster.endpoints.map((e) => c.callOn<{ hash: number }>(e, { op: 'hash', revision })));
  return new Set(hs.map((h) => h.hash)).size === 1;
}

t.test('a torn WAL tail is truncated at restart, logged, and the replica catches up', async (t) => {
  const cluster = await StoreCluster.start(3);
  t.teardown(() => cluster.stop(!t.passing()));
  const client = cluster.client();
  let last = 0;
  for (let i = 0; i < 40; i++) last = (await client.put(`torn/${i}`, enc.encode(`v${i}`))).revision;
  await pollUntil('replica 3 to apply everything', async () => (await cluster.statusOf(3)).revision >= last);
  await cluster.kill(3);

  const file = lastSegment(cluster.replica(3).dataDir);
  const { records } = decodeRecords(readFileSync(file));
  const tail = records[records.length - 1];
  if (!tail) throw new Error('empty segment');
  truncateSync(file, tail.offset + Math.floor((tail.end - tail.offset) / 2));

  await cluster.restart(3);
  await pollUntil('replica 3 to be ready again', async () => (await fetch(`http://127.0.0.1:${cluster.replica(3).clientPort}/readyz`)).ok);
  t.match(cluster.log(3), /WAL tail truncated at .*\.wal:\d+/, 'the truncation is logged with the file and offset');
  const more = await client.put('torn/after', enc.encode('x'));
  await pollUntil('every replica to agree on the key space', () => hashesAgree(cluster, more.revision));
  t.pass('replica 3 is back in step with the others');
});

t.test('a corrupt record before the WAL tail stops the replica with an error that says where', async (t) => {
  const cluster = await StoreCluster.start(3);
  t.teardown(() => cluster.stop(!t.passing()));
  const client = cluster.client();
  for (let i = 0; i < 40; i++) await client.put(`bad/${i}`, enc.encode(`v${i}`));
  await cluster.kill(2);
  await cluster.waitForLeader();

  const file = lastSegment(cluster.replica(2).dataDir);
  const buf = readFileSync(file);
  const { records } = decodeRecords(buf);
  const victim = records[Math.floor(records.length / 2)];
  if (!victim) throw new Error('no records');
  buf[victim.end - 1] = (buf[victim.end - 1] as number) ^ 0xff;
  writeFileSync(file, buf);

  const proc = await cluster.restart(2);
  const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  t.not(code, 0, 'the replica refuses to start');
  t.match(
    cluster.log(2),
    new RegExp(`refusing to start: WAL corrupt in .*${file.split('/').pop()} at byte offset ${victim.offset}`),
    'it names the file and the offset',
  );
  const r = await client.put('bad/still-writable', enc.encode('yes'));
  t.ok(r.revision > 0, 'the other two replicas carry on');
});
