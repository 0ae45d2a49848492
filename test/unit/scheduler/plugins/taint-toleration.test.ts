import t from 'tap';
import { CycleState } from '../../../../scheduler/framework/interfaces.js';
import { MAX_NODE_SCORE, type Taint, type Toleration } from '../../../../scheduler/framework/types.js';
import { TaintToleration } from '../../../../scheduler/plugins/taint-toleration.js';
import { nodeInfo, podInfo } from '../fixtures.js';

t.test('TaintToleration filters NoSchedule and NoExecute taints, naming the first untolerated one', async (t) => {
  const pl = new TaintToleration();
  const state = new CycleState();
  const node = nodeInfo('n', {
    taints: [
      { key: 'soft', value: 'x', effect: 'PreferNoSchedule' },
      { key: 'dedicated', value: 'infra', effect: 'NoSchedule' },
      { key: 'gpu', effect: 'NoExecute' },
    ],
  });
  const none = pl.filter(state, podInfo('p'), node);
  t.equal(none.code, 'UnschedulableAndUnresolvable');
  t.same(none.reasons, ['node(s) had untolerated taint {dedicated: infra}'], 'PreferNoSchedule never filters; the first hard taint is named');
  const one = pl.filter(state, podInfo('p', { tolerations: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] }), node);
  t.same(one.reasons, ['node(s) had untolerated taint {gpu: }'], 'a taint without value prints an empty value');
  const both = pl.filter(
    state,
    podInfo('p', {
      tolerations: [
        { key: 'dedicated', operator: 'Exists' },
        { key: 'gpu', operator: 'Exists' },
      ],
    }),
    node,
  );
  t.equal(both.code, 'Success');
});

t.test('TaintToleration scores fewer untolerated PreferNoSchedule taints higher', async (t) => {
  const pl = new TaintToleration();
  const state = new CycleState();
  const pod = podInfo('p', { tolerations: [{ key: 'b', operator: 'Exists', effect: 'PreferNoSchedule' }] });
  const nodes = [
    nodeInfo('clean'),
    nodeInfo('one', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }] }),
    nodeInfo('two', {
      taints: [
        { key: 'a', effect: 'PreferNoSchedule' },
        { key: 'c', effect: 'PreferNoSchedule' },
      ],
    }),
    nodeInfo('tolerated', { taints: [{ key: 'b', effect: 'PreferNoSchedule' }] }),
  ];
  pl.preScore(state, pod);
  const scores = nodes.map((n) => pl.score(state, pod, n));
  t.same(scores, [0, 1, 2, 0], 'raw: untolerated PreferNoSchedule taints');
  pl.normalizeScore(state, pod, nodes, scores);
  t.same(scores, [MAX_NODE_SCORE, 50, 0, MAX_NODE_SCORE], 'normalised in reverse');
});
