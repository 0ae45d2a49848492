import t, { type Test } from 'tap';
import type { StoreWatch, WatchBatch } from '../../../../raft/client/store-client.js';
import { WsStoreClient } from '../../../../raft/client/ws-store-client.js';
import { pollUntil } from '../../../helpers/store-cluster.js';
import { FakeReplica } from './fake-replica.js';

/**
 * Starting a watch against scripted fake replicas: a progress request made before any replica
 * serves the watch, and a start that times out on a slow replica and is retried on another.
 */

async function setUp(t: Test, attemptTimeoutMs = 5000): Promise<{ a: FakeReplica; b: FakeReplica; client: WsStoreClient }> {
  const a = await FakeReplica.start(1);
  const b = await FakeReplica.start(2);
  const client = new WsStoreClient({ endpoints: [a.address, b.address], keepaliveIntervalMs: 20, keepaliveMisses: 3, attemptTimeoutMs });
  t.teardown(async () => {
    await client.close();
    await a.close();
    await b.close();
  });
  // Both connections up and named, so that the watch goes to the leader, replica 1 (a).
  await pollUntil('both replicas answer', async () => (await client.statusAll()).every((s) => s.status !== undefined));
  return { a, b, client };
}

/** Every batch the watch delivers, as "progress" or "events@revision". */
function collect(watch: StoreWatch): string[] {
  const got: string[] = [];
  void (async () => {
    try {
      for await (const batch of watch as AsyncIterable<WatchBatch>) got.push(batch.progress === true ? 'progress' : `events@${batch.revision}`);
    } catch {
      /* a failed watch shows as missing batches */
    }
  })();
  return got;
}

t.test('a progress request made before the replica has answered the watch start is sent once it has, and answered', async (t) => {
  const { a, client } = await setUp(t);
  a.watchAnswerDelayMs = 300;
  const watch = client.watch('k');
  t.teardown(() => watch.cancel());
  const got = collect(watch);
  watch.requestProgress();
  await pollUntil('the progress batch', () => got.includes('progress'), 10_000);
  t.same(
    a.requestsOf('progress').map((r) => r.watchId),
    [100],
    'one progress request, for the watch the replica made',
  );
});

t.test('a progress request lost with a silent replica is made again on the replica the watch resumes on', async (t) => {
  const { a, b, client } = await setUp(t);
  const watch = client.watch('k', { fromRevision: 5 });
  t.teardown(() => watch.cancel());
  const got = collect(watch);
  await pollUntil('the watch starts on replica 1', () => a.liveWatches.length === 1);
  a.silent = true;
  watch.requestProgress();
  await pollUntil('the watch resumes on replica 2', () => b.watchStarts.length === 1, 10_000);
  await pollUntil('the progress batch from replica 2', () => got.includes('progress'), 10_000);
  t.equal(b.requestsOf('progress').length, 1, 'asked again where the watch now lives');
});

t.test('a watch start that times out is retried on another replica, and the watch the slow replica makes later is cancelled there', async (t) => {
  const { a, b, client } = await setUp(t, 200);
  a.watchAnswerDelayMs = 1_000;
  const watch = client.watch('k', { fromRevision: 5 });
  t.teardown(() => watch.cancel());
  const got = collect(watch);
  await pollUntil('the start is retried on replica 2', () => b.watchStarts.length === 1, 10_000);
  t.same(b.watchStarts, [5], 'from the same revision');
  await pollUntil('replica 1 answers and is told to cancel', () => a.requestsOf('cancelWatch').length === 1, 10_000);
  t.same(
    a.requestsOf('cancelWatch').map((r) => r.watchId),
    [100],
    'the watch its late answer named',
  );
  t.same(a.liveWatches, [], 'no watch is left running on the slow replica');
  b.emit(5);
  b.emit(6);
  await pollUntil('revisions 5 and 6', () => got.length === 2, 5000);
  t.same(got, ['events@5', 'events@6'], 'the consumer reads the watch on replica 2, each revision once');
});

t.test('a watch cancelled before its start is answered is cancelled on the replica when the answer comes', async (t) => {
  const { a, client } = await setUp(t);
  a.watchAnswerDelayMs = 200;
  const watch = client.watch('k');
  watch.cancel();
  await pollUntil('the late watch is cancelled', () => a.requestsOf('cancelWatch').length === 1, 10_000);
  t.same(a.liveWatches, []);
});
