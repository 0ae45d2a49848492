import t from 'tap';
import { CycleState } from '../../../../scheduler/framework/interfaces.js';
import { BalancedAllocation, balancedScore } from '../../../../scheduler/plugins/balanced-allocation.js';
import { leastRequestedScore, NodeResourcesFit } from '../../../../scheduler/plugins/node-resources-fit.js';
import { makePod, nodeInfo, podInfo } from '../fixtures.js';

const state = new CycleState();

t.test('NodeResourcesFit rejects a node without room, listing every short resource', async (t) => {
  const pl = new NodeResourcesFit();
  const busy = nodeInfo('n', { cpu: '2', memory: '4Gi', pods: '3' }, [makePod('a', { cpu: '1500m', memory: '3Gi' }), makePod('b')]);
  const cases: [string, ReturnType<typeof podInfo>, ReturnType<typeof nodeInfo>, string, string[]][] = [
    ['fits', podInfo('p', { cpu: '500m', memory: '1Gi' }), busy, 'Success', []],
    ['cpu short', podInfo('p', { cpu: '600m' }), busy, 'Unschedulable', ['Insufficient cpu']],
    ['memory short', podInfo('p', { memory: '2Gi' }), busy, 'Unschedulable', ['Insufficient memory']],
    ['both short', podInfo('p', { cpu: '1', memory: '2Gi' }), busy, 'Unschedulable', ['Insufficient cpu', 'Insufficient memory']],
    ['no requests still needs a pod slot', podInfo('p'), nodeInfo('n', { pods: '1' }, [makePod('a')]), 'Unschedulable', ['Too many pods']],
    [
      'pod slot and cpu',
      podInfo('p', { cpu: '1' }),
      nodeInfo('n', { cpu: '1', pods: '1' }, [makePod('a', { cpu: '1' })]),
      'Unschedulable',
      ['Too many pods', 'Insufficient cpu'],
    ],
    [
      'extended resource short',
      podInfo('p', { extra: { 'example.com/gpu': '2' } }),
      nodeInfo('n', { extra: { 'example.com/gpu': '1' } }),
      'Unschedulable',
      ['Insufficient example.com/gpu'],
    ],
    ['extended resource present', podInfo('p', { extra: { 'example.com/gpu': '1' } }), nodeInfo('n', { extra: { 'example.com/gpu': '1' } }), 'Success', []],
    ['extended resource absent on node', podInfo('p', { extra: { 'example.com/gpu': '1' } }), nodeInfo('n'), 'Unschedulable', ['Insufficient example.com/gpu']],
  ];
  for (const [name, pod, node, code, reasons] of cases) {
    const s = pl.filter(state, pod, node);
    t.equal(s.code, code, name);
    t.same(s.reasons, reasons, name);
  }
});

t.test('LeastAllocated gives the free share after placing the pod, averaged over cpu and memory', async (t) => {
  t.equal(leastRequestedScore(0, 4000), 100);
  t.equal(leastRequestedScore(1000, 4000), 75);
  t.equal(leastRequestedScore(4000, 4000), 0);
  t.equal(leastRequestedScore(5000, 4000), 0, 'overcommitted');
  t.equal(leastRequestedScore(1, 0), 0, 'no capacity');
  t.equal(leastRequestedScore(1, 3), 66, 'integer division');
  const pl = new NodeResourcesFit();
  const pod = podInfo('p', { cpu: '1', memory: '2Gi' });
  t.equal(pl.score(state, pod, nodeInfo('n', { cpu: '4', memory: '8Gi' })), 75, '(75 + 75) / 2');
  t.equal(pl.score(state, pod, nodeInfo('n', { cpu: '4', memory: '8Gi' }, [makePod('a', { cpu: '2', memory: '2Gi' })])), 37, '(25 + 50) / 2');
});

t.test('LeastAllocated counts pods without requests as 100m / 200 MB, so they still spread', async (t) => {
  const pl = new NodeResourcesFit();
  const empty = nodeInfo('n', { cpu: '1', memory: '1000Mi' });
  const one = nodeInfo('n', { cpu: '1', memory: '1000Mi' }, [makePod('a')]);
  const pod = podInfo('p');
  t.equal(pl.score(state, pod, empty), 85, 'cpu 90, memory 80');
  t.equal(pl.score(state, pod, one), 70, 'cpu 80, memory 60');
});

t.test('BalancedAllocation prefers equal cpu and memory shares', async (t) => {
  t.equal(balancedScore([0.5, 0.5]), 100);
  t.equal(balancedScore([0.2, 0.6]), 80);
  t.equal(balancedScore([1, 0]), 50);
  t.equal(balancedScore([0.4]), 100);
  const pl = new BalancedAllocation();
  const pod = podInfo('p', { cpu: '1', memory: '1Gi' });
  t.equal(pl.preScore(state, pod).code, 'Success');
  t.equal(pl.score(state, pod, nodeInfo('n', { cpu: '4', memory: '4Gi' })), 100, 'a quarter of each');
  t.equal(pl.score(state, pod, nodeInfo('n', { cpu: '4', memory: '4Gi' }, [makePod('a', { cpu: '2' })])), 75, 'cpu 3/4, memory 1/4');
  t.equal(pl.score(state, pod, nodeInfo('n', { cpu: '2', memory: '4Gi' }, [makePod('a', { cpu: '4' })])), 62, 'cpu capped at 1, memory 1/4');
  t.equal(pl.preScore(state, podInfo('best-effort')).code, 'Skip', 'pods requesting nothing are not scored by it');
});
