import fc from 'fast-check';
import t from 'tap';
import { CompactedError } from '../../../../raft/kv/errors.js';
import { MvccStore } from '../../../../raft/kv/mvcc-store.js';
import type { KvEvent } from '../../../../raft/kv/types.js';
import { WatchHub, type WatchResponse, type WatchSink } from '../../../../raft/kv/watch-hub.js';
import { b, keyArb, prefixArb, summary, text, valueArb } from './kv-fixtures.js';

/** A sink that records what it gets and takes more only while `open`. */
class RecordingSink implements WatchSink {
  readonly responses: WatchResponse[] = [];
  open = true;
  send(response: WatchResponse): boolean {
    this.responses.push(response);
    return this.open;
  }
  /** Events as "revision type key=value", in delivery order. */
  get events(): string[] {
    return this.responses.flatMap((r) =>
      r.kind === 'events' ? r.events.map((e) => `${r.revision} ${e.type} ${e.kv.key}${e.type === 'put' ? `=${text(e.kv.value)}` : ''}`) : [],
    );
  }
  get last(): WatchResponse | undefined {
    return this.responses[this.responses.length - 1];
  }
}

t.test('a watch from the past delivers history, then live events, in order and exactly once', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  store.put('a', b('1')); // 2
  store.put('b', b('1')); // 3
  store.put('a', b('2')); // 4
  const sink = new RecordingSink();
  const id = hub.watch('a', { startRevision: 3 }, sink);
  t.same(sink.responses[0], { kind: 'created', watchId: id, revision: 4 });
  t.same(sink.events, ['4 put a=2']);
  store.deleteRange('a'); // 5
  store.put('b', b('2')); // 6
  store.put('a', b('3')); // 7
  t.same(sink.events, ['4 put a=2', '5 delete a', '7 put a=3']);
});

t.test('a watch without a start revision sees only what happens after it starts', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  store.put('a', b('1'));
  const sink = new RecordingSink();
  hub.watch('a', {}, sink);
  store.put('a', b('2'));
  t.same(sink.events, ['3 put a=2']);
});

t.test("a prefix watch gets only the keys under its prefix, a revision's events together", async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const sink = new RecordingSink();
  hub.watch('/registry/pods/', { prefix: true }, sink);
  store.put('/registry/pods/a', b('1'));
  store.put('/registry/nodes/n', b('1'));
  store.put('/registry/podsx', b('1'));
  store.txn({
    compare: [],
    success: [
      { t: 'put', key: '/registry/pods/b', value: b('1') },
      { t: 'put', key: '/registry/nodes/m', value: b('1') },
      { t: 'put', key: '/registry/pods/c', value: b('1') },
    ],
    failure: [],
  });
  t.same(sink.events, ['2 put /registry/pods/a=1', '5 put /registry/pods/b=1', '5 put /registry/pods/c=1']);
  t.same(sink.responses.filter((r) => r.kind === 'events').length, 2, 'one response per revision');
});

t.test('prevKv is delivered only to watchers that asked for it', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  store.put('k', b('old'));
  const withPrev = new RecordingSink();
  const without = new RecordingSink();
  hub.watch('k', { prevKv: true }, withPrev);
  hub.watch('k', {}, without);
  store.put('k', b('new'));
  store.deleteRange('k');
  const prevs = (sink: RecordingSink) => sink.responses.flatMap((r) => (r.kind === 'events' ? r.events.map((e: KvEvent) => summary(e.prevKv)) : []));
  t.same(prevs(withPrev), ['k=old c2 m2 v1 l0', 'k=new c2 m3 v2 l0']);
  t.same(prevs(without), [undefined, undefined]);
  const del = without.responses[2];
  t.same(del?.kind === 'events' ? summary(del.events[0]?.kv) : undefined, 'k= c0 m4 v0 l0', 'a delete event carries the tombstone kv');
});

t.test('a watch from a compacted revision fails with Compacted carrying the compact revision', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  for (let i = 0; i < 5; i++) store.put('k', b(String(i)));
  store.compact(4);
  const err = t.throws(() => hub.watch('k', { startRevision: 2 }, new RecordingSink())) as unknown as CompactedError;
  t.ok(err instanceof CompactedError);
  t.equal(err.compactRevision, 4);
  t.throws(() => hub.watch('k', { startRevision: 4 }, new RecordingSink()), CompactedError, 'the compact revision itself is not watchable');
  const sink = new RecordingSink();
  hub.watch('k', { startRevision: 5 }, sink);
  t.same(sink.events, ['5 put k=3', '6 put k=4']);
  t.equal(hub.watcherCount, 1);
});

t.test('a slow watcher is cancelled with a reason when its buffer overflows, while writes keep applying', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store, { bufferEventsMax: 3 });
  const slow = new RecordingSink();
  const fast = new RecordingSink();
  const slowId = hub.watch('k', {}, slow);
  hub.watch('k', {}, fast);
  slow.open = false;
  for (let i = 0; i < 10; i++) store.put('k', b(String(i)));
  t.equal(store.revision, 11, 'every write applied');
  t.same(slow.events, ['2 put k=0'], 'the slow sink got what it took before saying stop');
  t.same(slow.last, { kind: 'cancelled', watchId: slowId, reason: 'slow watcher: buffer of 3 events exceeded' });
  t.equal(fast.events.length, 10, 'other watchers are unaffected');
  t.equal(hub.watcherCount, 1);
});

t.test('a paused watcher gets its held events on resume, then live ones, none twice', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store, { bufferEventsMax: 100 });
  const sink = new RecordingSink();
  sink.open = false;
  const id = hub.watch('k', {}, sink); // paused after `created`
  store.put('k', b('1'));
  store.put('k', b('2'));
  t.same(sink.events, []);
  sink.open = true;
  hub.resume(id);
  store.put('k', b('3'));
  t.same(sink.events, ['2 put k=1', '3 put k=2', '4 put k=3']);
});

t.test('a watcher paused while catching up resumes from where it stopped, even past new writes', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  for (let i = 0; i < 5; i++) store.put(`k${i}`, b(String(i)));
  let budget = 2;
  const sink = new RecordingSink();
  const counting: WatchSink = {
    send: (r) => {
      sink.send(r);
      return r.kind !== 'events' || --budget > 0;
    },
  };
  const id = hub.watch('k', { prefix: true, startRevision: 2 }, counting);
  t.same(sink.events, ['2 put k0=0', '3 put k1=1']);
  store.put('k9', b('9')); // 7, while the watcher is behind
  budget = 100;
  hub.resume(id);
  t.same(sink.events, ['2 put k0=0', '3 put k1=1', '4 put k2=2', '5 put k3=3', '6 put k4=4', '7 put k9=9']);
});

t.test('a watcher paused in history and overtaken by compaction is cancelled with Compacted on resume', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  for (let i = 0; i < 5; i++) store.put('k', b(String(i)));
  const sink = new RecordingSink();
  sink.open = false;
  const id = hub.watch('k', { startRevision: 2 }, sink);
  store.compact(5);
  sink.open = true;
  hub.resume(id);
  t.same(sink.last, { kind: 'cancelled', watchId: id, reason: 'required revision 2 has been compacted', compactRevision: 5 });
});

t.test('progress goes to caught-up watchers with nothing held, at the current revision', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const idle = new RecordingSink();
  const held = new RecordingSink();
  const periodic = new RecordingSink();
  const idleId = hub.watch('a', {}, idle);
  hub.watch('b', {}, held);
  const periodicId = hub.watch('c', { progressNotify: true }, periodic);
  held.open = false;
  store.put('b', b('1'));
  t.equal(hub.progress(), 2);
  t.same(idle.last, { kind: 'progress', watchId: idleId, revision: 2 });
  t.equal(held.last?.kind, 'events', 'a paused watcher gets no progress');
  t.equal(hub.progressNotify(), 1);
  t.same(periodic.last, { kind: 'progress', watchId: periodicId, revision: 2 });
  t.equal(hub.requestProgress(idleId), true);
});

t.test('a watcher whose sink throws is cancelled and the write that triggered it still applies', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const got: WatchResponse[] = [];
  hub.watch(
    'k',
    {},
    {
      send: (r) => {
        got.push(r);
        if (r.kind === 'events') throw new Error('socket closed');
        return true;
      },
    },
  );
  t.equal(store.put('k', b('1')).revision, 2);
  t.same(got[got.length - 1], { kind: 'cancelled', watchId: 1, reason: 'watch sink failed: socket closed' });
  t.equal(hub.watcherCount, 0);
});

t.test('after a snapshot restore, watchers catch up on the revisions they missed', async (t) => {
  const leader = new MvccStore();
  const follower = new MvccStore();
  const hub = new WatchHub(follower);
  const sink = new RecordingSink();
  hub.watch('k', {}, sink);
  for (let i = 0; i < 3; i++) leader.put('k', b(String(i)));
  follower.restore(leader.snapshot());
  follower.put('k', b('after'));
  t.same(sink.events, ['2 put k=0', '3 put k=1', '4 put k=2', '5 put k=after']);
});

t.test('cancel ends a watch with a cancelled response and stops its events', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const sink = new RecordingSink();
  const id = hub.watch('k', {}, sink);
  t.equal(hub.cancel(id), true);
  t.equal(hub.cancel(id), false);
  store.put('k', b('1'));
  t.same(sink.last, { kind: 'cancelled', watchId: id, reason: 'cancelled by the client' });
});

t.test('watchers started anywhere, paused and resumed at random, see exactly the matching log, in order, once', async (t) => {
  type Action =
    | { kind: 'put'; key: string; value: Uint8Array }
    | { kind: 'delete'; key: string }
    | { kind: 'watch'; key: string; prefix: boolean; back: number }
    | { kind: 'pause' | 'resume'; which: number }
    | { kind: 'compact'; back: number };
  const actionArb: fc.Arbitrary<Action> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArb, value: valueArb }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('watch' as const), key: fc.oneof(keyArb, prefixArb), prefix: fc.boolean(), back: fc.nat(6) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('pause' as const, 'resume' as const), which: fc.nat(5) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), back: fc.nat(8) }) },
  );
  fc.assert(
    fc.property(fc.array(actionArb, { maxLength: 60 }), (actions) => {
      const store = new MvccStore();
      const hub = new WatchHub(store, { bufferEventsMax: 1_000 });
      const watches: { id: number; sink: RecordingSink; key: string; prefix: boolean; start: number }[] = [];
      const all: string[] = []; // every event ever, as "revision type key"
      for (const action of actions) {
        if (action.kind === 'put') store.put(action.key, action.value);
        else if (action.kind === 'delete') store.deleteRange(action.key);
        else if (action.kind === 'compact') {
          const target = store.revision - action.back;
          if (target > store.compactRevision) store.compact(target);
        } else if (action.kind === 'watch') {
          if (!action.prefix && action.key === '') continue;
          const start = Math.max(store.compactRevision + 1, store.revision + 1 - action.back);
          const sink = new RecordingSink();
          watches.push({
            id: hub.watch(action.key, { prefix: action.prefix, startRevision: start }, sink),
            sink,
            key: action.key,
            prefix: action.prefix,
            start,
          });
        } else {
          const w = watches[action.which];
          if (w === undefined) continue;
          w.sink.open = action.kind === 'resume';
          if (action.kind === 'resume') hub.resume(w.id);
        }
        const r = store.revision;
        if (action.kind === 'put' || action.kind === 'delete') {
          if (all.length === 0 || !all[all.length - 1]?.startsWith(`${r} `)) {
            for (const e of store.eventsAt(r)) all.push(`${r} ${e.type} ${e.kv.key}`);
          }
        }
      }
      for (const w of watches) {
        w.sink.open = true;
        hub.resume(w.id);
      }
      for (const w of watches) {
        if (w.sink.last?.kind === 'cancelled') continue; // overtaken by compaction while paused
        const want = all.filter((line) => {
          const [rev, , key] = line.split(' ') as [string, string, string];
          return Number(rev) >= w.start && (w.prefix ? key.startsWith(w.key) : key === w.key);
        });
        const got = w.sink.responses.flatMap((r) => (r.kind === 'events' ? r.events.map((e) => `${r.revision} ${e.type} ${e.kv.key}`) : []));
        if (JSON.stringify(got) !== JSON.stringify(want)) return false;
      }
      return true;
    }),
    { seed: 5, numRuns: 300 },
  );
  t.pass();
});
