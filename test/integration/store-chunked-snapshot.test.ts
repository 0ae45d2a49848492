import t from 'tap';
import { StoreCluster, pollUntil } from '../helpers/store-cluster.js';

/**
 * A follower that fell behind a compacted log catches up by a snapshot larger than a peer frame:
 * real replica processes, with the frame limit lowered so a few MB of state must go in chunks.
 */
t.test('a replica that missed a compacted log catches up by a snapshot sent in chunks over the frame limit', async (t) => {
  const frameBytes = 256 * 1024;
  const cluster = await StoreCluster.start(3, ['--snapshot-count', '50', '--snapshot-catchup-entries', '10', '--max-peer-frame-bytes', String(frameBytes)]);
  t.teardown(() => cluster.stop(!t.passing()));
  const client = cluster.client({ attemptTimeoutMs: 2000 });
  const leader = await cluster.waitForLeader();
  const lagging = leader === 1 ? 2 : 1;
  await cluster.kill(lagging);

  // ~2 MB of state: the snapshot is several frames' worth.
  const value = new Uint8Array(8 * 1024).fill(0x61);
  for (let i = 0; i < 250; i++) await client.put(`big/${String(i).padStart(4, '0')}`, value);
  const { revision } = await client.put('big/last', value);

  await cluster.restart(lagging);
  await pollUntil(
    'the restarted replica holds the same key space',
    async () => {
      const hs = await Promise.all(cluster.endpoints.map((e) => client.callOn<{ hash: number }>(e, { op: 'hash', revision })));
      return new Set(hs.map((h) => h.hash)).size === 1 ? hs : undefined;
    },
    60_000,
    200,
  );
  t.match(cluster.log(lagging), /received a chunked snapshot message/, 'the snapshot came in chunks');
  t.match(cluster.log(lagging), /installed snapshot from the leader/, 'and was installed');
  t.notMatch(cluster.log(lagging), /dropped a bad chunk/, 'no chunk was refused');
});
