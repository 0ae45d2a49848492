import type { OwnerReference } from '../../../kube/object.js';
import type { Deployment, DeploymentStrategy, Pod, ReplicaSet } from '../../../controllers/workload-types.js';

/** Small builders for the objects controller tests feed their fakes. */

export const NS = 'default';

export function replicaSet(name: string, replicas: number, labels: Record<string, string> = { app: name }, extra: Partial<ReplicaSet> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS, uid: `uid-${name}`, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
    status: { replicas: 0 },
    ...extra,
  };
}

export function replicationController(name: string, replicas: number, labels: Record<string, string> = { app: name }): ReplicaSet {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name, namespace: NS, uid: `uid-${name}`, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { replicas, selector: labels, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    status: { replicas: 0 },
  };
}

export interface PodOptions {
  owner?: OwnerReference;
  node?: string;
  phase?: string;
  ready?: boolean;
  /** RFC 3339 of the Ready transition. */
  readySince?: string;
  created?: string;
  restarts?: number;
  deleting?: boolean;
  uid?: string;
}

export function pod(name: string, labels: Record<string, string>, o: PodOptions = {}): Pod {
  const ready = o.ready ?? o.phase === 'Running';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      uid: o.uid ?? `uid-${name}`,
      labels,
      creationTimestamp: o.created ?? '2026-01-01T00:00:00Z',
      ...(o.owner ? { ownerReferences: [o.owner] } : {}),
      ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Pending',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: o.readySince ?? '2026-01-01T00:00:00Z' }],
      containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0, ready }],
    },
  };
}

export function ownerRef(kind: string, name: string, uid = `uid-${name}`, apiVersion = 'apps/v1'): OwnerReference {
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

export function deployment(
  name: string,
  replicas: number,
  extra: {
    image?: string;
    strategy?: DeploymentStrategy;
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
  } = {},
): Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, uid: `uid-${name}`, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: extra.image ?? 'nginx:1' }] } },
      strategy: extra.strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: extra.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: extra.progressDeadlineSeconds ?? 600,
      ...(extra.minReadySeconds !== undefined ? { minReadySeconds: extra.minReadySeconds } : {}),
      ...(extra.paused !== undefined ? { paused: extra.paused } : {}),
    },
    status: {},
  };
}
