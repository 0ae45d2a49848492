import t, { type Test } from 'tap';
import type { WatchBatch } from '../../../../raft/client/store-client.js';
import { WsStoreClient } from '../../../../raft/client/ws-store-client.js';
import { pollUntil } from '../../../helpers/store-cluster.js';
import { FakeReplica } from './fake-replica.js';

/**
 * The store client's watch resumption against scripted fake replicas on loopback: cases a real
 * cluster only hits by chance (a replica gone silent with its socket open, a replica that dies
 * between receiving a watch and answering it).
 */

async function setUp(t: Test): Promise<{ a: FakeReplica; b: FakeReplica; client: WsStoreClient }> {
  const a = await FakeReplica.start(1);
  const b = await FakeReplica.start(2);
  const client = new WsStoreClient({ endpoints: [a.address, b.address], keepaliveIntervalMs: 20, keepaliveMisses: 3, attemptTimeoutMs: 5000 });
  t.teardown(async () => {
    await client.close();
    await a.close();
    await b.close();
  });
  // Both connections up and named, so that the watch goes to the leader, replica 1 (a).
  await pollUntil('both replicas answer', async () => (await client.statusAll()).every((s) => s.status !== undefined));
  return { a, b, client };
}

function collect(client: WsStoreClient): { revisions: number[]; watch: ReturnType<WsStoreClient['watch']> } {
  const revisions: number[] = [];
  const watch = client.watch('k', { fromRevision: 5 });
  void (async () => {
    try {
      for await (const batch of watch as AsyncIterable<WatchBatch>) if (batch.events.length > 0) revisions.push(batch.revision);
    } catch {
      /* a failed watch shows as missing revisions */
    }
  })();
  return { revisions, watch };
}

t.test('a watch on a replica that goes silent with its socket open resumes on another replica from the next revision', async (t) => {
  const { a, b, client } = await setUp(t);
  const { revisions, watch } = collect(client);
  t.teardown(() => watch.cancel());
  await pollUntil('the watch starts on replica 1', () => a.watchStarts.length === 1);
  a.emit(5);
  a.emit(6);
  await pollUntil('revisions 5 and 6', () => revisions.length === 2);
  a.silent = true;
  await pollUntil('the watch resumes on replica 2', () => b.watchStarts.length === 1, 10_000);
  t.same(b.watchStarts, [7], 'it asks replica 2 for the revision after the last one delivered');
  b.emit(7);
  await pollUntil('revision 7', () => revisions.length === 3);
  t.same(revisions, [5, 6, 7], 'each revision once, in order');
});

t.test('a watch start lost with its connection is retried on another replica and fed from the one that answered', async (t) => {
  const { a, b, client } = await setUp(t);
  a.watchMode = 'hang-up';
  const { revisions, watch } = collect(client);
  t.teardown(() => watch.cancel());
  await pollUntil('replica 1 hung up on the watch', () => a.watchStarts.length === 1);
  await pollUntil('the watch is retried on replica 2', () => b.watchStarts.length === 1, 10_000);
  t.same(b.watchStarts, [5], 'from the requested revision');
  b.emit(5);
  b.emit(6);
  await pollUntil('revisions 5 and 6 from replica 2', () => revisions.length === 2, 5000);
  t.same(revisions, [5, 6], "replica 2's events reach the consumer");
});
