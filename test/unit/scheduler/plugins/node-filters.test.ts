import t from 'tap';
import { CycleState } from '../../../../scheduler/framework/interfaces.js';
import { NodeName } from '../../../../scheduler/plugins/node-name.js';
import { NodeReady } from '../../../../scheduler/plugins/node-ready.js';
import { NodeUnschedulable } from '../../../../scheduler/plugins/node-unschedulable.js';
import { nodeInfo, podInfo } from '../fixtures.js';

const state = new CycleState();

t.test('NodeUnschedulable keeps pods off cordoned nodes unless they tolerate the unschedulable taint', async (t) => {
  const pl = new NodeUnschedulable();
  const cordoned = nodeInfo('n1', { unschedulable: true });
  const cases: [string, ReturnType<typeof podInfo>, ReturnType<typeof nodeInfo>, string, string[]][] = [
    ['schedulable node', podInfo('p'), nodeInfo('n0'), 'Success', []],
    ['cordoned node', podInfo('p'), cordoned, 'UnschedulableAndUnresolvable', ['node(s) were unschedulable']],
    [
      'cordoned node, pod tolerates it',
      podInfo('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }),
      cordoned,
      'Success',
      [],
    ],
    ['cordoned node, pod tolerates everything', podInfo('p', { tolerations: [{ operator: 'Exists' }] }), cordoned, 'Success', []],
  ];
  for (const [name, pod, node, code, reasons] of cases) {
    const s = pl.filter(state, pod, node);
    t.equal(s.code, code, name);
    t.same(s.reasons, reasons, name);
  }
});

t.test('NodeName fits a pod that names a node only to that node', async (t) => {
  const pl = new NodeName();
  t.equal(pl.filter(state, podInfo('p'), nodeInfo('a')).code, 'Success', 'no name: any node');
  t.equal(pl.filter(state, podInfo('p', { nodeName: 'a' }), nodeInfo('a')).code, 'Success');
  const s = pl.filter(state, podInfo('p', { nodeName: 'a' }), nodeInfo('b'));
  t.equal(s.code, 'UnschedulableAndUnresolvable');
  t.same(s.reasons, ["node(s) didn't match the requested node name"]);
});

t.test('NodeReady rejects nodes that are not Ready as the not-ready/unreachable taint would', async (t) => {
  const pl = new NodeReady();
  const tolerateNotReady = podInfo('ds', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }] });
  const tolerateAll = podInfo('ds', {
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists' },
    ],
  });
  const cases: [string, ReturnType<typeof podInfo>, string | null, string, string[]][] = [
    ['Ready True', podInfo('p'), 'True', 'Success', []],
    ['Ready False', podInfo('p'), 'False', 'UnschedulableAndUnresolvable', ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']],
    ['no Ready condition', podInfo('p'), null, 'UnschedulableAndUnresolvable', ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']],
    ['Ready Unknown', podInfo('p'), 'Unknown', 'UnschedulableAndUnresolvable', ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }']],
    [
      'a NoExecute toleration does not tolerate the NoSchedule taint',
      tolerateNotReady,
      'False',
      'UnschedulableAndUnresolvable',
      ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }'],
    ],
    ['tolerations of any effect (DaemonSet pods) fit a NotReady node', tolerateAll, 'False', 'Success', []],
    ['and an unreachable one', tolerateAll, 'Unknown', 'Success', []],
  ];
  for (const [name, pod, ready, code, reasons] of cases) {
    const s = pl.filter(state, pod, nodeInfo('n', { ready }));
    t.equal(s.code, code, name);
    t.same(s.reasons, reasons, name);
  }
});
