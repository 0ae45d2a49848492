import t from 'tap';
import { EventWindow } from '../../../../apiserver/watch-cache/event-window.js';
import { WindowEvent } from '../../../../apiserver/watch-cache/window-event.js';
import type { KubeObject } from '../../../../kube/object.js';

const obj = (name: string, rv: number): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, resourceVersion: String(rv) } });
const change = (revision: number, key = 'k'): WindowEvent => new WindowEvent(revision, key, '', obj(key, revision), undefined);
const revs = (es: WindowEvent[] | undefined): number[] | undefined => es?.map((e) => e.revision);

t.test('the window holds every change after its start revision; eviction moves the start to the evicted revision', async (t) => {
  const w = new EventWindow(3, 10);
  for (const r of [11, 12, 12, 14]) w.push(change(r));
  t.equal(w.size, 3);
  t.equal(w.startRevision, 11, 'evicting 11 means everything after 11 is still held');
  const cases: [number, number[] | undefined][] = [
    [10, undefined],
    [11, [12, 12, 14]],
    [12, [14]],
    [13, [14]],
    [14, []],
    [20, []],
  ];
  for (const [after, want] of cases) t.same(revs(w.since(after)), want, `since ${after}`);
});

t.test('evicting one change of a multi-change revision makes that revision the start, not a gap', async (t) => {
  const w = new EventWindow(2, 1);
  w.push(change(2, 'a'));
  w.push(change(2, 'b'));
  w.push(change(3));
  t.equal(w.startRevision, 2);
  t.same(revs(w.since(1)), undefined, 'a watcher from 1 would miss the evicted change of 2');
  t.same(revs(w.since(2)), [3]);
});

t.test('reset forgets every change and starts at the new list revision; pushes must move forward', async (t) => {
  const w = new EventWindow(4, 1);
  w.push(change(2));
  w.reset(9);
  t.equal(w.size, 0);
  t.same(revs(w.since(8)), undefined);
  t.same(revs(w.since(9)), []);
  t.throws(() => w.push(change(9)), /invariant/);
  w.push(change(10));
  t.throws(() => w.push(change(9)), /invariant/);
  t.throws(() => new EventWindow(0, 1), RangeError);
});

t.test('window events share one event instance per type, and a DELETED carries the previous state at its own revision', async (t) => {
  const prev = obj('p', 5);
  const e = new WindowEvent(7, 'k', 'ns', undefined, prev);
  const d = e.eventFor(undefined);
  t.equal(d, e.eventFor(undefined));
  t.match(d, { type: 'DELETED', revision: 7, object: { metadata: { name: 'p', resourceVersion: '7' } } });
  t.equal(prev.metadata.resourceVersion, '5', 'the cached object is not touched');
  const m = new WindowEvent(8, 'k', 'ns', obj('p', 8), prev);
  t.equal(m.eventFor(undefined)?.type, 'MODIFIED');
  t.equal(m.eventFor((o) => o.metadata.resourceVersion === '8')?.type, 'ADDED');
  t.equal(m.eventFor((o) => o.metadata.resourceVersion === '5')?.type, 'DELETED');
  t.equal(
    m.eventFor(() => false),
    undefined,
  );
});
