import t from 'tap';
import { encodeObject } from '../../../../apiserver/storage/object-codec.js';
import { WatchCacheError } from '../../../../apiserver/watch-cache/types.js';
import { WatchCache } from '../../../../apiserver/watch-cache/watch-cache.js';
import type { KubeObject } from '../../../../kube/object.js';
import { MemoryStoreClient } from '../../../../raft/client/memory-store-client.js';
import { deletePod, PODS, pod, podKey, putPod, Recorder, silentLogger, startCache } from './watch-cache-fixtures.js';

const names = (items: KubeObject[]): string[] => items.map((o) => `${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`);
const isWeb = (o: KubeObject): boolean => o.metadata.labels?.app === 'web';

t.test('list serves the listed objects in key order at the cache revision, by namespace and predicate', async (t) => {
  const h = await startCache({}, undefined, false);
  t.teardown(() => h.close());
  await putPod(h.store, pod('b', 'p2', { app: 'web' })); // 2
  await putPod(h.store, pod('a', 'p9', { app: 'db' })); // 3
  await putPod(h.store, pod('a', 'p1', { app: 'web' })); // 4
  await h.store.put('/registry/podtemplates/a/x', encodeObject(pod('a', 'x'))); // 5, another resource
  await h.cache.start();
  const all = h.cache.list();
  t.same(names(all.items), ['a/p1@4', 'a/p9@3', 'b/p2@2']);
  t.equal(all.revision, 5, 'the list revision is the store revision the cache was listed at');
  t.same(names(h.cache.list({ namespace: 'a' }).items), ['a/p1@4', 'a/p9@3']);
  t.same(names(h.cache.list({ namespace: '' }).items), names(all.items), "namespace '' means all namespaces");
  t.same(names(h.cache.list({ predicate: isWeb }).items), ['a/p1@4', 'b/p2@2']);
  t.same(names(h.cache.list({ namespace: 'c' }).items), []);
  t.equal(h.cache.get(podKey('a', 'p9'))?.metadata.resourceVersion, '3');
  t.equal(h.cache.get(podKey('a', 'nope')), undefined);
  t.equal(h.cache.objectCount, 3);
});

t.test('list and get follow creates, updates and deletes once the cache reaches their revision', async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  await h.applied(putPod(h.store, pod('a', 'p1')));
  await h.applied(putPod(h.store, pod('a', 'p2')));
  const upd = await h.applied(putPod(h.store, pod('a', 'p1', {}, 'Running')));
  const del = await h.applied(deletePod(h.store, 'a', 'p2'));
  t.same(names(h.cache.list().items), [`a/p1@${upd}`]);
  t.same(h.cache.get(podKey('a', 'p1'))?.status, { phase: 'Running' });
  t.equal(h.cache.get(podKey('a', 'p2')), undefined);
  t.equal(h.cache.revision(), del);
  t.equal(h.cache.list().revision, del);
});

t.test('a watch from now gets each change once: DELETED carries the last state at the delete revision', async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  await h.applied(putPod(h.store, pod('a', 'old')));
  const rec = new Recorder();
  h.cache.watch({ ...rec.callbacks });
  const r1 = await h.applied(putPod(h.store, pod('a', 'p1')));
  const r2 = await h.applied(putPod(h.store, pod('a', 'p1', {}, 'Running')));
  const r3 = await h.applied(deletePod(h.store, 'a', 'p1'));
  await rec.untilCount(3);
  t.same(rec.lines, [`ADDED a/p1@${r1}`, `MODIFIED a/p1@${r2}`, `DELETED a/p1@${r3}`]);
  const deleted = rec.events[2];
  t.ok(deleted?.type === 'DELETED' && (deleted.object.status as { phase: string }).phase === 'Running', 'the deleted object is its last state');
});

t.test('a watch from an old revision inside the window replays what followed it, then continues live', async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  const r1 = await h.applied(putPod(h.store, pod('a', 'p1')));
  const r2 = await h.applied(putPod(h.store, pod('a', 'p2')));
  const r3 = await h.applied(putPod(h.store, pod('a', 'p1', {}, 'Running')));
  const rec = new Recorder();
  h.cache.watch({ fromRevision: r1, ...rec.callbacks });
  const r4 = await h.applied(deletePod(h.store, 'a', 'p2'));
  await rec.untilCount(3);
  t.same(rec.lines, [`ADDED a/p2@${r2}`, `MODIFIED a/p1@${r3}`, `DELETED a/p2@${r4}`]);
  const current = new Recorder();
  h.cache.watch({ fromRevision: h.cache.revision(), ...current.callbacks });
  const r5 = await h.applied(putPod(h.store, pod('a', 'p3')));
  await current.untilCount(1);
  t.same(current.lines, [`ADDED a/p3@${r5}`], 'a watch from the current revision replays nothing');
});

t.test("a watch from a revision older than the window closes Expired with kube's 410 message, never inside watch()", async (t) => {
  const h = await startCache({ eventWindowMax: 3 });
  t.teardown(() => h.close());
  const listed = h.cache.revision();
  const revs: number[] = [];
  for (let i = 0; i < 5; i++) revs.push(await h.applied(putPod(h.store, pod('a', `p${i}`))));
  // The window holds the last 3 changes (revs[2..4]); revs[1] was the last evicted.
  const oldest = revs[1] as number;
  const cases: [string, number, string | undefined][] = [
    ['the list revision', listed, 'Expired'],
    ['one before the window start', oldest - 1, 'Expired'],
    ['the window start', oldest, undefined],
    ['inside the window', revs[3] as number, undefined],
  ];
  for (const [what, from, expect] of cases) {
    const rec = new Recorder();
    let returned = false;
    const handle = h.cache.watch({
      fromRevision: from,
      onEvent: rec.onEvent,
      onClose: (r) => {
        t.ok(returned, `${what}: onClose comes after watch() returned`);
        rec.onClose(r);
      },
    });
    returned = true;
    if (expect === undefined) {
      await rec.untilCount((revs[4] as number) - from);
      t.equal(rec.closed, undefined, `${what}: served`);
      t.equal(rec.events[0]?.revision, from + 1, `${what}: starts right after ${from}`);
      handle.stop();
    } else {
      const reason = await rec.untilClosed();
      t.match(reason, { kind: 'Expired', revision: from, oldestRevision: oldest, message: `too old resource version: ${from} (${oldest})` }, what);
      t.same(rec.events, [], `${what}: no events`);
    }
  }
});

t.test('initial events: an ADDED per current object in key order, then live changes, none twice', async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  const r1 = await h.applied(putPod(h.store, pod('b', 'p1')));
  const r2 = await h.applied(putPod(h.store, pod('a', 'p2')));
  const rec = new Recorder();
  h.cache.watch({ initialEvents: true, initialEventsEndBookmark: true, ...rec.callbacks });
  // A write racing with the start of the watch: it comes once, as a live event.
  const r3 = await h.applied(putPod(h.store, pod('a', 'p2', {}, 'Running')));
  await rec.untilCount(4);
  t.same(rec.lines, [`ADDED a/p2@${r2}`, `ADDED b/p1@${r1}`, `BOOKMARK@${r2} end`, `MODIFIED a/p2@${r3}`]);
});

t.test('a watch from a future revision waits for the cache to get there, then delivers what follows', async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  const now = h.cache.revision();
  const plain = new Recorder();
  const initial = new Recorder();
  h.cache.watch({ fromRevision: now + 2, ...plain.callbacks });
  h.cache.watch({ fromRevision: now + 2, initialEvents: true, initialEventsEndBookmark: true, ...initial.callbacks });
  await h.applied(putPod(h.store, pod('a', 'p1'))); // now+1
  const r2 = await h.applied(putPod(h.store, pod('a', 'p2'))); // now+2
  const r3 = await h.applied(putPod(h.store, pod('a', 'p3'))); // now+3
  await plain.untilCount(1);
  await initial.untilCount(4);
  t.same(plain.lines, [`ADDED a/p3@${r3}`]);
  t.same(
    initial.lines,
    [`ADDED a/p1@${r2 - 1}`, `ADDED a/p2@${r2}`, `BOOKMARK@${r2} end`, `ADDED a/p3@${r3}`],
    'the snapshot is taken at the requested revision',
  );
});

t.test('with a predicate, objects entering and leaving the selection arrive as ADDED and DELETED (previous state, new revision)', async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  await h.applied(putPod(h.store, pod('a', 'p', { app: 'db' })));
  const rec = new Recorder();
  h.cache.watch({ predicate: isWeb, ...rec.callbacks });
  const steps: [string, () => Promise<number>, string | undefined][] = [
    ['starts matching', () => putPod(h.store, pod('a', 'p', { app: 'web' })), 'ADDED'],
    ['keeps matching', () => putPod(h.store, pod('a', 'p', { app: 'web' }, 'Running')), 'MODIFIED'],
    ['stops matching', () => putPod(h.store, pod('a', 'p', { app: 'db' }, 'Succeeded')), 'DELETED'],
    ['changes while not matching', () => putPod(h.store, pod('a', 'p', { app: 'db' }, 'Failed')), undefined],
    ['matches again', () => putPod(h.store, pod('a', 'p', { app: 'web' }, 'Failed')), 'ADDED'],
    ['is deleted while matching', () => deletePod(h.store, 'a', 'p'), 'DELETED'],
  ];
  const expected: string[] = [];
  for (const [, write, type] of steps) {
    const rev = await h.applied(write());
    if (type !== undefined) expected.push(`${type} a/p@${rev}`);
  }
  await rec.untilCount(expected.length);
  t.same(rec.lines, expected);
  const left = rec.events[2];
  t.ok(
    left?.type === 'DELETED' && left.object.metadata.labels?.app === 'web' && (left.object.status as { phase: string }).phase === 'Running',
    'leaving carries the state it had while it matched',
  );
});

t.test('a namespaced watch sees only its namespace', async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  await h.applied(putPod(h.store, pod('a', 'p0')));
  await h.applied(putPod(h.store, pod('ab', 'p0')));
  const rec = new Recorder();
  h.cache.watch({ namespace: 'a', initialEvents: true, ...rec.callbacks });
  await h.applied(putPod(h.store, pod('ab', 'p1')));
  await h.applied(putPod(h.store, pod('b', 'p1')));
  const r = await h.applied(putPod(h.store, pod('a', 'p1')));
  await rec.untilCount(2);
  t.same(rec.lines, [`ADDED a/p0@${r - 4}`, `ADDED a/p1@${r}`]);
});

t.test('bookmarks carry the current revision, only to watchers that asked, and only when they tell something new', async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  const withBookmarks = new Recorder();
  const without = new Recorder();
  h.cache.watch({ namespace: 'a', bookmarks: true, ...withBookmarks.callbacks });
  const handle = h.cache.watch({ namespace: 'a', ...without.callbacks });
  const r1 = await h.applied(putPod(h.store, pod('a', 'p1')));
  const r2 = await h.applied(putPod(h.store, pod('b', 'p1')));
  h.cache.sendBookmarks();
  h.cache.sendBookmarks();
  await withBookmarks.untilCount(2);
  t.same(withBookmarks.lines, [`ADDED a/p1@${r1}`, `BOOKMARK@${r2}`], 'a second tick at the same revision sends nothing');
  handle.bookmark();
  await without.untilCount(2);
  t.same(without.lines, [`ADDED a/p1@${r1}`, `BOOKMARK@${r2}`], 'the handler may ask for one');
});

t.test('every watcher that sees a change the same way gets the same event instance', async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  await h.applied(putPod(h.store, pod('a', 'p0')));
  const recs = [new Recorder(), new Recorder(), new Recorder()];
  for (const r of recs) h.cache.watch({ initialEvents: true, ...r.callbacks });
  await h.applied(putPod(h.store, pod('a', 'p1')));
  for (const r of recs) await r.untilCount(2);
  t.equal(recs[0]?.events[0], recs[1]?.events[0], 'initial events are shared');
  t.equal(recs[1]?.events[1], recs[2]?.events[1], 'live events are shared');
});

t.test('the revision advances on an idle resource through progress notifications', async (t) => {
  const h = await startCache({ progressIntervalMs: 60_000 });
  t.teardown(() => h.close());
  const other = await h.store.put('/registry/nodes/n1', encodeObject(pod('', 'n1')));
  await h.cache.waitForRevision(other.revision, 10_000);
  t.equal(h.cache.revision(), other.revision, 'a write to another resource still moves this cache');
  t.equal(h.cache.list().revision, other.revision);
});

t.test('waitForRevision gives up with kube\'s "Too large resource version" error', async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  const now = h.cache.revision();
  const err = await h.cache.waitForRevision(now + 100, 20).catch((e: unknown) => e);
  t.ok(err instanceof WatchCacheError);
  t.match(err, {
    code: 'Timeout',
    message: `Too large resource version: ${now + 100}, current: ${now}`,
    details: { requestedRevision: now + 100, currentRevision: now },
  });
  await t.rejects(h.cache.waitForRevision(-1, 10), { code: 'InvalidArgument' });
});

t.test('before start and after stop the cache refuses reads; stop closes every watcher Stopped', async (t) => {
  const store = new MemoryStoreClient({ leaseCheckIntervalMs: 0 });
  t.teardown(() => store.close());
  const cache = new WatchCache({ store, prefix: PODS, decode: (kv) => JSON.parse(Buffer.from(kv.value).toString()), logger: silentLogger });
  t.throws(() => cache.list(), { code: 'NotReady', message: 'storage is (re)initializing' });
  t.throws(() => cache.watch({ onEvent: () => true, onClose: () => {} }), { code: 'NotReady' });
  t.equal(cache.ready(), false);
  await cache.start();
  t.equal(cache.ready(), true);
  const rec = new Recorder();
  cache.watch({ ...rec.callbacks });
  const waiting = cache.waitForRevision(cache.revision() + 10, 10_000);
  cache.stop();
  t.match(await rec.untilClosed(), { kind: 'Stopped' }, 'a watcher closed before its first delivery hears of it on a later microtask');
  await t.rejects(waiting, { code: 'Stopped' });
  t.throws(() => cache.get(podKey('a', 'p')), { code: 'Stopped' });
  t.equal(cache.watcherCount, 0);
});

t.test('a stored value that does not decode is treated as absent and logged, not thrown', async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  const rec = new Recorder();
  h.cache.watch({ ...rec.callbacks });
  await h.applied(putPod(h.store, pod('a', 'p1')));
  const bad = await h.applied(h.store.put(podKey('a', 'p1'), Buffer.from('{not json')).then((r) => r.revision));
  const ok = await h.applied(putPod(h.store, pod('a', 'p2')));
  await rec.untilCount(3);
  t.same(rec.lines, [`ADDED a/p1@${bad - 1}`, `DELETED a/p1@${bad}`, `ADDED a/p2@${ok}`]);
  t.same(names(h.cache.list().items), [`a/p2@${ok}`]);
});

t.test('watch rejects a revision that is not a non-negative integer before opening anything', async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  for (const bad of [-1, 1.5, Number.NaN])
    t.throws(() => h.cache.watch({ fromRevision: bad, onEvent: () => true, onClose: () => {} }), { code: 'InvalidArgument' }, String(bad));
  t.equal(h.cache.watcherCount, 0);
});

t.test('on their own timers the cache learns idle revisions and sends bookmarks to watchers that asked', async (t) => {
  const h = await startCache({ progressIntervalMs: 5, bookmarkIntervalMs: 5 });
  t.teardown(() => h.close());
  const rec = new Recorder();
  h.cache.watch({ bookmarks: true, ...rec.callbacks });
  const other = await h.store.put('/registry/nodes/n1', encodeObject(pod('', 'n1')));
  await rec.until(() => rec.lines.includes(`BOOKMARK@${other.revision}`), 'a bookmark at the idle revision');
  t.equal(h.cache.revision(), other.revision);
  t.ok(
    rec.events.every((e) => e.type === 'BOOKMARK'),
    'nothing but bookmarks on an idle resource',
  );
});

t.test('a resource larger than one list page is listed as one snapshot, and keys past the prefix stay out', async (t) => {
  const h = await startCache({ listPageSize: 2 }, undefined, false);
  t.teardown(() => h.close());
  for (let i = 0; i < 5; i++) await putPod(h.store, pod('a', `p${i}`));
  await h.store.put('/registry/pods0', Buffer.from('{}'));
  await h.store.put('/registry/podsecuritypolicies/x', Buffer.from('{}'));
  await h.cache.start();
  t.same(names(h.cache.list().items), ['a/p0@2', 'a/p1@3', 'a/p2@4', 'a/p3@5', 'a/p4@6']);
});
