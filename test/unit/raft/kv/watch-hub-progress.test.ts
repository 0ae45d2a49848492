import t from 'tap';
import { MvccStore } from '../../../../raft/kv/mvcc-store.js';
import { WatchHub, type WatchResponse, type WatchSink } from '../../../../raft/kv/watch-hub.js';
import { b } from './kv-fixtures.js';

/**
 * Progress notifications (etcd's): on demand with `requestProgress`, which is never dropped for
 * a watcher that is behind, and periodic with `progressNotify`, the server timer's tick, which
 * reminds only idle watchers that asked for it. Time here is the ticks the test makes.
 */

class RecordingSink implements WatchSink {
  readonly responses: WatchResponse[] = [];
  open = true;
  send(response: WatchResponse): boolean {
    this.responses.push(response);
    return this.open;
  }
  /** Each response after `created` as "events@r" or "progress@r". */
  get lines(): string[] {
    return this.responses.filter((r) => r.kind !== 'created').map((r) => `${r.kind}@${'revision' in r ? r.revision : '-'}`);
  }
}

t.test('a progress request for a watcher catching up from history is answered once it has caught up, after the history', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  for (let i = 0; i < 4; i++) store.put('k', b(String(i))); // revisions 2..5
  const sink = new RecordingSink();
  let budget = 1;
  const id = hub.watch('k', { startRevision: 2 }, { send: (r) => sink.send(r) && (r.kind !== 'events' || --budget > 0) });
  t.same(sink.lines, ['events@2'], 'paused after one revision of history');
  t.equal(hub.requestProgress(id), true, 'the request is taken');
  t.same(sink.lines, ['events@2'], 'no progress while behind: it would claim revisions not yet delivered');
  budget = 100;
  hub.resume(id);
  t.same(sink.lines, ['events@2', 'events@3', 'events@4', 'events@5', 'progress@5'], 'the progress follows the history, at the current revision');
  store.put('other', b('x'));
  hub.progress();
  t.same(sink.lines.slice(-1), ['progress@6'], 'the deferred request was answered once, not held for later');
});

t.test('a progress request for a paused live watcher is answered after its held events once it resumes', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const sink = new RecordingSink();
  const id = hub.watch('k', {}, sink);
  sink.open = false;
  store.put('k', b('1')); // 2, sent, then the sink says stop
  store.put('k', b('2')); // 3, held
  hub.requestProgress(id);
  t.same(sink.lines, ['events@2']);
  sink.open = true;
  hub.resume(id);
  t.same(sink.lines, ['events@2', 'events@3', 'progress@3']);
});

t.test('a progress request for a watch from a future revision is answered when the store reaches the revision before it', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const sink = new RecordingSink();
  const id = hub.watch('k', { startRevision: 4 }, sink);
  hub.requestProgress(id);
  store.put('other', b('1')); // 2
  t.same(sink.lines, [], 'not yet: revision 3 is still to come');
  store.put('other', b('2')); // 3
  t.same(sink.lines, ['progress@3']);
});

t.test('a progress request for an unknown or ended watch is refused, and a cancelled watcher gets no deferred progress', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  t.equal(hub.requestProgress(42), false);
  const sink = new RecordingSink();
  sink.open = false;
  const id = hub.watch('k', {}, sink);
  t.equal(hub.requestProgress(id), true);
  hub.cancel(id);
  sink.open = true;
  store.put('k', b('1'));
  t.same(sink.lines, ['cancelled@-']);
});

t.test('the periodic tick reminds idle caught-up watchers that asked for it, and skips one that got events since the last tick', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const idle = new RecordingSink();
  const busy = new RecordingSink();
  const unasked = new RecordingSink();
  hub.watch('idle', { progressNotify: true }, idle);
  hub.watch('busy', { progressNotify: true }, busy);
  hub.watch('idle', {}, unasked);
  store.put('busy', b('1')); // 2
  t.equal(hub.progressNotify(), 1);
  t.same(idle.lines, ['progress@2']);
  t.same(busy.lines, ['events@2'], 'its events told it where it is');
  t.same(unasked.lines, [], 'no periodic progress without progressNotify');
  t.equal(hub.progressNotify(), 2, 'a tick without events reminds both');
  t.same(busy.lines, ['events@2', 'progress@2']);
  t.same(unasked.lines, []);
});

t.test('the periodic tick skips a watcher that is behind or paused; it is reminded on a later tick once caught up', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  for (let i = 0; i < 3; i++) store.put('k', b(String(i))); // 2..4
  const sink = new RecordingSink();
  let budget = 1;
  const id = hub.watch('k', { startRevision: 2, progressNotify: true }, { send: (r) => sink.send(r) && (r.kind !== 'events' || --budget > 0) });
  hub.progressNotify();
  t.same(sink.lines, ['events@2'], 'behind: no progress');
  budget = 100;
  hub.resume(id);
  hub.progressNotify();
  t.same(sink.lines, ['events@2', 'events@3', 'events@4'], 'the first tick after catching up sees its history events');
  hub.progressNotify();
  t.same(sink.lines, ['events@2', 'events@3', 'events@4', 'progress@4']);
});
