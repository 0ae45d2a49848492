import type { KubeObject } from '../kube/object.js';

/**
 * The fields of pods and workloads the controllers read and write, typed over the plain JSON the
 * apiserver sends. Everything is optional: the cache holds whatever the apiserver stored, and a
 * controller must not crash on an object that lacks a field (read them through the helpers in
 * workload-fields.ts, which default as the apiserver's defaulting would).
 */

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A status condition (the union of the pod, ReplicaSet and Deployment condition shapes). */
export interface Condition {
  type: string;
  status: ConditionStatus | string;
  reason?: string;
  message?: string;
  /** RFC 3339. */
  lastTransitionTime?: string | null;
  /** RFC 3339; Deployment conditions only. */
  lastUpdateTime?: string | null;
  lastProbeTime?: string | null;
}

export interface PodTemplateSpec {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    [field: string]: unknown;
  };
  spec?: Record<string, unknown>;
}

export interface ContainerStatus {
  name?: string;
  restartCount?: number;
  ready?: boolean;
  [field: string]: unknown;
}

export interface Pod extends KubeObject {
  spec?: { nodeName?: string; restartPolicy?: string; [field: string]: unknown };
  status?: {
    phase?: string;
    conditions?: Condition[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    [field: string]: unknown;
  };
}

export interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  /** A metav1.LabelSelector for ReplicaSets, a plain label map for ReplicationControllers. */
  selector?: unknown;
  template?: PodTemplateSpec;
}

export interface ReplicaSetStatus {
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: Condition[];
}

/** A ReplicaSet or a ReplicationController: the same shape for everything the controller reads. */
export interface ReplicaSet extends KubeObject {
  spec?: ReplicaSetSpec;
  status?: ReplicaSetStatus;
}

export type IntOrString = number | string;

export interface DeploymentStrategy {
  type?: 'RollingUpdate' | 'Recreate' | string;
  rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString } | null;
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: unknown;
  template?: PodTemplateSpec;
  strategy?: DeploymentStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: Condition[];
  collisionCount?: number;
}

export interface Deployment extends KubeObject {
  spec?: DeploymentSpec;
  status?: DeploymentStatus;
}
