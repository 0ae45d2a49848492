import pino from 'pino';
import t, { type Test } from 'tap';
import { FakeInformer } from '../../../kube/cache/fake-informer.js';
import { RecordingApiClient } from '../../../kube/client/recording-api-client.js';
import { Resources } from '../../../kube/client/resource.js';
import { FakeClock } from '../../../kube/clock.js';
import type { KubeObject } from '../../../kube/object.js';
import { AgentHost } from '../../../nodeagent/agent-host.js';
import type { NodeConfig } from '../../../nodeagent/node-config.js';
import { createSimulatedRuntime } from '../../../nodeagent/runtime/simulated-runtime.js';
import { pollUntil } from '../../helpers/store-cluster.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;

function nodeConfig(name: string, extra: Partial<NodeConfig> = {}): NodeConfig {
  return {
    name,
    cpu: '4',
    memory: '8Gi',
    pods: 110,
    ephemeralStorage: '100Gi',
    labels: {},
    taints: [],
    runtime: 'simulated',
    hostIP: '127.0.0.1',
    port: 10250,
    podCIDR: '10.244.1.0/24',
    arch: 'amd64',
    kernelVersion: '',
    osImage: 'picokube',
    ...extra,
  };
}

function podObject(name: string, nodeName = 'node-1', extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName, containers: [{ name: 'main', image: 'busybox' }], terminationGracePeriodSeconds: 30 },
    status: {
      phase: 'Pending',
      qosClass: 'BestEffort',
      conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }],
    },
    ...extra,
  };
}

interface Setup {
  clock: FakeClock;
  client: RecordingApiClient;
  pods: FakeInformer;
  host: AgentHost;
  runtime: ReturnType<typeof createSimulatedRuntime>;
}

async function setup(t: Test, nodes: NodeConfig[] = [nodeConfig('node-1')], client = new RecordingApiClient()): Promise<Setup> {
  const clock = new FakeClock();
  const pods = new FakeInformer();
  const runtime = createSimulatedRuntime({ clock });
  const host = new AgentHost({ client, clock, nodes, runtime, podInformer: pods, logger: pino({ level: 'silent' }), workers: 2 });
  t.teardown(() => host.stop(0));
  await host.start();
  return { clock, client, pods, host, runtime };
}

/** Lets pending promise chains (a renewal's retry scheduling) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Bind a pod to the agent and wait until its status shows it Running. */
async function runPod(s: Setup, pod: KubeObject): Promise<KubeObject> {
  const seeded = s.client.seed(Resources.pods, pod);
  const writes = s.client.callsOf('updateStatus', 'pods').length;
  s.pods.add(seeded);
  await pollUntil('the ContainerCreating write', () => s.client.callsOf('updateStatus', 'pods').length > writes);
  s.clock.advance(0);
  await pollUntil('Running', async () => ((await s.client.get(Resources.pods, seeded.metadata.name ?? '', 'default')).status as Json).phase === 'Running');
  return seeded;
}

/** Feed the informer what the fake apiserver holds now (the watch a real informer would have). */
async function refresh(s: Setup, name: string): Promise<KubeObject | undefined> {
  try {
    const pod = await s.client.get(Resources.pods, name, 'default');
    s.pods.update(pod);
    return pod;
  } catch {
    return undefined;
  }
}

t.test('the agent registers its Node and renews its Lease every 10 s', async (t) => {
  const s = await setup(t);
  const created = s.client.callsOf('create', 'nodes');
  t.equal(created.length, 1);
  const node = created[0]?.body as Json;
  t.equal(node.metadata.name, 'node-1');
  t.same(node.status.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  s.clock.advance(0);
  await pollUntil('the lease', () => s.client.callsOf('create', 'leases').length === 1);
  const lease = (await s.client.get(Resources.leases, 'node-1', 'kube-node-lease')) as Json;
  t.equal(lease.spec.holderIdentity, 'node-1');
  t.equal(lease.spec.leaseDurationSeconds, 40);
  t.equal(lease.spec.renewTime, '2026-01-01T00:00:00.000000Z');
  t.equal(lease.metadata.ownerReferences[0].uid, (await s.client.get(Resources.nodes, 'node-1')).metadata.uid, 'owned by the Node');
  s.clock.advance(9_999);
  t.equal(s.client.callsOf('update', 'leases').length, 0);
  s.clock.advance(1);
  await pollUntil('the renewal', () => s.client.callsOf('update', 'leases').length === 1);
  const renewed = (await s.client.get(Resources.leases, 'node-1', 'kube-node-lease')) as Json;
  t.equal(renewed.spec.renewTime, '2026-01-01T00:00:10.000000Z');
  s.clock.advance(50_000);
  await pollUntil('a status report after 60 s', () => s.client.callsOf('patch', 'nodes').length === 1);
  t.match(s.client.callsOf('patch', 'nodes')[0], {
    subresource: 'status',
    body: { status: { conditions: [{ type: 'MemoryPressure' }, {}, {}, { type: 'Ready', lastHeartbeatTime: '2026-01-01T00:01:00Z' }] } },
  });
});

t.test('a failed lease renewal is retried soon, re-reading the lease', async (t) => {
  const s = await setup(t);
  s.clock.advance(0);
  await pollUntil('the lease', () => s.client.callsOf('create', 'leases').length === 1);
  s.client.failNext('update', 500);
  s.clock.advance(10_000);
  await pollUntil('the failed renewal', () => s.client.callsOf('update', 'leases').length === 1);
  await settle();
  s.clock.advance(200);
  await pollUntil('the retry', () => s.client.callsOf('update', 'leases').length === 2);
  const lease = (await s.client.get(Resources.leases, 'node-1', 'kube-node-lease')) as Json;
  t.equal(lease.spec.renewTime, '2026-01-01T00:00:10.200000Z');
});

t.test('an existing Node keeps its spec (podCIDR, taints) and gets its labels and status refreshed', async (t) => {
  const client = new RecordingApiClient();
  client.seed(Resources.nodes, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-1', labels: { team: 'blue' } },
    spec: { podCIDR: '10.244.7.0/24', podCIDRs: ['10.244.7.0/24'], taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }], unschedulable: true },
  });
  const s = await setup(t, [nodeConfig('node-1')], client);
  const node = (await client.get(Resources.nodes, 'node-1')) as Json;
  t.same(node.spec.taints, [{ key: 'k', value: 'v', effect: 'NoSchedule' }]);
  t.equal(node.spec.unschedulable, true);
  t.equal(node.metadata.labels.team, 'blue');
  t.equal(node.metadata.labels['kubernetes.io/hostname'], 'node-1');
  t.equal(node.status.conditions.find((c: Json) => c.type === 'Ready').status, 'True');
  t.equal(s.host.agents.get('node-1')?.ips.cidr, '10.244.7.0/24', 'pods get addresses from the existing podCIDR');
});

t.test('a bound pod goes ContainerCreating, then Running with its addresses, one write each', async (t) => {
  const s = await setup(t);
  s.pods.add(s.client.seed(Resources.pods, podObject('web')));
  await pollUntil('the ContainerCreating write', () => s.client.callsOf('updateStatus', 'pods').length === 1);
  const creating = (await s.client.get(Resources.pods, 'web', 'default')) as Json;
  t.equal(creating.status.phase, 'Pending');
  t.same(creating.status.containerStatuses[0].state, { waiting: { reason: 'ContainerCreating' } });
  t.equal(creating.status.podIP, '10.244.1.2');
  s.clock.advance(0);
  await pollUntil('the Running write', () => s.client.callsOf('updateStatus', 'pods').length === 2);
  const running = (await s.client.get(Resources.pods, 'web', 'default')) as Json;
  t.equal(running.status.phase, 'Running');
  t.equal(running.status.hostIP, '127.0.0.1');
  t.equal(running.status.podIP, '10.244.1.2');
  t.equal(running.status.startTime, '2026-01-01T00:00:00Z');
  t.equal(running.status.qosClass, 'BestEffort');
  t.match(running.status.containerStatuses[0], { ready: true, started: true, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } });
  t.equal(running.status.conditions.find((c: Json) => c.type === 'Ready').status, 'True');
  // The informer catches up with our writes: nothing more to write.
  await refresh(s, 'web');
  await s.host.syncPod('default/web');
  t.equal(s.client.callsOf('updateStatus', 'pods').length, 2, 'a sync without change writes nothing');
});

t.test('deletion: containers stop with the grace period, the final status is written, the pod removed with a uid precondition', async (t) => {
  const s = await setup(t);
  await runPod(s, podObject('web'));
  const pod = (await refresh(s, 'web')) as KubeObject;
  const uid = pod.metadata.uid;
  // What the apiserver does on `kubectl delete pod web`: mark it.
  const marked = s.client.seed(Resources.pods, {
    ...pod,
    metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T00:00:30Z', deletionGracePeriodSeconds: 30 },
  });
  s.pods.update(marked);
  await pollUntil('the delete', () => s.client.callsOf('delete', 'pods').length === 1);
  t.same(s.client.callsOf('delete', 'pods')[0]?.body, { namespace: 'default', gracePeriodSeconds: 0, preconditions: { uid } });
  const finalWrite = s.client.callsOf('updateStatus', 'pods').at(-1)?.body as Json;
  t.equal(finalWrite.status.phase, 'Succeeded', 'simulated containers stop cleanly: exit 0');
  t.match(finalWrite.status.containerStatuses[0].state, { terminated: { exitCode: 0, reason: 'Completed' } });
  t.equal(s.runtime.podState(uid ?? ''), undefined, 'the runtime forgot the pod');
  t.equal(s.host.agents.get('node-1')?.ips.size, 0, 'its address is free again');
});

t.test('a pod that vanished from the API (force delete) is stopped and forgotten', async (t) => {
  const s = await setup(t);
  const pod = await runPod(s, podObject('web'));
  s.pods.delete(pod);
  await pollUntil('forgotten', () => s.runtime.podState(pod.metadata.uid ?? '') === undefined);
  t.equal(s.client.callsOf('delete', 'pods').length, 0, 'nothing to delete in the API');
});

t.test('a pod already Succeeded or Failed is not started again', async (t) => {
  const s = await setup(t);
  const done = s.client.seed(Resources.pods, podObject('done', 'node-1', { status: { phase: 'Succeeded' } }));
  await s.host.syncPod('default/done');
  s.pods.add(done);
  await s.host.syncPod('default/done');
  t.equal(s.runtime.podState(done.metadata.uid ?? ''), undefined);
  t.equal(s.client.callsOf('updateStatus').length, 0);
});

t.test('pods of other nodes are not ours', async (t) => {
  const s = await setup(t);
  s.pods.add(s.client.seed(Resources.pods, podObject('elsewhere', 'node-9')));
  await s.host.syncPod('default/elsewhere');
  t.equal(s.runtime.pods().length, 0);
});

t.test('a restarted agent adopts its running simulated pods without writing', async (t) => {
  const first = await setup(t);
  await runPod(first, podObject('web'));
  await first.host.stop(0);
  const pod = await first.client.get(Resources.pods, 'web', 'default');
  const client = new RecordingApiClient();
  client.seed(Resources.pods, pod);
  const second = await setup(t, [nodeConfig('node-1')], client);
  second.pods.add(await client.get(Resources.pods, 'web', 'default'));
  await second.host.syncPod('default/web');
  t.equal(second.runtime.podState(pod.metadata.uid ?? '')?.containers[0]?.state.kind, 'running');
  t.equal(client.callsOf('updateStatus').length, 0, 'the status the API holds is the one we compute');
});

t.test('one process with three nodes registers three Nodes and spreads their leases over the interval', async (t) => {
  const nodes = ['sim-1', 'sim-2', 'sim-3'].map((n, i) => nodeConfig(n, { podCIDR: `10.244.${i + 1}.0/24` }));
  const s = await setup(t, nodes);
  t.same(
    s.client.callsOf('create', 'nodes').map((c) => c.name),
    ['sim-1', 'sim-2', 'sim-3'],
  );
  s.clock.advance(0);
  await pollUntil('the first lease', () => s.client.callsOf('create', 'leases').length === 1);
  t.equal(s.client.callsOf('create', 'leases').length, 1, 'one node renews at a time');
  s.clock.advance(3333);
  await pollUntil('the second lease', () => s.client.callsOf('create', 'leases').length === 2);
  s.clock.advance(3333);
  await pollUntil('the third lease', () => s.client.callsOf('create', 'leases').length === 3);
  const pod = s.client.seed(Resources.pods, podObject('on-2', 'sim-2'));
  s.pods.add(pod);
  await pollUntil('the pod on sim-2 started', () => s.runtime.podState(pod.metadata.uid ?? ''));
  t.equal(s.runtime.podState(pod.metadata.uid ?? '')?.podIP, '10.244.2.2', 'its address comes from its own node');
});

t.test('a pod past its activeDeadlineSeconds fails with DeadlineExceeded and its containers stop', async (t) => {
  const s = await setup(t);
  const pod = podObject('deadline');
  (pod.spec as Json).activeDeadlineSeconds = 30;
  const seeded = await runPod(s, pod);
  s.clock.advance(29_000);
  await settle();
  t.equal(((await s.client.get(Resources.pods, 'deadline', 'default')).status as Json).phase, 'Running');
  s.clock.advance(1_000);
  await pollUntil('Failed', async () => ((await s.client.get(Resources.pods, 'deadline', 'default')).status as Json).phase === 'Failed');
  const failed = (await s.client.get(Resources.pods, 'deadline', 'default')).status as Json;
  t.equal(failed.reason, 'DeadlineExceeded');
  t.equal(failed.message, 'Pod was active on the node longer than the specified deadline');
  await pollUntil('the containers stopped', () => s.runtime.podState(seeded.metadata.uid ?? '')?.finished);
});

t.test('a Node shown not Ready (marked by the lifecycle controller) gets a status report at once', async (t) => {
  const clock = new FakeClock();
  const client = new RecordingApiClient();
  const nodes = new FakeInformer();
  const host = new AgentHost({
    client,
    clock,
    nodes: [nodeConfig('node-1')],
    runtime: createSimulatedRuntime({ clock }),
    podInformer: new FakeInformer(),
    nodeInformer: nodes,
    logger: pino({ level: 'silent' }),
  });
  t.teardown(() => host.stop(0));
  await host.start();
  const node = await client.get(Resources.nodes, 'node-1');
  nodes.add(node);
  t.equal(client.callsOf('patch', 'nodes').length, 0, 'a Ready node needs nothing');
  const unknown = {
    ...node,
    status: {
      ...(node.status as Json),
      conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', lastTransitionTime: '2026-01-01T00:00:00Z' }],
    },
  };
  nodes.update(client.seed(Resources.nodes, unknown));
  await pollUntil('the report', () => client.callsOf('patch', 'nodes').length === 1);
  const ready = ((await client.get(Resources.nodes, 'node-1')).status as Json).conditions.find((c: Json) => c.type === 'Ready');
  t.equal(ready.status, 'True');
});
