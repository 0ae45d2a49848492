import { NodeInfo } from '../../../scheduler/framework/node-info.js';
import { newPodInfo, type PodInfo } from '../../../scheduler/framework/pod-info.js';
import type { Node, NodeAffinity, Pod, Taint, Toleration } from '../../../scheduler/framework/types.js';

/** Builders for the scheduler's unit tests: small, readable pods and nodes. */

export interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  /** The Ready condition's status; null for no condition at all. */
  ready?: string | null;
  extra?: Record<string, string>;
}

export function makeNode(name: string, s: NodeSpec = {}): Node {
  const allocatable: Record<string, string> = { cpu: s.cpu ?? '4', memory: s.memory ?? '8Gi', pods: s.pods ?? '110', ...s.extra };
  const ready = s.ready === undefined ? 'True' : s.ready;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, labels: { 'kubernetes.io/hostname': name, ...s.labels } },
    spec: { ...(s.taints ? { taints: s.taints } : {}), ...(s.unschedulable ? { unschedulable: true } : {}) },
    status: { allocatable, capacity: allocatable, conditions: ready === null ? [] : [{ type: 'Ready', status: ready }] },
  };
}

export interface PodSpecInput {
  cpu?: string;
  memory?: string;
  namespace?: string;
  labels?: Record<string, string>;
  /** A controller ownerReference with this uid. */
  owner?: string;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  nodeAffinity?: NodeAffinity;
  tolerations?: Toleration[];
  priority?: number;
  preemptionPolicy?: string;
  schedulerName?: string;
  phase?: string;
  gates?: string[];
  extra?: Record<string, string>;
}

export function makePod(name: string, s: PodSpecInput = {}): Pod {
  const requests: Record<string, string> = { ...(s.cpu ? { cpu: s.cpu } : {}), ...(s.memory ? { memory: s.memory } : {}), ...s.extra };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: s.namespace ?? 'default',
      uid: `uid-${name}`,
      ...(s.labels ? { labels: s.labels } : {}),
      ...(s.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: s.owner, uid: s.owner, controller: true }] } : {}),
    },
    spec: {
      containers: [{ name: 'main', image: 'pause', ...(Object.keys(requests).length > 0 ? { resources: { requests } } : {}) }],
      ...(s.nodeName ? { nodeName: s.nodeName } : {}),
      ...(s.nodeSelector ? { nodeSelector: s.nodeSelector } : {}),
      ...(s.nodeAffinity ? { affinity: { nodeAffinity: s.nodeAffinity } } : {}),
      ...(s.tolerations ? { tolerations: s.tolerations } : {}),
      ...(s.priority !== undefined ? { priority: s.priority } : {}),
      ...(s.preemptionPolicy ? { preemptionPolicy: s.preemptionPolicy } : {}),
      schedulerName: s.schedulerName ?? 'default-scheduler',
      ...(s.gates ? { schedulingGates: s.gates.map((g) => ({ name: g })) } : {}),
    },
    status: { phase: s.phase ?? 'Pending' },
  };
}

export function podInfo(name: string, s: PodSpecInput = {}): PodInfo {
  return newPodInfo(makePod(name, s));
}

/** A NodeInfo for a node, with pods already counted on it. */
export function nodeInfo(name: string, s: NodeSpec = {}, pods: Pod[] = []): NodeInfo {
  const info = new NodeInfo(name);
  info.setNode(makeNode(name, s));
  for (const p of pods) info.addPod(newPodInfo({ ...p, spec: { ...p.spec, nodeName: name } }));
  return info;
}
