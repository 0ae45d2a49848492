import t from 'tap';
import { DEFAULT_NODE_LIFECYCLE_OPTIONS, NodeLifecycleController } from '../../../controllers/node-lifecycle-controller.js';
import { Resources } from '../../../kube/client/resource.js';
import type { KubeObject } from '../../../kube/object.js';
import { type Bench, newBench } from './fake-context-d2.js';

const GRACE = DEFAULT_NODE_LIFECYCLE_OPTIONS.gracePeriodMs;
const iso = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

function node(name: string, nowMs: number, extraTaints: Record<string, unknown>[] = []): KubeObject {
  const at = iso(nowMs);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: extraTaints.length > 0 ? { taints: extraTaints } : {},
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletHasSufficientMemory', message: 'ok' },
        { type: 'Ready', status: 'True', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
    },
  };
}

function lease(name: string, nowMs: number): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: name, renewTime: iso(nowMs) },
  };
}

function pod(name: string, nodeName: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName, containers: [{ name: 'c', image: 'x' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** A bench with `names` healthy nodes (each with a fresh lease) and the controller over it. */
function cluster(names: string[], options = DEFAULT_NODE_LIFECYCLE_OPTIONS): { bench: Bench; ctl: NodeLifecycleController } {
  const bench = newBench();
  const ctl = new NodeLifecycleController(bench.ctx, options);
  for (const n of names) {
    bench.seed(Resources.nodes, node(n, bench.clock.now()));
    bench.seed(Resources.leases, lease(n, bench.clock.now()));
  }
  return { bench, ctl };
}

async function syncAll(bench: Bench, ctl: NodeLifecycleController, names: string[]): Promise<void> {
  for (const n of names) {
    await ctl.sync(n);
    await bench.reflect();
  }
}

async function stored(bench: Bench, name: string): Promise<KubeObject> {
  return bench.client.get(Resources.nodes, name);
}

const conditions = (n: KubeObject): Record<string, unknown>[] => (n.status as { conditions: Record<string, unknown>[] }).conditions;
const taintKeys = (n: KubeObject): string[] => ((n.spec as { taints?: { key: string; effect: string }[] }).taints ?? []).map((x) => `${x.key}:${x.effect}`);

async function renew(bench: Bench, name: string): Promise<void> {
  await bench.mutate(Resources.leases, name, 'kube-node-lease', (l) => {
    (l.spec as Record<string, unknown>).renewTime = iso(bench.clock.now());
  });
}

t.test('a healthy node is left alone and looked at again when its grace period would run out', async (t) => {
  const { bench, ctl } = cluster(['a', 'b', 'c']);
  await ctl.sync('a');
  t.same(bench.client.calls, [], 'no writes');
  t.equal(bench.queue.lastDelay('a'), GRACE + 1);
});

t.test('a node whose lease keeps being renewed stays Ready past the grace period', async (t) => {
  const { bench, ctl } = cluster(['a', 'b', 'c']);
  await syncAll(bench, ctl, ['a', 'b', 'c']);
  bench.clock.advance(GRACE - 10_000);
  await renew(bench, 'a');
  await ctl.sync('a');
  bench.clock.advance(20_000);
  await ctl.sync('a');
  t.same(bench.client.calls, [], 'the renewal counts as a heartbeat');
});

t.test('a silent node becomes Unknown, its pods not Ready, and it is tainted unreachable', async (t) => {
  const { bench, ctl } = cluster(['a', 'b', 'c']);
  bench.seed(Resources.pods, pod('p1', 'a'));
  bench.seed(Resources.pods, pod('elsewhere', 'b'));
  await syncAll(bench, ctl, ['a', 'b', 'c']);
  bench.clock.advance(GRACE + 1);
  await renew(bench, 'b');
  await renew(bench, 'c');
  await ctl.sync('a');
  const a = await stored(bench, 'a');
  const ready = conditions(a).find((c) => c.type === 'Ready');
  t.match(ready, {
    status: 'Unknown',
    reason: 'NodeStatusUnknown',
    message: 'Kubelet stopped posting node status.',
    lastTransitionTime: iso(bench.clock.now()),
  });
  t.match(
    conditions(a).find((c) => c.type === 'MemoryPressure'),
    { status: 'Unknown', reason: 'NodeStatusUnknown' },
  );
  t.match(
    conditions(a).find((c) => c.type === 'PIDPressure'),
    { status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' },
  );
  t.same(taintKeys(a).sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  const noExecute = (a.spec as { taints: { effect: string; timeAdded?: string }[] }).taints.find((x) => x.effect === 'NoExecute');
  t.equal(noExecute?.timeAdded, iso(bench.clock.now()), 'the NoExecute taint says when it was added');
  const p1 = await bench.client.get(Resources.pods, 'p1', 'default');
  t.match((p1.status as { conditions: unknown[] }).conditions, [{ type: 'Ready', status: 'False' }]);
  const other = await bench.client.get(Resources.pods, 'elsewhere', 'default');
  t.match((other.status as { conditions: unknown[] }).conditions, [{ type: 'Ready', status: 'True' }], "another node's pod is untouched");
  t.match(bench.recorder.events, [{ key: 'a', reason: 'NodeNotReady', message: 'Node a status is now: NodeNotReady' }]);
  t.equal(ctl.zoneState, 'Normal');
});

t.test('a node that reports Ready again loses the controller taints but keeps its own', async (t) => {
  const { bench, ctl } = cluster(['a', 'b', 'c']);
  await bench.mutate(Resources.nodes, 'a', undefined, (n) => {
    n.spec = { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] };
  });
  await syncAll(bench, ctl, ['a', 'b', 'c']);
  bench.clock.advance(GRACE + 1);
  await renew(bench, 'b');
  await renew(bench, 'c');
  await ctl.sync('a');
  await bench.reflect();
  t.equal(taintKeys(await stored(bench, 'a')).length, 3);
  bench.clock.advance(5000);
  // The agent comes back: a fresh Ready condition and lease.
  await bench.mutate(Resources.nodes, 'a', undefined, (n) => {
    n.status = node('a', bench.clock.now()).status;
  });
  await renew(bench, 'a');
  await ctl.sync('a');
  t.same(taintKeys(await stored(bench, 'a')), ['dedicated:NoSchedule']);
});

t.test('NoExecute taints are added at the eviction rate, NoSchedule ones at once', async (t) => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const { bench, ctl } = cluster(names);
  await syncAll(bench, ctl, names);
  bench.clock.advance(GRACE + 1);
  for (const n of ['c', 'd', 'e', 'f', 'g']) await renew(bench, n);
  await ctl.sync('a');
  await bench.reflect();
  await ctl.sync('b');
  await bench.reflect();
  t.same(taintKeys(await stored(bench, 'a')).sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  t.same(taintKeys(await stored(bench, 'b')), ['node.kubernetes.io/unreachable:NoSchedule'], 'the second waits for a token');
  t.equal(bench.queue.lastDelay('b'), 10_000, 'one node per 10 s at 0.1/s');
  bench.clock.advance(10_000);
  await ctl.sync('b');
  t.ok(taintKeys(await stored(bench, 'b')).includes('node.kubernetes.io/unreachable:NoExecute'));
});

t.test('when most nodes go silent at once, none gets a NoExecute taint (partial disruption, small cluster)', async (t) => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  const { bench, ctl } = cluster(names);
  await syncAll(bench, ctl, names);
  bench.clock.advance(GRACE + 1);
  await renew(bench, 'd');
  await renew(bench, 'e');
  await syncAll(bench, ctl, names);
  t.equal(ctl.zoneState, 'PartialDisruption');
  for (const n of ['a', 'b', 'c']) {
    const s = await stored(bench, n);
    t.same(taintKeys(s), ['node.kubernetes.io/unreachable:NoSchedule'], `${n} only NoSchedule`);
    t.match(
      conditions(s).find((c) => c.type === 'Ready'),
      { status: 'Unknown' },
    );
  }
});

t.test('in a large cluster a partial disruption only slows tainting to the secondary rate', async (t) => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  const { bench, ctl } = cluster(names, { ...DEFAULT_NODE_LIFECYCLE_OPTIONS, largeClusterSizeThreshold: 4 });
  await syncAll(bench, ctl, names);
  bench.clock.advance(GRACE + 1);
  await renew(bench, 'd');
  await renew(bench, 'e');
  await syncAll(bench, ctl, names);
  const noExecute = [];
  for (const n of ['a', 'b', 'c']) if (taintKeys(await stored(bench, n)).includes('node.kubernetes.io/unreachable:NoExecute')) noExecute.push(n);
  t.equal(noExecute.length, 1, 'one token at the start');
  t.equal(bench.queue.lastDelay('c'), 100_000, 'the next in 100 s at 0.01/s');
});

t.test('when every node is down, NoExecute taints are lifted (full disruption) and come back after', async (t) => {
  const names = ['a', 'b', 'c'];
  const { bench, ctl } = cluster(names);
  await syncAll(bench, ctl, names);
  bench.clock.advance(GRACE + 1);
  await renew(bench, 'b');
  await renew(bench, 'c');
  await ctl.sync('a');
  await bench.reflect();
  t.ok(taintKeys(await stored(bench, 'a')).includes('node.kubernetes.io/unreachable:NoExecute'));
  bench.clock.advance(GRACE + 1);
  await syncAll(bench, ctl, ['b', 'c', 'a']);
  t.equal(ctl.zoneState, 'FullDisruption');
  for (const n of names) t.same(taintKeys(await stored(bench, n)), ['node.kubernetes.io/unreachable:NoSchedule'], `${n}: no NoExecute taint`);
  // b and c come back: a is alone down again and is tainted once more.
  bench.clock.advance(1000);
  for (const n of ['b', 'c']) {
    await bench.mutate(Resources.nodes, n, undefined, (x) => {
      x.status = node(n, bench.clock.now()).status;
    });
    await renew(bench, n);
  }
  bench.queue.take();
  await syncAll(bench, ctl, ['b', 'c']);
  t.equal(ctl.zoneState, 'Normal');
  t.ok(bench.queue.take().includes('a'), 'the end of the disruption requeues every node');
  await ctl.sync('a');
  t.ok(taintKeys(await stored(bench, 'a')).includes('node.kubernetes.io/unreachable:NoExecute'));
});

t.test('a node seen for the first time gets a whole grace period, whatever its timestamps say', async (t) => {
  const bench = newBench();
  const ctl = new NodeLifecycleController(bench.ctx);
  bench.seed(Resources.nodes, node('old', bench.clock.now() - 10 * GRACE));
  await ctl.sync('old');
  t.same(bench.client.calls, []);
  t.equal(bench.queue.lastDelay('old'), GRACE + 1);
});
