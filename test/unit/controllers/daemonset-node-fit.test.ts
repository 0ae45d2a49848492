import t from 'tap';
import { nodeShouldRunDaemonPod, targetNodeName, withNodeNameAffinity } from '../../../controllers/daemonset-node-fit.js';
import type { KubeObject } from '../../../kube/object.js';

function node(labels: Record<string, string>, taints: { key: string; value?: string; effect: string }[] = []): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels }, spec: { taints } };
}

const template = (spec: Record<string, unknown>) => ({ metadata: { labels: { app: 'a' } }, spec: { containers: [], ...spec } });

t.test('NoSchedule keeps new daemons off but lets a running one stay; NoExecute does neither', async (t) => {
  t.same(nodeShouldRunDaemonPod(node({}, [{ key: 'x', effect: 'NoSchedule' }]), template({})), { shouldRun: false, shouldContinueRunning: true });
  t.same(nodeShouldRunDaemonPod(node({}, [{ key: 'x', effect: 'NoExecute' }]), template({})), { shouldRun: false, shouldContinueRunning: false });
  t.same(nodeShouldRunDaemonPod(node({}, [{ key: 'x', effect: 'PreferNoSchedule' }]), template({})), { shouldRun: true, shouldContinueRunning: true });
  t.same(
    nodeShouldRunDaemonPod(node({}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]), template({})),
    { shouldRun: true, shouldContinueRunning: true },
    'daemons tolerate a not-ready node',
  );
  t.same(
    nodeShouldRunDaemonPod(node({}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), template({ hostNetwork: true })).shouldRun,
    true,
    'host-network daemons tolerate a node without a network',
  );
});

t.test('node affinity operators: In, NotIn, Exists, DoesNotExist, Gt, Lt and matchFields on the name', async (t) => {
  const fits = (expr: Record<string, unknown>, labels: Record<string, string>, field = false): boolean =>
    nodeShouldRunDaemonPod(
      node(labels),
      template({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [field ? { matchFields: [expr] } : { matchExpressions: [expr] }] },
          },
        },
      }),
    ).shouldRun;
  t.ok(fits({ key: 'zone', operator: 'In', values: ['a', 'b'] }, { zone: 'b' }));
  t.notOk(fits({ key: 'zone', operator: 'NotIn', values: ['b'] }, { zone: 'b' }));
  t.ok(fits({ key: 'gpu', operator: 'Exists' }, { gpu: '' }));
  t.ok(fits({ key: 'gpu', operator: 'DoesNotExist' }, {}));
  t.ok(fits({ key: 'cores', operator: 'Gt', values: ['4'] }, { cores: '8' }));
  t.notOk(fits({ key: 'cores', operator: 'Lt', values: ['4'] }, { cores: '8' }));
  t.ok(fits({ key: 'metadata.name', operator: 'In', values: ['n1'] }, {}, true));
  t.notOk(fits({ key: 'metadata.name', operator: 'In', values: ['n2'] }, {}, true));
});

t.test('the node-name affinity replaces the required terms and is what targetNodeName reads back', async (t) => {
  const affinity = withNodeNameAffinity(
    { podAntiAffinity: { x: 1 }, nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [] }] } } },
    'n7',
  );
  t.same(affinity.podAntiAffinity, { x: 1 }, 'the rest of the affinity stays');
  t.equal(targetNodeName({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { affinity } }), 'n7');
  t.equal(targetNodeName({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { nodeName: 'n8', affinity } }), 'n8', 'a bound pod is where it is bound');
});
