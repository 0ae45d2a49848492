import t from 'tap';
import type { KvEvent } from '../../raft/kv/types.js';
import { StoreCluster, pollUntil } from '../helpers/store-cluster.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

t.test('killing the leader during a stream of writes loses no acknowledged write, and the watch sees each revision once', async (t) => {
  const cluster = await StoreCluster.start(3, ['--snapshot-count', '100', '--snapshot-catchup-entries', '20']);
  t.teardown(() => cluster.stop(!t.passing()));
  const client = cluster.client({ attemptTimeoutMs: 1000 });
  const start = await client.put('k/start', enc.encode('0'));

  const seen: { revision: number; events: readonly KvEvent[] }[] = [];
  const watch = cluster.client().watch('k/', { prefix: true, fromRevision: start.revision });
  const watching = (async () => {
    for await (const b of watch) if (b.events.length > 0) seen.push({ revision: b.revision, events: b.events });
  })();

  const acked = new Map<string, { value: string; revision: number }>();
  let stop = false;
  const writer = async (w: number) => {
    for (let n = 0; !stop; n++) {
      const key = `k/${w}-${n}`;
      try {
        const r = await client.put(key, enc.encode(String(n)));
        acked.set(key, { value: String(n), revision: r.revision });
      } catch {
        /* not acknowledged: makes no promise */
      }
    }
  };
  const writers = [0, 1, 2, 3].map(writer);
  await pollUntil('100 acknowledged writes', () => acked.size >= 100);
  const oldLeader = await cluster.waitForLeader();
  await cluster.kill(oldLeader);
  const killedAt = acked.size;
  await pollUntil('200 more acknowledged writes after the kill', () => acked.size >= killedAt + 200, 60_000);
  stop = true;
  await Promise.all(writers);
  const newLeader = await cluster.waitForLeader();
  t.not(newLeader, oldLeader, `replica ${newLeader} took over from ${oldLeader}`);

  const all = await client.range('k/', { prefix: true });
  const stored = new Map(all.kvs.map((kv) => [kv.key, { value: dec.decode(kv.value), revision: kv.modRevision }]));
  const lost = [...acked].filter(([k, v]) => stored.get(k)?.value !== v.value);
  t.same(lost, [], `all ${acked.size} acknowledged writes are readable`);

  await pollUntil('the watch caught up', () => seen.length > 0 && (seen[seen.length - 1] as { revision: number }).revision >= all.revision);
  watch.cancel();
  await watching;
  const revisions = seen.map((b) => b.revision);
  t.ok(
    revisions.every((r, i) => i === 0 || r > (revisions[i - 1] as number)),
    'watch revisions strictly increase: in order, none twice',
  );
  const watched = new Set(seen.flatMap((b) => b.events.map((e) => `${e.kv.key}@${b.revision}`)));
  const missing = [...acked].filter(([k, v]) => !watched.has(`${k}@${v.revision}`));
  t.same(missing, [], 'the watch delivered every acknowledged write');

  // The log is compacted by now: the restarted replica must catch up by snapshot.
  const atRevision = all.revision;
  await client.compact(atRevision);
  await cluster.restart(oldLeader);
  const hashes = await pollUntil(
    'every replica to hold the same key space at one revision',
    async () => {
      const hs = await Promise.all(cluster.endpoints.map((e) => client.callOn<{ hash: number }>(e, { op: 'hash', revision: atRevision })));
      const set = new Set(hs.map((h) => h.hash));
      return set.size === 1 ? hs : undefined;
    },
    60_000,
    200,
  );
  t.equal(hashes.length, 3, 'three replicas agree on the hash of the key space');
  t.match(cluster.log(oldLeader), /installed snapshot from the leader/, 'the restarted replica caught up from a snapshot');
});

t.test('kill -9 of every replica at once, then a restart, loses no acknowledged write', async (t) => {
  const cluster = await StoreCluster.start(3);
  t.teardown(() => cluster.stop(!t.passing()));
  const client = cluster.client({ attemptTimeoutMs: 1000 });
  const acked = new Map<string, string>();
  let stop = false;
  const writers = [0, 1, 2].map(async (w) => {
    for (let n = 0; !stop; n++) {
      try {
        await client.put(`all/${w}-${n}`, enc.encode(`v${n}`));
        acked.set(`all/${w}-${n}`, `v${n}`);
      } catch {
        /* unacknowledged */
      }
    }
  });
  await pollUntil('150 acknowledged writes', () => acked.size >= 150);
  const snapshotOfAcked = new Map(acked);
  await Promise.all(cluster.replicas.map((r) => cluster.kill(r.id)));
  stop = true;
  for (const r of cluster.replicas) await cluster.restart(r.id);
  await Promise.all(writers);
  await cluster.waitForLeader();
  const all = await client.range('all/', { prefix: true });
  const stored = new Map(all.kvs.map((kv) => [kv.key, dec.decode(kv.value)]));
  const lost = [...snapshotOfAcked].filter(([k, v]) => stored.get(k) !== v);
  t.same(lost, [], `all ${snapshotOfAcked.size} writes acknowledged before the crash survived it`);
});
