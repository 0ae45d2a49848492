import t from 'tap';
import { FakeClock } from '../../../kube/clock.js';
import { newPodInfo } from '../../../scheduler/framework/pod-info.js';
import { podSchedulingSpecChanged, SchedulingQueue } from '../../../scheduler/queue/scheduling-queue.js';
import { makePod, podInfo } from './fixtures.js';

function queue(clock = new FakeClock()) {
  const q = new SchedulingQueue({ clock });
  q.start();
  return { q, clock };
}

const popKey = (q: SchedulingQueue): string | undefined => q.tryPop()?.podInfo.key;

t.test('activeQ pops higher priority first, then first come first served', async (t) => {
  const { q, clock } = queue();
  q.add(podInfo('low-1'));
  clock.advance(1);
  q.add(podInfo('high', { priority: 100 }));
  clock.advance(1);
  q.add(podInfo('low-2'));
  t.same([popKey(q), popKey(q), popKey(q), popKey(q)], ['default/high', 'default/low-1', 'default/low-2', undefined]);
  t.equal(q.schedulingCycle(), 3);
});

t.test('a failed pod waits out its backoff, doubling per attempt from 1 s to at most 10 s', async (t) => {
  const { q, clock } = queue();
  t.same(
    [1, 2, 3, 4, 5, 6].map((a) => q.backoffDuration(a)),
    [1000, 2000, 4000, 8000, 10_000, 10_000],
  );
  q.add(podInfo('p'));
  for (const [attempt, wait] of [
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [5, 10_000],
    [6, 10_000],
  ] as const) {
    const qp = q.tryPop();
    if (!qp) return t.fail('nothing to pop');
    t.equal(qp.attempts, attempt);
    q.addUnschedulableIfNotPresent(qp, q.schedulingCycle(), 'error');
    t.same(q.counts(), { active: 0, backoff: 1, unschedulable: 0, gated: 0 }, 'an error goes straight to backoff');
    clock.advance(wait - 1);
    t.equal(q.counts().active, 0, `still backing off ${wait - 1} ms after attempt ${attempt}`);
    clock.advance(1);
    t.equal(q.counts().active, 1, `back in activeQ ${wait} ms after attempt ${attempt}`);
  }
});

t.test('an unschedulable pod stays parked until a node is added', async (t) => {
  const { q, clock } = queue();
  q.add(podInfo('p'));
  const qp = q.tryPop();
  if (!qp) return t.fail('nothing to pop');
  q.addUnschedulableIfNotPresent(qp, q.schedulingCycle(), 'unschedulable');
  clock.advance(60_000);
  t.same(q.counts(), { active: 0, backoff: 0, unschedulable: 1, gated: 0 }, 'a minute later it is still parked');
  q.moveAllToActiveOrBackoff('NodeAdd');
  t.equal(popKey(q), 'default/p', 'the node add moved it to activeQ (its backoff is long over)');
});

t.test('a pod moved while still backing off goes to backoffQ first', async (t) => {
  const { q, clock } = queue();
  q.add(podInfo('p'));
  const qp = q.tryPop();
  if (!qp) return t.fail('nothing to pop');
  q.addUnschedulableIfNotPresent(qp, q.schedulingCycle(), 'unschedulable');
  clock.advance(200);
  q.moveAllToActiveOrBackoff('NodeAdd');
  t.same(q.counts(), { active: 0, backoff: 1, unschedulable: 0, gated: 0 });
  clock.advance(1000);
  t.equal(popKey(q), 'default/p');
});

t.test('a cluster event during a pod attempt sends it to backoff rather than parking it', async (t) => {
  const { q } = queue();
  q.add(podInfo('p'));
  const qp = q.tryPop();
  if (!qp) return t.fail('nothing to pop');
  const cycle = q.schedulingCycle();
  q.moveAllToActiveOrBackoff('NodeAdd'); // the node arrived while the cycle ran
  q.addUnschedulableIfNotPresent(qp, cycle, 'unschedulable');
  t.same(q.counts(), { active: 0, backoff: 1, unschedulable: 0, gated: 0 });
});

t.test('parked pods are retried after five minutes even without an event', async (t) => {
  const { q, clock } = queue();
  q.add(podInfo('p'));
  const qp = q.tryPop();
  if (!qp) return t.fail('nothing to pop');
  q.addUnschedulableIfNotPresent(qp, q.schedulingCycle(), 'unschedulable');
  clock.advance(4 * 60_000 + 59_000);
  t.equal(q.counts().unschedulable, 1);
  clock.advance(30_000);
  t.equal(popKey(q), 'default/p');
});

t.test('a status-only update leaves a parked pod parked; a spec or label change moves it', async (t) => {
  const { q } = queue();
  const pod = makePod('p', { cpu: '1' });
  q.add(newPodInfo(pod));
  const qp = q.tryPop();
  if (!qp) return t.fail('nothing to pop');
  q.addUnschedulableIfNotPresent(qp, q.schedulingCycle(), 'unschedulable');
  const statusOnly = {
    ...pod,
    metadata: { ...pod.metadata, resourceVersion: '9' },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] },
  };
  t.notOk(podSchedulingSpecChanged(pod, statusOnly));
  q.update(newPodInfo(statusOnly));
  t.equal(q.counts().unschedulable, 1);
  const relabelled = { ...statusOnly, metadata: { ...statusOnly.metadata, labels: { new: 'label' } } };
  t.ok(podSchedulingSpecChanged(statusOnly, relabelled));
  q.update(newPodInfo(relabelled));
  t.equal(q.counts().unschedulable, 0);
  t.equal(q.counts().active + q.counts().backoff, 1);
});

t.test('gated pods wait apart until their gates are removed', async (t) => {
  const { q } = queue();
  q.add(podInfo('g', { gates: ['example.com/wait'] }));
  t.same(q.counts(), { active: 0, backoff: 0, unschedulable: 0, gated: 1 });
  q.moveAllToActiveOrBackoff('NodeAdd');
  t.equal(q.tryPop(), undefined, 'cluster events do not release gated pods');
  q.update(podInfo('g'));
  t.equal(popKey(q), 'default/g');
});

t.test('pop waits for a pod and resolves undefined after close', async (t) => {
  const { q } = queue();
  const waiting = q.pop();
  q.add(podInfo('p'));
  t.equal((await waiting)?.podInfo.key, 'default/p');
  const pending = q.pop();
  q.close();
  t.equal(await pending, undefined);
  q.add(podInfo('late'));
  t.equal(await q.pop(), undefined);
});

t.test('a pod is in at most one place; delete removes it from wherever it waits', async (t) => {
  const { q } = queue();
  q.add(podInfo('p'));
  q.add(podInfo('p'));
  t.equal(q.counts().active, 1);
  const qp = q.tryPop();
  if (!qp) return t.fail('nothing to pop');
  q.add(podInfo('p'));
  q.addUnschedulableIfNotPresent(qp, q.schedulingCycle(), 'unschedulable');
  t.same(q.counts(), { active: 1, backoff: 0, unschedulable: 0, gated: 0 }, 'already re-added: not added twice');
  q.delete('default/p');
  t.same(q.counts(), { active: 0, backoff: 0, unschedulable: 0, gated: 0 });
});
