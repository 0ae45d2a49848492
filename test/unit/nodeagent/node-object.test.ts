import t from 'tap';
import { type NodeConfig, NodeConfigError, parseLabels, parseQuantity, parseTaints } from '../../../nodeagent/node-config.js';
import { buildNode, buildNodeLease, existingPodCidr, nodeConditions } from '../../../nodeagent/node-object.js';
import { nodeIndexFromName, PodIpAllocator, podCidrForIndex } from '../../../nodeagent/pod-network.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;

function config(extra: Partial<NodeConfig> = {}): NodeConfig {
  return {
    name: 'node-1',
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
    kernelVersion: '6.1.0',
    osImage: 'picokube',
    ...extra,
  };
}

t.test('a new node carries capacity, allocatable, labels, addresses, the agent endpoint and healthy conditions', async (t) => {
  const node = buildNode(config({ labels: { zone: 'a' } }), T0);
  const status = node.status as Json;
  t.same(status.capacity, { cpu: '4', 'ephemeral-storage': '100Gi', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '8Gi', pods: '110' });
  t.same(status.allocatable, status.capacity);
  t.same(node.metadata.labels, {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': 'node-1',
    'kubernetes.io/os': 'linux',
    zone: 'a',
  });
  t.same(status.addresses, [
    { type: 'InternalIP', address: '127.0.0.1' },
    { type: 'Hostname', address: 'node-1' },
  ]);
  t.same(status.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  t.equal(status.nodeInfo.kubeletVersion, 'v1.32.0');
  t.equal(status.nodeInfo.containerRuntimeVersion, 'picokube://simulated');
  t.same(
    status.conditions.map((c: Record<string, string>) => [c.type, c.status, c.reason]),
    [
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
      ['Ready', 'True', 'KubeletReady'],
    ],
  );
  t.equal(status.conditions[3].lastHeartbeatTime, '2026-01-01T12:00:00Z');
  t.same(node.spec, { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] });
  t.equal(existingPodCidr(node), '10.244.1.0/24');
});

t.test('taints from the flags are registered on the node spec', async (t) => {
  const node = buildNode(config({ taints: parseTaints('dedicated=gpu:NoSchedule,spot:PreferNoSchedule') }), T0);
  t.same((node.spec as Record<string, unknown>).taints, [
    { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
    { key: 'spot', effect: 'PreferNoSchedule' },
  ]);
});

t.test('a heartbeat moves lastHeartbeatTime and keeps lastTransitionTime while the status holds', async (t) => {
  const first = nodeConditions(T0);
  const later = nodeConditions(T0 + 60_000, first);
  const ready = later.find((c) => c.type === 'Ready');
  t.equal(ready?.lastHeartbeatTime, '2026-01-01T12:01:00Z');
  t.equal(ready?.lastTransitionTime, '2026-01-01T12:00:00Z');
  const fromUnknown = nodeConditions(T0 + 120_000, [{ type: 'Ready', status: 'Unknown', lastTransitionTime: '2026-01-01T12:00:30Z' }]);
  t.equal(fromUnknown.find((c) => c.type === 'Ready')?.lastTransitionTime, '2026-01-01T12:02:00Z', 'Unknown → True is a transition');
});

t.test('the node lease is held by the node and owned by it', async (t) => {
  const lease = buildNodeLease('node-1', 'uid-1', 40, '2026-01-01T12:00:00.000000Z');
  t.equal(lease.metadata.namespace, 'kube-node-lease');
  t.same(lease.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: 'uid-1' }]);
  t.same(lease.spec, { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2026-01-01T12:00:00.000000Z' });
});

t.test('flags: labels, taints and quantities are checked', async (t) => {
  t.same(parseLabels('a=1, example.com/b=x,c'), { a: '1', 'example.com/b': 'x', c: '' });
  t.throws(() => parseLabels('bad key=1'), NodeConfigError);
  t.throws(() => parseTaints('k=v:Sometimes'), /effect must be/);
  t.throws(() => parseTaints('k=v'), /expected key=value:Effect/);
  t.throws(() => parseTaints('k:NoSchedule,k=v:NoSchedule'), /given twice/);
  t.equal(parseQuantity('--memory', '8Gi'), '8Gi');
  t.equal(parseQuantity('--cpu', '500m'), '500m');
  t.throws(() => parseQuantity('--memory', '8 gigs'), /not a quantity/);
});

t.test('pod networks: a /24 per node from its number, addresses round-robin from .2', async (t) => {
  t.equal(nodeIndexFromName('node-3'), 3);
  t.equal(nodeIndexFromName('sim-0042'), 42);
  t.equal(nodeIndexFromName('worker'), nodeIndexFromName('worker'), 'a name without a number hashes stably');
  t.equal(podCidrForIndex(3), '10.244.3.0/24');
  t.equal(podCidrForIndex(256), '10.245.0.0/24');
  const ips = PodIpAllocator.forCidr('10.244.3.0/24');
  t.equal(ips.allocate('a'), '10.244.3.2');
  t.equal(ips.allocate('b'), '10.244.3.3');
  t.equal(ips.allocate('a'), '10.244.3.2', 'a pod keeps its address');
  ips.release('a');
  t.equal(ips.allocate('c'), '10.244.3.4', 'a freed address is not reused at once');
  t.equal(ips.allocate('d', '10.244.3.2'), '10.244.3.2', 'an adopted pod keeps the address the API shows');
  t.equal(ips.allocate('e', '10.244.3.3'), '10.244.3.5', 'a preferred address in use is not given twice');
  const full = PodIpAllocator.forCidr('10.244.9.0/24');
  let given = 0;
  for (let i = 0; i < 253; i++) if (full.allocate(`p${i}`)) given++;
  t.equal(given, 253, 'a /24 holds 253 pods');
  t.equal(full.allocate('one-too-many'), undefined, 'a full block gives nothing');
});
