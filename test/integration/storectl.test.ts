import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { run } from '../../scripts/storectl.js';
import { StoreCluster, freePort, pollUntil } from '../helpers/store-cluster.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Runs storectl in this process (starting a process per command would dominate the test's time). */
async function storectl(cluster: StoreCluster, args: string[], input?: string): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await run(['--endpoints', cluster.endpoints.join(','), ...args], {
    out: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += s;
    },
    stdin: () => input ?? '',
  });
  return { status, stdout, stderr };
}

t.test('storectl puts, gets, deletes, runs txns, leases and reports status like etcdctl', async (t) => {
  const cluster = await StoreCluster.start(3);
  t.teardown(() => cluster.stop(!t.passing()));
  t.equal((await storectl(cluster, ['put', 'greeting', 'hello'])).stdout, 'OK\n');
  t.equal((await storectl(cluster, ['put', 'greeting/de', 'hallo'])).stdout, 'OK\n');
  t.equal((await storectl(cluster, ['get', 'greeting', '--prefix'])).stdout, 'greeting\nhello\ngreeting/de\nhallo\n');
  const json = JSON.parse((await storectl(cluster, ['get', 'greeting', '-w', 'json'])).stdout) as { kvs: { value: string; version: number }[] };
  t.equal(Buffer.from(json.kvs[0]?.value ?? '', 'base64').toString(), 'hello', 'json output carries values in base64');
  t.equal((await storectl(cluster, ['get', 'greeting', '--rev', '2'])).stdout, 'greeting\nhello\n', 'reads at a past revision');
  const txn = await storectl(cluster, ['txn'], 'value("greeting") = "hello"\n\nput greeting bonjour\n\nget greeting\n');
  t.equal(txn.stdout, 'SUCCESS\nOK\n');
  t.equal((await storectl(cluster, ['get', 'greeting'])).stdout, 'greeting\nbonjour\n');
  t.equal((await storectl(cluster, ['del', 'greeting', '--prefix'])).stdout, '2\n');
  const lease = (await storectl(cluster, ['lease', 'grant', '60'])).stdout;
  const id = /lease ([0-9a-f]+) granted/.exec(lease)?.[1];
  t.ok(id, `granted ${lease.trim()}`);
  t.equal((await storectl(cluster, ['put', 'leased', 'x', '--lease', String(Number.parseInt(id ?? '0', 16))])).stdout, 'OK\n');
  t.match((await storectl(cluster, ['lease', 'timetolive', id ?? ''])).stdout, /attached keys\(leased\)/);
  t.match((await storectl(cluster, ['lease', 'revoke', id ?? ''])).stdout, /revoked/);
  t.equal((await storectl(cluster, ['get', 'leased'])).stdout, '', 'revoking the lease deleted its key');
  const status = (await storectl(cluster, ['endpoint', 'status'])).stdout;
  t.match(status, /IS LEADER/);
  t.equal((status.match(/\| true /g) ?? []).length, 1, 'exactly one replica is the leader');
  const rows = JSON.parse((await storectl(cluster, ['endpoint', 'status', '-w', 'json'])).stdout) as { status: { revision: number } }[];
  t.equal(rows.length, 3);
  t.equal((await storectl(cluster, ['get'])).status, 1, 'a usage error exits non-zero');
});

t.test('a new replica joins as a learner, catches up, is promoted; a member is removed', async (t) => {
  const cluster = await StoreCluster.start(3);
  t.teardown(() => cluster.stop(!t.passing()));
  for (let i = 0; i < 20; i++) await storectl(cluster, ['put', `m/${i}`, String(i)]);
  const r4 = {
    id: 4,
    clientPort: await freePort(),
    peerPort: await freePort(),
    dataDir: join(cluster.dir, 'r4'),
    logFile: join(cluster.dir, 'r4.log'),
    proc: undefined,
  };
  const add = await storectl(cluster, [
    'member',
    'add',
    '4',
    '--peer-url',
    `127.0.0.1:${r4.peerPort}`,
    '--client-url',
    `127.0.0.1:${r4.clientPort}`,
    '--learner',
  ]);
  t.match(add.stdout, /\| 4 +\| store-4 .*\| true +\|/, 'member 4 is listed as a learner');
  cluster.replicas.push(r4);
  const peers = cluster.replicas.map((r) => `${r.id}=127.0.0.1:${r.peerPort}`).join(',');
  cluster.spawn(r4, ['--join', '--peers', peers]);
  await pollUntil(
    'the learner to catch up',
    async () => (await cluster.statusOf(4)).raftAppliedIndex >= (await cluster.statusOf(1)).raftCommitIndex - 1,
    30_000,
    200,
  );
  const promote = await storectl(cluster, ['member', 'promote', '4']);
  t.match(promote.stdout, /\| 4 +\| store-4 .*\| false +\|/, 'member 4 is a voter now');
  const remove = await storectl(cluster, ['member', 'remove', '1']);
  t.notMatch(remove.stdout, /\| 1 +\| store-1/, 'member 1 is gone from the list');
  const got = await storectl(cluster, ['get', 'm/', '--prefix', '--count-only']);
  t.equal(got.stdout, '20\n', 'the data is all there');
  await pollUntil('replica 1 to stop after its removal', () => cluster.replica(1).proc?.exitCode !== null);
});

t.test('snapshot save, then restore into a new cluster, brings the data back', async (t) => {
  const cluster = await StoreCluster.start(3);
  t.teardown(() => cluster.stop(!t.passing()));
  for (let i = 0; i < 10; i++) await storectl(cluster, ['put', `snap/${i}`, `v${i}`]);
  const file = join(cluster.dir, 'backup.db');
  t.match((await storectl(cluster, ['snapshot', 'save', file])).stdout, /snapshot saved/);
  const fresh = await StoreCluster.prepare(3);
  t.teardown(() => fresh.stop(!t.passing()));
  for (const r of fresh.replicas) {
    const res = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'scripts/picokube.ts'), 'storectl', 'snapshot', 'restore', file, '--data-dir', r.dataDir, '--peers', fresh.peersFlag],
      { encoding: 'utf8' },
    );
    t.match(res.stdout, /restored revision/);
  }
  await fresh.launch();
  t.equal((await storectl(fresh, ['get', 'snap/', '--prefix', '--count-only'])).stdout, '10\n', 'the new cluster holds the backed-up keys');
  t.equal((await storectl(fresh, ['get', 'snap/3'])).stdout, 'snap/3\nv3\n');
});

t.test('SIGTERM on the leader hands leadership over before it exits', async (t) => {
  const cluster = await StoreCluster.start(3);
  t.teardown(() => cluster.stop(!t.passing()));
  const leader = await cluster.waitForLeader();
  await cluster.kill(leader, 'SIGTERM');
  t.equal(cluster.replica(leader).proc?.exitCode, 0, 'it exits cleanly');
  t.match(cluster.log(leader), /"done":true,"msg":"leadership transfer before stopping"/);
  const next = await cluster.waitForLeader();
  t.not(next, leader);
});
