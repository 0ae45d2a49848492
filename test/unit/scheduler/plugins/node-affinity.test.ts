import t from 'tap';
import { CycleState } from '../../../../scheduler/framework/interfaces.js';
import type { NodeAffinity as Affinity, NodeSelectorRequirement } from '../../../../scheduler/framework/types.js';
import { NodeAffinity } from '../../../../scheduler/plugins/node-affinity.js';
import { nodeInfo, podInfo } from '../fixtures.js';

const REASON = "node(s) didn't match Pod's node affinity/selector";

function fits(pod: ReturnType<typeof podInfo>, node: ReturnType<typeof nodeInfo>): boolean {
  const pl = new NodeAffinity();
  const state = new CycleState();
  const pre = pl.preFilter(state, pod);
  if (pre.code === 'Skip') return true;
  const s = pl.filter(state, pod, node);
  if (s.code !== 'Success') {
    if (s.reasons[0] !== REASON) throw new Error(`unexpected reason ${s.reasons[0]}`);
    if (s.code !== 'UnschedulableAndUnresolvable') throw new Error(`unexpected code ${s.code}`);
  }
  return s.code === 'Success';
}

const required = (...exprs: NodeSelectorRequirement[]): Affinity => ({
  requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: exprs }] },
});

t.test('a pod without selector or affinity skips the filter', async (t) => {
  t.equal(new NodeAffinity().preFilter(new CycleState(), podInfo('p')).code, 'Skip');
});

t.test('nodeSelector needs every label, with equal values', async (t) => {
  const node = nodeInfo('n', { labels: { disk: 'ssd', zone: 'a' } });
  t.ok(fits(podInfo('p', { nodeSelector: { disk: 'ssd' } }), node));
  t.ok(fits(podInfo('p', { nodeSelector: { disk: 'ssd', zone: 'a' } }), node));
  t.notOk(fits(podInfo('p', { nodeSelector: { disk: 'hdd' } }), node));
  t.notOk(fits(podInfo('p', { nodeSelector: { disk: 'ssd', gpu: 'yes' } }), node));
});

t.test('required node affinity operators match as labels.Requirement does', async (t) => {
  const node = nodeInfo('n', { labels: { zone: 'a', cores: '16', disk: 'ssd' } });
  const cases: [NodeSelectorRequirement, boolean][] = [
    [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, true],
    [{ key: 'zone', operator: 'In', values: ['b'] }, false],
    [{ key: 'missing', operator: 'In', values: ['a'] }, false],
    [{ key: 'zone', operator: 'NotIn', values: ['b'] }, true],
    [{ key: 'zone', operator: 'NotIn', values: ['a'] }, false],
    [{ key: 'missing', operator: 'NotIn', values: ['a'] }, true],
    [{ key: 'disk', operator: 'Exists' }, true],
    [{ key: 'missing', operator: 'Exists' }, false],
    [{ key: 'missing', operator: 'DoesNotExist' }, true],
    [{ key: 'disk', operator: 'DoesNotExist' }, false],
    [{ key: 'cores', operator: 'Gt', values: ['8'] }, true],
    [{ key: 'cores', operator: 'Gt', values: ['16'] }, false],
    [{ key: 'cores', operator: 'Lt', values: ['32'] }, true],
    [{ key: 'zone', operator: 'Gt', values: ['1'] }, false],
    [{ key: 'cores', operator: 'Gt', values: ['x'] }, false],
    [{ key: 'zone', operator: 'In', values: [] }, false],
    [{ key: 'zone', operator: 'Exists', values: ['a'] }, false],
    [{ key: 'zone', operator: 'Near', values: ['a'] }, false],
  ];
  for (const [req, want] of cases) t.equal(fits(podInfo('p', { nodeAffinity: required(req) }), node), want, JSON.stringify(req));
});

t.test('terms are ORed, requirements within a term ANDed, and an empty term matches nothing', async (t) => {
  const node = nodeInfo('n', { labels: { zone: 'a', disk: 'ssd' } });
  const terms = (...ts: NodeSelectorRequirement[][]): Affinity => ({
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: ts.map((e) => ({ matchExpressions: e })) },
  });
  t.ok(fits(podInfo('p', { nodeAffinity: terms([{ key: 'zone', operator: 'In', values: ['b'] }], [{ key: 'disk', operator: 'Exists' }]) }), node));
  t.notOk(
    fits(
      podInfo('p', {
        nodeAffinity: terms([
          { key: 'zone', operator: 'In', values: ['a'] },
          { key: 'disk', operator: 'In', values: ['hdd'] },
        ]),
      }),
      node,
    ),
  );
  t.notOk(fits(podInfo('p', { nodeAffinity: terms([]) }), node), 'an empty term');
  t.notOk(fits(podInfo('p', { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }), node), 'no terms at all');
});

t.test('matchFields selects by metadata.name (DaemonSet pods pin a node this way)', async (t) => {
  const byName = (op: string, name: string): Affinity => ({
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: op, values: [name] }] }] },
  });
  t.ok(fits(podInfo('p', { nodeAffinity: byName('In', 'n') }), nodeInfo('n')));
  t.notOk(fits(podInfo('p', { nodeAffinity: byName('In', 'other') }), nodeInfo('n')));
  t.ok(fits(podInfo('p', { nodeAffinity: byName('NotIn', 'other') }), nodeInfo('n')));
  const badField: Affinity = {
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.uid', operator: 'In', values: ['n'] }] }] },
  };
  t.notOk(fits(podInfo('p', { nodeAffinity: badField }), nodeInfo('n')), 'only metadata.name is a node field');
});

t.test('nodeSelector and required affinity must both hold', async (t) => {
  const node = nodeInfo('n', { labels: { zone: 'a', disk: 'ssd' } });
  t.notOk(fits(podInfo('p', { nodeSelector: { disk: 'hdd' }, nodeAffinity: required({ key: 'zone', operator: 'In', values: ['a'] }) }), node));
  t.ok(fits(podInfo('p', { nodeSelector: { disk: 'ssd' }, nodeAffinity: required({ key: 'zone', operator: 'In', values: ['a'] }) }), node));
});

t.test('preferred terms score the sum of matching weights, normalised to 100 for the best node', async (t) => {
  const pl = new NodeAffinity();
  const state = new CycleState();
  const pod = podInfo('p', {
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 80, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
        { weight: 20, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
      ],
    },
  });
  const nodes = [
    nodeInfo('both', { labels: { zone: 'a', disk: 'ssd' } }),
    nodeInfo('zone', { labels: { zone: 'a' } }),
    nodeInfo('disk', { labels: { disk: 'ssd' } }),
    nodeInfo('none'),
  ];
  t.equal(pl.preScore(state, pod).code, 'Success');
  const scores = nodes.map((n) => pl.score(state, pod, n));
  t.same(scores, [100, 80, 20, 0]);
  pl.normalizeScore(state, pod, nodes, scores);
  t.same(scores, [100, 80, 20, 0]);
  const half = [50, 25, 0];
  pl.normalizeScore(state, pod, nodes, half);
  t.same(half, [100, 50, 0], 'the best node gets 100');
  t.equal(pl.preScore(new CycleState(), podInfo('q')).code, 'Skip', 'no preferred terms: not scored');
});
