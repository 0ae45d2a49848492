import { isPlainObject, type KubeObject } from '../kube/object.js';
import type { NodeConfig } from './node-config.js';
import { hex64 } from './runtime/container-identity.js';
import { rfc3339 } from './time-format.js';

/**
 * The Node an agent registers and the status it keeps reporting (the kubelet's
 * initialNode + setNodeStatus of pkg/kubelet/nodestatus). Pure: time comes in as ms.
 */

export const KUBELET_VERSION = 'v1.32.0';

/** The labels every kubelet puts on its node, then the configured ones (which may override them). */
export function nodeLabels(cfg: NodeConfig): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': cfg.arch,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': cfg.arch,
    'kubernetes.io/hostname': cfg.name,
    'kubernetes.io/os': 'linux',
    ...cfg.labels,
  };
}

interface ConditionSpec {
  readonly type: string;
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

/** The four conditions a healthy kubelet reports. */
const HEALTHY: readonly ConditionSpec[] = [
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
];

/**
 * The node's conditions with `lastHeartbeatTime` now; a condition whose status is unchanged
 * from `previous` keeps its `lastTransitionTime` (so a node that was marked Unknown by the node
 * lifecycle controller and reports again shows the transition back to True now).
 */
export function nodeConditions(nowMs: number, previous?: unknown): Record<string, unknown>[] {
  const before = Array.isArray(previous) ? previous.filter(isPlainObject) : [];
  const now = rfc3339(nowMs);
  return HEALTHY.map((c) => {
    const old = before.find((b) => b.type === c.type);
    const lastTransitionTime = old && old.status === c.status && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : now;
    return { type: c.type, status: c.status, lastHeartbeatTime: now, lastTransitionTime, reason: c.reason, message: c.message };
  });
}

function resources(cfg: NodeConfig): Record<string, string> {
  return { cpu: cfg.cpu, 'ephemeral-storage': cfg.ephemeralStorage, 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: cfg.memory, pods: String(cfg.pods) };
}

/** The status the agent owns (everything but images and volumes, which it does not report). */
export function nodeStatus(cfg: NodeConfig, nowMs: number, previousConditions?: unknown): Record<string, unknown> {
  const id = hex64(cfg.name);
  return {
    capacity: resources(cfg),
    // kubelet subtracts system reservations and eviction thresholds; none are configured here.
    allocatable: resources(cfg),
    conditions: nodeConditions(nowMs, previousConditions),
    addresses: [
      { type: 'InternalIP', address: cfg.hostIP },
      { type: 'Hostname', address: cfg.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: cfg.port } },
    nodeInfo: {
      machineID: id.slice(0, 32),
      systemUUID: `${id.slice(32, 40)}-${id.slice(40, 44)}-${id.slice(44, 48)}-${id.slice(48, 52)}-${id.slice(52, 64)}`,
      bootID: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
      kernelVersion: cfg.kernelVersion,
      osImage: cfg.osImage,
      containerRuntimeVersion: `picokube://${cfg.runtime}`,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: cfg.arch,
    },
  };
}

/** The Node a new agent creates. */
export function buildNode(cfg: NodeConfig, nowMs: number): KubeObject {
  const spec: Record<string, unknown> = { podCIDR: cfg.podCIDR, podCIDRs: [cfg.podCIDR] };
  if (cfg.taints.length > 0) spec.taints = cfg.taints.map((t) => ({ ...t }));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: cfg.name, labels: nodeLabels(cfg), annotations: { 'node.alpha.kubernetes.io/ttl': '0' } },
    spec,
    status: nodeStatus(cfg, nowMs),
  };
}

/** The podCIDR a Node already has (an agent re-registering keeps it), if any. */
export function existingPodCidr(node: KubeObject): string | undefined {
  const spec = isPlainObject(node.spec) ? node.spec : {};
  return typeof spec.podCIDR === 'string' && spec.podCIDR !== '' ? spec.podCIDR : undefined;
}

/** The Lease `kube-node-lease/<node>` that is the node's heartbeat, owned by the Node. */
export function buildNodeLease(nodeName: string, nodeUid: string, leaseDurationSeconds: number, renewTime: string): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: 'kube-node-lease',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }],
    },
    spec: { holderIdentity: nodeName, leaseDurationSeconds, renewTime },
  };
}
