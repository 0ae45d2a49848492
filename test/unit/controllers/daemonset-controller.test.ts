import t from 'tap';
import { DaemonSetController } from '../../../controllers/daemonset-controller.js';
import { targetNodeName } from '../../../controllers/daemonset-node-fit.js';
import { Resources } from '../../../kube/client/resource.js';
import type { KubeObject } from '../../../kube/object.js';
import { type Bench, newBench, readyStatus } from './fake-context-d2.js';

interface Pod extends KubeObject {
  spec: Record<string, unknown> & { nodeName?: string; tolerations?: { key?: string; effect?: string }[]; affinity?: unknown; containers: { image: string }[] };
  status?: Record<string, unknown>;
}

function node(name: string, extra: { labels?: Record<string, string>; taints?: { key: string; value?: string; effect: string }[] } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(extra.labels ?? {}) } },
    spec: extra.taints ? { taints: extra.taints } : {},
  };
}

function daemonSet(extra: { podSpec?: Record<string, unknown>; strategy?: Record<string, unknown> } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', generation: 1 },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      updateStrategy: extra.strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'main', image: 'agent:v1' }], ...(extra.podSpec ?? {}) } },
    },
  };
}

function setup(nodes: KubeObject[], ds = daemonSet()): { bench: Bench; ctl: DaemonSetController } {
  const bench = newBench();
  const ctl = new DaemonSetController(bench.ctx);
  for (const n of nodes) bench.seed(Resources.nodes, n);
  bench.seed(Resources.daemonsets, ds);
  bench.queue.take();
  return { bench, ctl };
}

async function pods(bench: Bench): Promise<Pod[]> {
  return (await bench.client.list<Pod>(Resources.pods)).items;
}

/** Node names the live (not terminating) daemon pods target, sorted. */
async function placement(bench: Bench): Promise<string[]> {
  return (await pods(bench))
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => targetNodeName(p) ?? '?')
    .sort();
}

/** What the scheduler and the kubelets would do: bind every pod to its affinity's node and make it Running and Ready. */
async function scheduleAndRun(bench: Bench): Promise<void> {
  for (const p of await pods(bench)) {
    if (p.spec.nodeName) continue;
    await bench.mutate<Pod>(Resources.pods, p.metadata.name ?? '', 'default', (pod) => {
      pod.spec.nodeName = targetNodeName(pod) ?? '';
      pod.status = readyStatus('Running', true, bench.clock.now());
    });
  }
}

async function round(bench: Bench, ctl: DaemonSetController): Promise<void> {
  await ctl.sync('default/agent');
  await bench.reflect();
  await scheduleAndRun(bench);
}

t.test('one pod per node, placed by a node affinity on the node name, with the daemon tolerations', async (t) => {
  const { bench, ctl } = setup([node('n1'), node('n2'), node('n3')]);
  await ctl.sync('default/agent');
  t.same(await placement(bench), ['n1', 'n2', 'n3']);
  const pod = (await pods(bench))[0];
  t.equal(pod?.spec.nodeName, undefined, 'not bound by the controller: the scheduler binds it');
  t.same(pod?.spec.affinity, {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [targetNodeName(pod as Pod)] }] }],
      },
    },
  });
  const tolerated = (pod?.spec.tolerations ?? []).map((x) => `${x.key}:${x.effect}`).sort();
  t.same(tolerated, [
    'node.kubernetes.io/disk-pressure:NoSchedule',
    'node.kubernetes.io/memory-pressure:NoSchedule',
    'node.kubernetes.io/not-ready:NoExecute',
    'node.kubernetes.io/pid-pressure:NoSchedule',
    'node.kubernetes.io/unreachable:NoExecute',
    'node.kubernetes.io/unschedulable:NoSchedule',
  ]);
  t.match(pod?.metadata, { generateName: 'agent-', labels: { app: 'agent', 'controller-revision-hash': /^[bcdfghjklmnpqrstvwxz2456789]+$/ } });
  t.equal(bench.recorder.events.filter((e) => e.reason === 'SuccessfulCreate').length, 3);
  await ctl.sync('default/agent');
  t.equal(bench.client.callsOf('create', 'pods').length, 3, 'expectations: no second round of creates before the first is observed');
});

t.test('a node joining gets a pod; a node leaving loses it', async (t) => {
  const { bench, ctl } = setup([node('n1'), node('n2')]);
  await round(bench, ctl);
  bench.seed(Resources.nodes, node('n3'));
  t.same(bench.queue.take(), ['default/agent'], 'a new node wakes the DaemonSet');
  await round(bench, ctl);
  t.same(await placement(bench), ['n1', 'n2', 'n3']);
  await bench.client.delete(Resources.nodes, 'n2');
  await bench.reflect();
  t.same(bench.queue.take(), ['default/agent']);
  await ctl.sync('default/agent');
  const del = bench.client.callsOf('delete', 'pods');
  t.equal(del.length, 1);
  t.match(del[0]?.body, { gracePeriodSeconds: 0 }, 'no kubelet is left to stop it: deleted at once');
  await bench.reflect();
  t.same(await placement(bench), ['n1', 'n3']);
  const ds = await bench.client.get(Resources.daemonsets, 'agent', 'default');
  t.match(ds.status, { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberMisscheduled: 0 });
});

t.test('a tainted node is skipped unless the template tolerates the taint', async (t) => {
  const taint = { key: 'dedicated', value: 'db', effect: 'NoSchedule' };
  const nodes = [
    node('plain'),
    node('tainted', { taints: [taint] }),
    node('cordoned', { taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }),
  ];
  const a = setup(nodes);
  await a.ctl.sync('default/agent');
  t.same(await placement(a.bench), ['cordoned', 'plain'], 'cordoned nodes are tolerated by every daemon');
  const b = setup(nodes, daemonSet({ podSpec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] } }));
  await b.ctl.sync('default/agent');
  t.same(await placement(b.bench), ['cordoned', 'plain', 'tainted']);
});

t.test('a NoSchedule taint lets a running daemon stay; a NoExecute taint evicts it', async (t) => {
  const { bench, ctl } = setup([node('n1'), node('n2')]);
  await round(bench, ctl);
  await bench.mutate(Resources.nodes, 'n1', undefined, (n) => {
    n.spec = { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] };
  });
  await bench.mutate(Resources.nodes, 'n2', undefined, (n) => {
    n.spec = { taints: [{ key: 'maintenance', effect: 'NoExecute' }] };
  });
  await ctl.sync('default/agent');
  await bench.reflect();
  t.same(await placement(bench), ['n1']);
  await ctl.sync('default/agent');
  const ds = await bench.client.get(Resources.daemonsets, 'agent', 'default');
  t.match(ds.status, { desiredNumberScheduled: 0, numberMisscheduled: 1 }, 'the pod on n1 runs where it would not be placed now');
});

t.test('nodeSelector and required node affinity choose the nodes', async (t) => {
  const nodes = [
    node('a', { labels: { disk: 'ssd', zone: 'z1' } }),
    node('b', { labels: { disk: 'ssd', zone: 'z2' } }),
    node('c', { labels: { disk: 'hdd', zone: 'z1' } }),
  ];
  const affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }] },
    },
  };
  const { bench, ctl } = setup(nodes, daemonSet({ podSpec: { nodeSelector: { disk: 'ssd' }, affinity } }));
  await ctl.sync('default/agent');
  t.same(await placement(bench), ['a']);
});

t.test('a rolling update replaces at most maxUnavailable pods at a time and waits for new pods to be available', async (t) => {
  const { bench, ctl } = setup([node('n1'), node('n2'), node('n3')]);
  await round(bench, ctl);
  await round(bench, ctl);
  const oldHash = (await pods(bench))[0]?.metadata.labels?.['controller-revision-hash'];
  await bench.mutate(Resources.daemonsets, 'agent', 'default', (ds) => {
    (ds.spec as { template: { spec: unknown } }).template.spec = { containers: [{ name: 'main', image: 'agent:v2' }] };
    ds.metadata.generation = 2;
  });
  await ctl.sync('default/agent');
  t.equal(bench.client.callsOf('delete', 'pods').length, 1, 'one old pod goes');
  await bench.reflect();
  await ctl.sync('default/agent');
  await bench.reflect();
  t.equal(bench.client.callsOf('create', 'pods').length, 4, 'its node gets a new pod');
  await ctl.sync('default/agent');
  t.equal(bench.client.callsOf('delete', 'pods').length, 1, 'no second delete while the new pod is not available');
  let ds = await bench.client.get(Resources.daemonsets, 'agent', 'default');
  t.match(ds.status, {
    desiredNumberScheduled: 3,
    currentNumberScheduled: 3,
    updatedNumberScheduled: 1,
    numberAvailable: 2,
    numberUnavailable: 1,
    observedGeneration: 2,
  });
  for (let i = 0; i < 10; i++) await round(bench, ctl);
  const images = (await pods(bench)).map((p) => p.spec.containers[0]?.image);
  t.same(images, ['agent:v2', 'agent:v2', 'agent:v2']);
  ds = await bench.client.get(Resources.daemonsets, 'agent', 'default');
  t.match(ds.status, { desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3, numberReady: 3, numberUnavailable: 0 });
  const revisions = (await bench.client.list<KubeObject & { revision: number }>(Resources.controllerrevisions)).items.sort((a, b) => a.revision - b.revision);
  t.same(
    revisions.map((r) => r.revision),
    [1, 2],
  );
  t.equal(revisions[0]?.metadata.labels?.['controller-revision-hash'], oldHash);
  t.match(
    revisions[1]?.data,
    { spec: { template: { $patch: 'replace', spec: { containers: [{ image: 'agent:v2' }] } } } },
    'the revision data is the patch kubectl rollout undo applies',
  );
});

t.test('maxUnavailable 2 deletes two old pods at once', async (t) => {
  const { bench, ctl } = setup(
    [node('n1'), node('n2'), node('n3')],
    daemonSet({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2, maxSurge: 0 } } }),
  );
  await round(bench, ctl);
  await bench.mutate(Resources.daemonsets, 'agent', 'default', (ds) => {
    (ds.spec as { template: { spec: unknown } }).template.spec = { containers: [{ name: 'main', image: 'agent:v2' }] };
  });
  await ctl.sync('default/agent');
  t.equal(bench.client.callsOf('delete', 'pods').length, 2);
});

t.test('maxSurge starts the new pod next to the old one and removes the old one once the new one is available', async (t) => {
  const { bench, ctl } = setup([node('n1')], daemonSet({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } }));
  await round(bench, ctl);
  await bench.mutate(Resources.daemonsets, 'agent', 'default', (ds) => {
    (ds.spec as { template: { spec: unknown } }).template.spec = { containers: [{ name: 'main', image: 'agent:v2' }] };
  });
  await ctl.sync('default/agent');
  await bench.reflect();
  t.equal(bench.client.callsOf('delete', 'pods').length, 0, 'the old pod stays while the new one starts');
  t.equal((await pods(bench)).length, 2);
  await scheduleAndRun(bench);
  await ctl.sync('default/agent');
  await bench.reflect();
  t.same(
    (await pods(bench)).map((p) => p.spec.containers[0]?.image),
    ['agent:v2'],
  );
});

t.test('OnDelete leaves old pods running after a template change', async (t) => {
  const { bench, ctl } = setup([node('n1'), node('n2')], daemonSet({ strategy: { type: 'OnDelete' } }));
  await round(bench, ctl);
  await bench.mutate(Resources.daemonsets, 'agent', 'default', (ds) => {
    (ds.spec as { template: { spec: unknown } }).template.spec = { containers: [{ name: 'main', image: 'agent:v2' }] };
  });
  await round(bench, ctl);
  t.equal(bench.client.callsOf('delete', 'pods').length, 0);
  const ds = await bench.client.get(Resources.daemonsets, 'agent', 'default');
  t.match(ds.status, { updatedNumberScheduled: 0, currentNumberScheduled: 2 });
});

t.test('a failed daemon pod is deleted so that it can be replaced', async (t) => {
  const { bench, ctl } = setup([node('n1')]);
  await round(bench, ctl);
  const name = (await pods(bench))[0]?.metadata.name ?? '';
  await bench.mutate<Pod>(Resources.pods, name, 'default', (p) => {
    p.status = { phase: 'Failed' };
  });
  await ctl.sync('default/agent');
  t.same(
    bench.client.callsOf('delete', 'pods').map((c) => c.name),
    [name],
  );
  t.ok(bench.recorder.events.some((e) => e.reason === 'FailedDaemonPod'));
  await ctl.sync('default/agent');
  t.equal(bench.client.callsOf('create', 'pods').length, 1, 'no replacement before the delete is observed');
  await bench.reflect();
  await round(bench, ctl);
  t.equal(bench.client.callsOf('create', 'pods').length, 2);
  t.same(await placement(bench), ['n1']);
});

t.test('a DaemonSet being deleted creates nothing more', async (t) => {
  const ds = daemonSet();
  ds.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  ds.metadata.finalizers = ['foregroundDeletion'];
  const { bench, ctl } = setup([node('n1')], ds);
  await ctl.sync('default/agent');
  t.same(bench.client.calls, []);
});
