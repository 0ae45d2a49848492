import t from 'tap';
import { FakeClock } from '../../../kube/clock.js';
import { SchedulerCache } from '../../../scheduler/cache/scheduler-cache.js';
import { CycleState } from '../../../scheduler/framework/interfaces.js';
import { NodeResourcesFit } from '../../../scheduler/plugins/node-resources-fit.js';
import { makeNode, makePod, podInfo } from './fixtures.js';

const bound = (name: string, node: string, cpu = '600m') => makePod(name, { cpu, nodeName: node });

t.test('an assumed pod is counted on its node at once, so the next pod does not double-book it', async (t) => {
  const cache = new SchedulerCache(new FakeClock());
  cache.addNode(makeNode('n', { cpu: '1' }));
  const fit = new NodeResourcesFit();
  const first = podInfo('a', { cpu: '600m' });
  const second = podInfo('b', { cpu: '600m' });
  const node = cache.nodeInfo('n');
  if (!node) return t.fail('no node');
  t.equal(fit.filter(new CycleState(), first, node).code, 'Success');
  t.ok(cache.assumePod(first, 'n'));
  t.equal(node.requestedMilliCpu, 600);
  t.same(fit.filter(new CycleState(), second, node).reasons, ['Insufficient cpu'], 'the bind of a is still in flight, and b does not fit');
  t.ok(cache.isAssumed('default/a'));
  t.notOk(cache.assumePod(first, 'n'), 'assuming twice is refused');
  t.equal(node.requestedMilliCpu, 600, 'and changes nothing');
});

t.test('forgetting an assumed pod (a failed bind) frees its room', async (t) => {
  const cache = new SchedulerCache(new FakeClock());
  cache.addNode(makeNode('n', { cpu: '1' }));
  cache.assumePod(podInfo('a', { cpu: '600m' }), 'n');
  cache.forgetPod('default/a');
  t.equal(cache.nodeInfo('n')?.requestedMilliCpu, 0);
  t.equal(cache.nodeInfo('n')?.podCount, 0);
  t.notOk(cache.isAssumed('default/a'));
});

t.test('the bound pod arriving through the informer confirms the assumption; forget then does nothing', async (t) => {
  const cache = new SchedulerCache(new FakeClock());
  cache.addNode(makeNode('n', { cpu: '1' }));
  cache.assumePod(podInfo('a', { cpu: '600m' }), 'n');
  cache.finishBinding('default/a');
  cache.addPod(bound('a', 'n'));
  t.notOk(cache.isAssumed('default/a'));
  t.equal(cache.nodeInfo('n')?.podCount, 1, 'counted once');
  t.equal(cache.nodeInfo('n')?.requestedMilliCpu, 600);
  cache.forgetPod('default/a');
  t.equal(cache.nodeInfo('n')?.podCount, 1, 'a confirmed pod is not forgotten');
});

t.test('a pod bound elsewhere than assumed moves to the node it was bound to', async (t) => {
  const cache = new SchedulerCache(new FakeClock());
  cache.addNode(makeNode('x'));
  cache.addNode(makeNode('y'));
  cache.assumePod(podInfo('a', { cpu: '600m' }), 'x');
  cache.addPod(bound('a', 'y'));
  t.equal(cache.nodeInfo('x')?.podCount, 0);
  t.equal(cache.nodeInfo('y')?.podCount, 1);
});

t.test('an update without nodeName leaves an assumed pod alone', async (t) => {
  const cache = new SchedulerCache(new FakeClock());
  cache.addNode(makeNode('n'));
  cache.assumePod(podInfo('a', { cpu: '600m' }), 'n');
  cache.updatePod(makePod('a', { cpu: '600m' }));
  t.ok(cache.isAssumed('default/a'));
  t.equal(cache.nodeInfo('n')?.podCount, 1);
});

t.test('an assumed pod whose binding finished expires if the informer never confirms it', async (t) => {
  const clock = new FakeClock();
  const cache = new SchedulerCache(clock, 30_000);
  cache.addNode(makeNode('n'));
  cache.assumePod(podInfo('a'), 'n');
  cache.assumePod(podInfo('b'), 'n');
  clock.advance(60_000);
  t.same(cache.cleanupExpiredAssumedPods(), [], 'no expiry while the bind is in flight');
  cache.finishBinding('default/a');
  clock.advance(29_999);
  t.same(cache.cleanupExpiredAssumedPods(), []);
  clock.advance(1);
  t.same(cache.cleanupExpiredAssumedPods(), ['default/a']);
  t.equal(cache.nodeInfo('n')?.podCount, 1, 'b is still counted');
});

t.test('bound pods update, finish and go away; terminal pods hold nothing', async (t) => {
  const cache = new SchedulerCache(new FakeClock());
  cache.addNode(makeNode('n'));
  cache.addPod(bound('a', 'n', '1'));
  cache.updatePod(bound('a', 'n', '2'));
  t.equal(cache.nodeInfo('n')?.requestedMilliCpu, 2000, 'an update replaces the old requests');
  cache.updatePod({ ...bound('a', 'n', '2'), status: { phase: 'Succeeded' } });
  t.equal(cache.nodeInfo('n')?.podCount, 0, 'a Succeeded pod frees its room');
  cache.addPod(bound('b', 'n'));
  cache.removePod(bound('b', 'n'));
  t.equal(cache.nodeInfo('n')?.podCount, 0);
  t.equal(cache.podCount(), 0);
});

t.test('nodes keep their order; a deleted node is no longer offered but its pods stay counted until they go', async (t) => {
  const cache = new SchedulerCache(new FakeClock());
  cache.addPod(bound('early', 'b'));
  t.same(
    cache.nodes().map((n) => n.name),
    [],
    'pods on an unknown node do not make it schedulable',
  );
  for (const n of ['a', 'b', 'c']) cache.addNode(makeNode(n));
  t.same(
    cache.nodes().map((n) => n.name),
    ['a', 'b', 'c'],
  );
  t.equal(cache.nodeInfo('b')?.podCount, 1, 'the early pod is counted once its node appears');
  cache.updateNode(makeNode('a', { cpu: '8' }));
  t.same(
    cache.nodes().map((n) => n.name),
    ['a', 'b', 'c'],
    'an update keeps the place',
  );
  t.equal(cache.nodeInfo('a')?.allocatableMilliCpu, 8000);
  cache.removeNode(makeNode('b'));
  t.same(
    cache.nodes().map((n) => n.name),
    ['a', 'c'],
  );
  t.equal(cache.nodeInfo('b')?.podCount, 1);
  cache.removePod(bound('early', 'b'));
  t.equal(cache.nodeInfo('b'), undefined, 'gone with its last pod');
});
