import t from 'tap';
import { FakeClock } from '../../../kube/clock.js';
import { SchedulerCache } from '../../../scheduler/cache/scheduler-cache.js';
import type { PodInfo } from '../../../scheduler/framework/pod-info.js';
import type { Node } from '../../../scheduler/framework/types.js';
import { defaultProfile } from '../../../scheduler/registry.js';
import { numFeasibleNodesToFind, ScheduleAlgorithm, type ScheduleResult } from '../../../scheduler/schedule-one.js';
import { makeNode, makePod, podInfo } from './fixtures.js';

/** A cache with these nodes, and an algorithm over it; `place` schedules and assumes like the scheduler does. */
function cluster(nodes: Node[], percentage = 0) {
  const cache = new SchedulerCache(new FakeClock());
  for (const n of nodes) cache.addNode(n);
  const algorithm = new ScheduleAlgorithm(defaultProfile(), percentage);
  const place = (pod: PodInfo): ScheduleResult => {
    const r = algorithm.schedule(pod, cache.nodes());
    if (r.kind === 'scheduled') cache.assumePod(pod, r.node.name);
    return r;
  };
  const perNode = (): Record<string, number> => Object.fromEntries(cache.nodes().map((n) => [n.name, n.podCount]));
  return { cache, algorithm, place, perNode };
}

const nodeOf = (r: ScheduleResult): string => (r.kind === 'scheduled' ? r.node.name : `(${r.kind}: ${r.message})`);

t.test('ten equal pods on three equal nodes spread 4/3/3, round-robin', async (t) => {
  const c = cluster([makeNode('n1'), makeNode('n2'), makeNode('n3')]);
  const order: string[] = [];
  for (let i = 0; i < 10; i++) order.push(nodeOf(c.place(podInfo(`p${i}`, { cpu: '100m', memory: '100Mi', owner: 'rs' }))));
  t.same(order, ['n1', 'n2', 'n3', 'n1', 'n2', 'n3', 'n1', 'n2', 'n3', 'n1']);
  t.same(c.perNode(), { n1: 4, n2: 3, n3: 3 });
});

t.test('pods without requests, or bare pods, still spread evenly', async (t) => {
  const c = cluster([makeNode('n1'), makeNode('n2'), makeNode('n3')]);
  for (let i = 0; i < 9; i++) c.place(podInfo(`p${i}`));
  t.same(c.perNode(), { n1: 3, n2: 3, n3: 3 });
});

t.test('a pod too big for every node gets kube-scheduler v1.32 FitError message', async (t) => {
  const c = cluster([
    makeNode('node-1', { cpu: '2' }),
    makeNode('node-2', { cpu: '2' }),
    makeNode('node-3', { cpu: '2', taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] }),
  ]);
  const r = c.place(podInfo('too-big', { cpu: '64' }));
  t.same(r, {
    kind: 'unschedulable',
    message:
      '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: infra}, 2 Insufficient cpu. ' +
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
  });
});

t.test('several reasons on one node are all counted, sorted as strings', async (t) => {
  const c = cluster([
    makeNode('a', { cpu: '1', memory: '1Gi' }),
    makeNode('b', { cpu: '1', memory: '1Gi', unschedulable: true }),
    makeNode('c', { ready: 'False' }),
  ]);
  const r = c.place(podInfo('p', { cpu: '2', memory: '2Gi' }));
  t.equal(
    r.kind === 'unschedulable' && r.message,
    '0/3 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable. ' +
      'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
  );
});

t.test('with no nodes at all the pod is unschedulable with upstream ErrNoNodesAvailable', async (t) => {
  t.same(cluster([]).place(podInfo('p')), { kind: 'unschedulable', message: 'no nodes available to schedule pods' });
});

t.test('taints keep pods off unless tolerated; a tolerating pod may use the tainted node', async (t) => {
  const taint = { key: 'dedicated', value: 'infra', effect: 'NoSchedule' };
  const c = cluster([makeNode('plain'), makeNode('infra', { taints: [taint], labels: { role: 'infra' } })]);
  for (let i = 0; i < 4; i++) t.equal(nodeOf(c.place(podInfo(`p${i}`, { cpu: '100m' }))), 'plain');
  const tolerating = podInfo('infra-pod', {
    nodeSelector: { role: 'infra' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }],
  });
  t.equal(nodeOf(c.place(tolerating)), 'infra');
});

t.test('PreferNoSchedule taints steer pods away without forbidding the node', async (t) => {
  const c = cluster([makeNode('soft', { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] }), makeNode('clean')]);
  t.equal(nodeOf(c.place(podInfo('p0', { cpu: '100m' }))), 'clean');
  const only = cluster([makeNode('soft', { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] })]);
  t.equal(nodeOf(only.place(podInfo('p0', { cpu: '100m' }))), 'soft');
});

t.test('nodeSelector picks the matching node; none matching is unresolvable', async (t) => {
  const c = cluster([makeNode('hdd', { labels: { disk: 'hdd' } }), makeNode('ssd', { labels: { disk: 'ssd' } })]);
  for (let i = 0; i < 3; i++) t.equal(nodeOf(c.place(podInfo(`p${i}`, { nodeSelector: { disk: 'ssd' } }))), 'ssd');
  const r = c.place(podInfo('nvme', { nodeSelector: { disk: 'nvme' } }));
  t.equal(
    r.kind === 'unschedulable' && r.message,
    "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
  );
});

t.test('required affinity restricts and preferred affinity steers', async (t) => {
  const c = cluster([makeNode('a', { labels: { zone: 'a' } }), makeNode('b', { labels: { zone: 'b' } }), makeNode('c', { labels: { zone: 'c' } })]);
  const required = {
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }] },
  };
  const placed = new Set<string>();
  for (let i = 0; i < 6; i++) placed.add(nodeOf(c.place(podInfo(`r${i}`, { nodeAffinity: required }))));
  t.same([...placed].sort(), ['b', 'c']);
  const preferred = {
    preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } }],
  };
  t.equal(nodeOf(c.place(podInfo('pref', { nodeAffinity: preferred }))), 'a', 'node a is emptiest and preferred');
  const c2 = cluster([makeNode('a', { labels: { zone: 'a' } }), makeNode('b', { labels: { zone: 'b' } })]);
  for (let i = 0; i < 3; i++)
    t.equal(nodeOf(c2.place(podInfo(`q${i}`, { cpu: '100m', nodeAffinity: preferred }))), 'a', 'preference (weight 2 × 100) outweighs emptier nodes');
});

t.test('full nodes are skipped and the pod goes where it fits', async (t) => {
  const c = cluster([makeNode('small', { cpu: '1' }), makeNode('big', { cpu: '2' })]);
  t.equal(nodeOf(c.place(podInfo('a', { cpu: '2' }))), 'big', 'only big has room');
  t.equal(nodeOf(c.place(podInfo('b', { cpu: '900m' }))), 'small', 'big is full now');
  const r = c.place(podInfo('c', { cpu: '900m' }));
  t.equal(r.kind === 'unschedulable' && r.message.split('.')[0], '0/2 nodes are available: 2 Insufficient cpu');
  t.equal(nodeOf(c.place(podInfo('d', { cpu: '100m' }))), 'small', 'what is left still fits');
});

t.test('the number of nodes to find follows upstream: all below 100, then 50 − n/125 percent, floor 5 %, never under 100', async (t) => {
  const cases: [number, number][] = [
    [0, 0],
    [3, 3],
    [99, 99],
    [100, 100],
    [150, 100],
    [300, 144],
    [1000, 420],
    [5000, 500],
    [6000, 300],
    [20000, 1000],
  ];
  for (const [nodes, want] of cases) t.equal(numFeasibleNodesToFind(nodes), want, `${nodes} nodes`);
  t.equal(numFeasibleNodesToFind(1000, 20), 200, 'a configured percentage');
  t.equal(numFeasibleNodesToFind(1000, 1), 100, 'still at least 100');
});

t.test('on a big cluster each cycle filters a window of nodes, starting where the last stopped', async (t) => {
  const nodes = Array.from({ length: 300 }, (_, i) => makeNode(`n${String(i).padStart(3, '0')}`));
  const c = cluster(nodes);
  const first = c.place(podInfo('p0'));
  const second = c.place(podInfo('p1'));
  t.match(first, { kind: 'scheduled', evaluatedNodes: 144, feasibleNodes: 144 });
  t.match(second, { kind: 'scheduled', evaluatedNodes: 144 });
  t.equal(nodeOf(first), 'n000');
  t.equal(nodeOf(second), 'n144', 'the second window starts after the first');
  for (let i = 2; i < 600; i++) c.place(podInfo(`p${i}`));
  const counts = Object.values(c.perNode());
  t.equal(Math.min(...counts), 2, 'every node got two pods');
  t.equal(Math.max(...counts), 2);
});

t.test('a pod that preemption could help reports no preemption message (picokube does not evict)', async (t) => {
  const c = cluster([makeNode('n', { cpu: '1' })]);
  c.cache.addPod(makePod('low', { cpu: '1', nodeName: 'n', priority: 0 }));
  const high = c.place(podInfo('high', { cpu: '1', priority: 1000 }));
  t.same(high, { kind: 'unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' });
  const tooBig = c.place(podInfo('huge', { cpu: '2', priority: 1000 }));
  t.equal(
    tooBig.kind === 'unschedulable' && tooBig.message,
    '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.',
  );
  const never = c.place(podInfo('polite', { cpu: '1', priority: 1000, preemptionPolicy: 'Never' }));
  t.equal(
    never.kind === 'unschedulable' && never.message,
    '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
  );
});

t.test('scheduling is deterministic: the same inputs give the same placements', async (t) => {
  const run = () => {
    const c = cluster(Array.from({ length: 7 }, (_, i) => makeNode(`n${i}`, { cpu: String(1 + (i % 3)) })));
    return Array.from({ length: 20 }, (_, i) => nodeOf(c.place(podInfo(`p${i}`, { cpu: `${100 + 37 * i}m`, owner: i % 2 ? 'a' : 'b' }))));
  };
  t.same(run(), run());
});
