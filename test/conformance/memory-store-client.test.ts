import t from 'tap';
import { MemoryStoreClient } from '../../raft/client/memory-store-client.js';
import { MemoryStoreServer } from '../../raft/client/memory-store-server.js';
import { StoreError, type StoreWatch, type WatchBatch } from '../../raft/client/store-client.js';
import { PROGRESS_NOTIFY_INTERVAL_MS, storeClientConformance } from './store-client.conformance.js';

/**
 * The store client suite on the in-memory twin, with each kind of hop; then what only the twin
 * has: an injected lease clock, a store shared by several clients, and its pretend network.
 */

for (const hop of ['microtask', 'immediate'] as const) {
  storeClientConformance(t, `memory store client (${hop} hop)`, async () => {
    const client = new MemoryStoreClient({ hop, watchProgressNotifyIntervalMs: PROGRESS_NOTIFY_INTERVAL_MS });
    return { client, close: () => client.close() };
  });
}

const b = (s: string): Uint8Array => new TextEncoder().encode(s);

async function nextBatch(watch: StoreWatch): Promise<WatchBatch> {
  const r = await watch[Symbol.asyncIterator]().next();
  if (r.done === true) throw new Error('the watch ended');
  return r.value;
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'succeeded';
  } catch (e) {
    return e instanceof StoreError ? e.code : String(e);
  }
}

t.test('a lease runs out on the injected clock, checked when a request arrives; keep-alive restarts its TTL', async (t) => {
  let nowMs = 1_000;
  const client = new MemoryStoreClient({ nowMs: () => nowMs, leaseCheckIntervalMs: 0 });
  t.teardown(() => client.close());
  const lease = await client.leaseGrant(10);
  const put = await client.put('/l/k', b('v'), { lease: lease.id });
  const watch = client.watch('/l/', { prefix: true, fromRevision: put.revision + 1 });
  nowMs += 9_999;
  t.equal((await client.range('/l/k')).count, 1, 'alive 1 ms before the TTL runs out');
  await client.leaseKeepAlive(lease.id);
  nowMs += 9_999;
  t.equal((await client.range('/l/k')).count, 1, 'the keep-alive restarted the TTL');
  nowMs += 1;
  t.equal((await client.range('/l/k')).count, 0, 'gone once the TTL has run out');
  const batch = await nextBatch(watch);
  t.same(
    batch.events.map((e) => `${e.type} ${e.kv.key}`),
    ['delete /l/k'],
    'watchers see the revoke',
  );
  t.equal(await failure(client.leaseKeepAlive(lease.id)), 'LeaseNotFound');
});

t.test('with no request arriving, the lease check timer revokes an expired lease', async (t) => {
  let nowMs = 0;
  const client = new MemoryStoreClient({ nowMs: () => nowMs, leaseCheckIntervalMs: 5 });
  t.teardown(() => client.close());
  const lease = await client.leaseGrant(1);
  const put = await client.put('/l/k', b('v'), { lease: lease.id });
  const watch = client.watch('/l/k', { fromRevision: put.revision + 1 });
  nowMs = 1_000;
  const batch = await nextBatch(watch);
  t.same(
    batch.events.map((e) => e.type),
    ['delete'],
  );
});

t.test('clients sharing one store see each other’s writes and watches; closing one leaves the others working', async (t) => {
  const server = new MemoryStoreServer();
  t.teardown(() => server.close());
  const writer = new MemoryStoreClient({ server });
  const watcher = new MemoryStoreClient({ server });
  t.teardown(() => watcher.close());
  const watch = watcher.watch('/s/', { prefix: true });
  await watcher.status(); // the watch request went first on this connection
  const put = await writer.put('/s/k', b('v'));
  t.equal((await nextBatch(watch)).revision, put.revision, 'a watch on one client sees another client’s write');
  t.same(
    (await watcher.range('/s/k')).kvs.map((kv) => kv.modRevision),
    [put.revision],
  );
  await writer.close();
  t.equal(await failure(writer.put('/s/k', b('v'))), 'Closed', 'the closed client refuses');
  t.equal(server.hub.watcherCount, 1, 'the other client’s watch lives on');
  t.equal((await watcher.put('/s/k2', b('v'))).revision, put.revision + 1, 'the shared store still serves the other client');
});

t.test('closing a shared store ends every client’s watches and fails their requests with Closed', async (t) => {
  const server = new MemoryStoreServer();
  const client = new MemoryStoreClient({ server });
  t.teardown(() => client.close());
  const watch = client.watch('/c/', { prefix: true });
  await client.status();
  server.close();
  t.equal(await failure(nextBatch(watch)), 'Closed');
  t.equal(await failure(client.range('/c/k')), 'Closed');
});

for (const hop of ['microtask', 'immediate'] as const) {
  t.test(`requests cross a ${hop} hop: put() returns before the store applies it, and its watch event comes before its reply`, async (t) => {
    const server = new MemoryStoreServer({ leaseCheckIntervalMs: 0 });
    const client = new MemoryStoreClient({ server, hop });
    t.teardown(() => client.close().then(() => server.close()));
    const watch = client.watch('/h/', { prefix: true });
    let delivered = false;
    const next = nextBatch(watch).then((batch) => {
      delivered = true;
      return batch;
    });
    const before = server.store.revision;
    const pending = client.put('/h/k', b('v'));
    t.equal(server.store.revision, before, 'nothing applied inside the call');
    const put = await pending;
    t.equal(server.store.revision, before + 1);
    t.ok(delivered, 'the watch event was delivered before the put resolved');
    t.equal((await next).revision, put.revision);
  });
}

t.test('a request over the frame limit fails at once with TooLarge and writes nothing', async (t) => {
  const client = new MemoryStoreClient();
  t.teardown(() => client.close());
  const before = client.server.store.revision;
  t.equal(await failure(client.put('/big', new Uint8Array(5 * 1024 * 1024))), 'TooLarge');
  t.equal(
    await failure(client.put('/big', new Uint8Array(3 * 1024 * 1024))),
    'MalformedCommand',
    'under the frame limit but over the command limit, as a replica answers',
  );
  t.equal(client.server.store.revision, before);
});

t.test('leaving a for-await loop early cancels the watch in the store', async (t) => {
  const client = new MemoryStoreClient();
  t.teardown(() => client.close());
  const watch = client.watch('/f/', { prefix: true });
  await client.put('/f/k', b('v'));
  for await (const batch of watch) {
    t.equal(batch.events.length, 1);
    break;
  }
  await client.status(); // after the cancel on the same connection
  t.equal(client.server.hub.watcherCount, 0);
});
