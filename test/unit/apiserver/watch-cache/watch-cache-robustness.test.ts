import t from 'tap';
import type { CacheWatchCloseReason } from '../../../../apiserver/watch-cache/types.js';
import type { KubeObject } from '../../../../kube/object.js';
import { StoreError } from '../../../../raft/client/store-client.js';
import { FaultyStore } from './faulty-store.js';
import { deletePod, pod, putPod, Recorder, startCache } from './watch-cache-fixtures.js';

const names = (items: KubeObject[]): string[] => items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

t.test('a watcher that falls more than watcherBufferMax events behind is closed TooSlow; the others get everything', async (t) => {
  const h = await startCache({ watcherBufferMax: 5 });
  t.teardown(() => h.close());
  const slow = new Recorder();
  slow.accept = false;
  const fast = new Recorder();
  h.cache.watch({ ...slow.callbacks });
  h.cache.watch({ ...fast.callbacks });
  const expected: string[] = [];
  for (let i = 0; i < 8; i++) expected.push(`ADDED a/p${i}@${await h.applied(putPod(h.store, pod('a', `p${i}`)))}`);
  await fast.untilCount(8);
  t.same(fast.lines, expected);
  t.match(await slow.untilClosed(), { kind: 'TooSlow', bufferedEvents: 6 });
  t.same(slow.lines, expected.slice(0, 1), 'it got the one event it took before pausing');
  t.equal(h.cache.tooSlowCount, 1);
  t.equal(h.cache.watcherCount, 1);
});

t.test('a paused watcher resumed within the limit gets every event in order, nothing lost', async (t) => {
  const h = await startCache({ watcherBufferMax: 5 });
  t.teardown(() => h.close());
  await h.applied(putPod(h.store, pod('a', 'p0')));
  await h.applied(putPod(h.store, pod('a', 'p1')));
  const rec = new Recorder();
  rec.accept = false;
  const handle = h.cache.watch({ initialEvents: true, ...rec.callbacks });
  const expected = ['ADDED a/p0@2', 'ADDED a/p1@3'];
  for (let i = 2; i < 7; i++) expected.push(`ADDED a/p${i}@${await h.applied(putPod(h.store, pod('a', `p${i}`)))}`);
  t.same(rec.lines, expected.slice(0, 1), 'paused after the first');
  rec.accept = true;
  handle.resume();
  await rec.untilCount(expected.length);
  t.same(rec.lines, expected);
  t.equal(rec.closed, undefined, 'the initial events did not count against the limit, the 5 live ones are within it');
});

t.test('a watcher whose callback throws is closed Failed; the others carry on', async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  const bad = new Recorder();
  const good = new Recorder();
  h.cache.watch({
    onEvent: () => {
      throw new Error('handler bug');
    },
    onClose: bad.onClose,
  });
  h.cache.watch({ ...good.callbacks });
  await h.applied(putPod(h.store, pod('a', 'p1')));
  await h.applied(putPod(h.store, pod('a', 'p2')));
  await good.untilCount(2);
  t.match(bad.closed, { kind: 'Failed', message: /handler bug/ });
  t.equal(h.cache.watcherCount, 1);

  const badPredicate = new Recorder();
  let returned = false;
  h.cache.watch({
    initialEvents: true,
    predicate: () => {
      throw new Error('selector bug');
    },
    onEvent: badPredicate.onEvent,
    onClose: (r) => {
      t.ok(returned, 'a predicate failing on the snapshot is reported after watch() returned');
      badPredicate.onClose(r);
    },
  });
  returned = true;
  t.match(await badPredicate.untilClosed(), { kind: 'Failed', message: /selector bug/ });
  t.equal(h.cache.watcherCount, 1);
});

t.test("a watch started from inside another watcher's callback sees the current change once", async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  const inner = new Recorder();
  const outer = new Recorder();
  h.cache.watch({
    onEvent: (e) => {
      if (outer.events.length === 0) h.cache.watch({ initialEvents: true, ...inner.callbacks });
      return outer.onEvent(e);
    },
    onClose: outer.onClose,
  });
  const r1 = await h.applied(putPod(h.store, pod('a', 'p1')));
  const r2 = await h.applied(putPod(h.store, pod('a', 'p2')));
  await inner.untilCount(2);
  t.same(inner.lines, [`ADDED a/p1@${r1}`, `ADDED a/p2@${r2}`]);
});

t.test('when the store watch throws, watchers close Reinitializing and the cache re-lists and serves the new state', async (t) => {
  let faulty: FaultyStore | undefined;
  const h = await startCache({ relistBackoffMs: 1 }, (m) => {
    faulty = new FaultyStore(m);
    return faulty;
  });
  t.teardown(() => h.close());
  const store = faulty as FaultyStore;
  const r1 = await h.applied(putPod(h.store, pod('a', 'p1')));
  const before = new Recorder();
  h.cache.watch({ ...before.callbacks });
  store.failWatches(new StoreError('Closed', 'store client is closed'));
  const reason: CacheWatchCloseReason = await before.untilClosed();
  t.match(reason, { kind: 'Reinitializing', message: /store client is closed/ });
  const r2 = await putPod(h.store, pod('a', 'p2'));
  const r3 = await deletePod(h.store, 'a', 'p1');
  await h.cache.waitForRevision(r3, 10_000);
  t.equal(h.cache.ready(), true);
  t.same(names(h.cache.list().items), ['a/p2']);

  const stale = new Recorder();
  h.cache.watch({ fromRevision: r1, ...stale.callbacks });
  t.match(await stale.untilClosed(), { kind: 'Expired' }, 'a client resuming from before the re-list must re-list (410)');
  t.ok(r2 > r1);

  const after = new Recorder();
  h.cache.watch({ fromRevision: h.cache.revision(), ...after.callbacks });
  const r4 = await h.applied(putPod(h.store, pod('a', 'p3')));
  await after.untilCount(1);
  t.same(after.lines, [`ADDED a/p3@${r4}`], 'and it keeps serving live changes');
  t.equal(store.watchesStarted, 2, 'through a second store watch');
});

t.test('a store watch that fails Compacted (the cache fell behind compaction) leads to a re-list that catches up', async (t) => {
  let faulty: FaultyStore | undefined;
  let release = (): void => {};
  const h = await startCache({ relistBackoffMs: 1 }, (m) => {
    faulty = new FaultyStore(m);
    release = faulty.holdWatches();
    return faulty;
  });
  t.teardown(() => h.close());
  const listed = h.cache.revision();
  const early = new Recorder();
  h.cache.watch({ ...early.callbacks });
  await putPod(h.store, pod('a', 'p1'));
  const r2 = await putPod(h.store, pod('a', 'p2'));
  await h.store.compact(r2);
  release(); // the cache's watch from listed+1 now meets a compacted history
  t.match(await early.untilClosed(), { kind: 'Reinitializing', message: /compact/i });
  await h.cache.waitForRevision(r2, 10_000);
  t.same(names(h.cache.list().items), ['a/p1', 'a/p2']);
  t.ok(h.cache.list().revision > listed);
});

t.test('1,000 watchers of one resource each receive every event, in order, exactly once', async (t) => {
  const h = await startCache();
  t.teardown(() => h.close());
  const exists = new Set<string>();
  const initial: string[] = [];
  for (const ns of ['a', 'b']) {
    for (let i = 0; i < 5; i++) {
      initial.push(`ADDED ${ns}/p${i}@${await putPod(h.store, pod(ns, `p${i}`))}`);
      exists.add(`${ns}/p${i}`);
    }
  }
  await h.applied(h.store.status().then((s) => s.revision));
  const watchers = Array.from({ length: 1000 }, (_, i) => ({ rec: new Recorder(), namespace: i % 2 === 0 ? undefined : 'a' }));
  for (const w of watchers) h.cache.watch({ initialEvents: true, ...(w.namespace === undefined ? {} : { namespace: w.namespace }), ...w.rec.callbacks });
  t.equal(h.cache.watcherCount, 1000);

  const changes: string[] = [];
  for (let i = 0; i < 150; i++) {
    const ns = i % 2 === 0 ? 'a' : 'b';
    const key = `${ns}/p${i % 7}`;
    if (i % 3 === 2 && exists.has(key)) {
      changes.push(`DELETED ${key}@${await deletePod(h.store, ns, `p${i % 7}`)}`);
      exists.delete(key);
    } else {
      changes.push(`${exists.has(key) ? 'MODIFIED' : 'ADDED'} ${key}@${await putPod(h.store, pod(ns, `p${i % 7}`, { round: String(i) }))}`);
      exists.add(key);
    }
  }
  const wantAll = [...initial, ...changes];
  const wantA = wantAll.filter((l) => l.split(' ')[1]?.startsWith('a/'));
  let mismatches = 0;
  for (const w of watchers) {
    const want = w.namespace === undefined ? wantAll : wantA;
    await w.rec.untilCount(want.length);
    if (JSON.stringify(w.rec.lines) !== JSON.stringify(want)) mismatches++;
  }
  t.equal(mismatches, 0, `every watcher saw exactly its ${wantAll.length} (or ${wantA.length}) events`);
  t.same([...exists].sort(), names(h.cache.list().items), 'and the cache agrees with the store');
});
