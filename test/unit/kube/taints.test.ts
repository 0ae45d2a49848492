import t from 'tap';
import { type Taint, type Toleration, taintsOf, toleratesTaint, tolerationsOf } from '../../../kube/taints.js';

t.test('a toleration matches a taint by key, operator, value and effect (v1 Toleration.ToleratesTaint)', async (t) => {
  const taint: Taint = { key: 'dedicated', value: 'infra', effect: 'NoSchedule' };
  const cases: [Toleration, boolean][] = [
    [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }, true],
    [{ key: 'dedicated', value: 'infra' }, true],
    [{ key: 'dedicated', operator: '', value: 'infra', effect: '' }, true],
    [{ key: 'dedicated', operator: 'Exists' }, true],
    [{ operator: 'Exists' }, true],
    [{ key: '', operator: 'Exists', value: '', effect: '' }, true],
    [{ key: 'dedicated', operator: 'Equal', value: 'other' }, false],
    [{ key: 'other', operator: 'Exists' }, false],
    [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
    [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }, true],
    [{ key: 'dedicated', operator: 'Bogus', value: 'infra' }, false],
  ];
  for (const [tol, want] of cases) t.equal(toleratesTaint(tol, taint), want, JSON.stringify(tol));
  t.ok(toleratesTaint({ key: 'k' }, { key: 'k', effect: 'NoExecute' }), 'no value on either side is equal');
});

t.test('taints and tolerations are read defensively from the objects', async (t) => {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n' },
    spec: {
      taints: [
        { key: 'a', value: 'x', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' },
        { key: 'b', effect: 'Sometimes' },
        { effect: 'NoSchedule' },
        'junk',
        { key: 'c', effect: 'PreferNoSchedule' },
      ],
    },
  };
  t.same(taintsOf(node), [
    { key: 'a', value: 'x', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' },
    { key: 'c', effect: 'PreferNoSchedule' },
  ]);
  t.same(taintsOf({ apiVersion: 'v1', kind: 'Node', metadata: {} }), []);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { tolerations: [{ key: 'a', operator: 'Exists', tolerationSeconds: 30, value: 7 }, null] } };
  t.same(tolerationsOf(pod), [{ key: 'a', operator: 'Exists', tolerationSeconds: 30 }]);
});
