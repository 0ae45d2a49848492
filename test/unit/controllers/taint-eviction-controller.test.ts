import t from 'tap';
import { evictionDueMs } from '../../../controllers/node-taints.js';
import { TaintEvictionController } from '../../../controllers/taint-eviction-controller.js';
import { Resources } from '../../../kube/client/resource.js';
import type { KubeObject } from '../../../kube/object.js';
import { newBench } from './fake-context-d2.js';

const iso = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;
const UNREACHABLE = 'node.kubernetes.io/unreachable';

function node(name: string, taints: Record<string, unknown>[]): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { taints } };
}

function pod(name: string, nodeName: string, tolerations: Record<string, unknown>[] = []): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { nodeName, tolerations, containers: [] } };
}

const deletedPods = (bench: ReturnType<typeof newBench>): string[] => bench.client.callsOf('delete', 'pods').map((c) => c.name);

t.test('a pod that does not tolerate a NoExecute taint of its node is deleted at once', async (t) => {
  const bench = newBench();
  const ctl = new TaintEvictionController(bench.ctx);
  bench.seed(Resources.nodes, node('n1', [{ key: UNREACHABLE, effect: 'NoExecute', timeAdded: iso(bench.clock.now()) }]));
  bench.seed(Resources.pods, pod('p', 'n1'));
  t.same(bench.queue.take(), ['default/p']);
  await ctl.sync('default/p');
  t.same(deletedPods(bench), ['p']);
  t.match(bench.client.callsOf('delete', 'pods')[0]?.body, { preconditions: { uid: 'uid-p' } }, 'only the pod it looked at');
  t.match(bench.recorder.events, [{ key: 'default/p', reason: 'TaintManagerEviction', message: 'Marking for deletion Pod default/p' }]);
});

t.test('a pod tolerating the taint for N seconds is deleted N seconds after the taint was added', async (t) => {
  const bench = newBench();
  const ctl = new TaintEvictionController(bench.ctx);
  const addedMs = bench.clock.now() - 100_000;
  bench.seed(Resources.pods, pod('p', 'n1', [{ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]));
  bench.seed(Resources.nodes, node('n1', [{ key: UNREACHABLE, effect: 'NoExecute', timeAdded: iso(addedMs) }]));
  t.same(bench.queue.take(), ['default/p'], 'a node tainted NoExecute requeues its pods');
  await ctl.sync('default/p');
  t.same(deletedPods(bench), []);
  t.equal(bench.queue.lastDelay('default/p'), 200_000, 'the rest of the 300 s');
  bench.clock.advance(200_000);
  await ctl.sync('default/p');
  t.same(deletedPods(bench), ['p']);
});

t.test('a pod tolerating the taint without a limit stays, and so does one whose node lost the taint', async (t) => {
  const bench = newBench();
  const ctl = new TaintEvictionController(bench.ctx);
  bench.seed(Resources.nodes, node('n1', [{ key: UNREACHABLE, effect: 'NoExecute', timeAdded: iso(bench.clock.now()) }]));
  bench.seed(Resources.pods, pod('forever', 'n1', [{ operator: 'Exists' }]));
  bench.seed(Resources.pods, pod('brief', 'n1', [{ key: UNREACHABLE, operator: 'Exists', tolerationSeconds: 60 }]));
  await ctl.sync('default/forever');
  await ctl.sync('default/brief');
  t.same(deletedPods(bench), []);
  bench.clock.advance(30_000);
  await bench.mutate(Resources.nodes, 'n1', undefined, (n) => {
    n.spec = {};
  });
  bench.clock.advance(30_000);
  await ctl.sync('default/brief');
  t.same(deletedPods(bench), [], 'the node came back before the toleration ran out');
});

t.test('a NoSchedule taint evicts nothing', async (t) => {
  const bench = newBench();
  const ctl = new TaintEvictionController(bench.ctx);
  bench.seed(Resources.nodes, node('n1', [{ key: UNREACHABLE, effect: 'NoSchedule' }]));
  bench.seed(Resources.pods, pod('p', 'n1'));
  t.same(bench.queue.take(), []);
  await ctl.sync('default/p');
  t.same(deletedPods(bench), []);
});

t.test('the earliest deadline over all NoExecute taints wins; an untolerated one means now', async (t) => {
  const start = (x: { key: string }): number => (x.key === 'a' ? 0 : 10_000);
  const taints = [
    { key: 'a', effect: 'NoExecute' as const },
    { key: 'b', effect: 'NoExecute' as const },
  ];
  t.equal(
    evictionDueMs(
      [
        { key: 'a', operator: 'Exists', tolerationSeconds: 30 },
        { key: 'b', operator: 'Exists', tolerationSeconds: 5 },
      ],
      taints,
      start,
    ),
    15_000,
  );
  t.equal(evictionDueMs([{ key: 'a', operator: 'Exists' }], taints, start), Number.NEGATIVE_INFINITY);
  t.equal(evictionDueMs([{ operator: 'Exists' }], taints, start), undefined);
  t.equal(evictionDueMs([{ operator: 'Exists', tolerationSeconds: -5 }], taints, start), 0, 'negative seconds count as 0');
});
