import type { KubeObject } from '../../kube/object.js';
import type { Taint, Toleration } from '../../kube/taints.js';

/**
 * The parts of core/v1 Pod and Node the scheduler reads, as they arrive in JSON. Every field is
 * optional and may be malformed on the wire: the parsers (pod-info.ts, node-info.ts) read them
 * defensively, so a bad object makes a pod unschedulable or a node unusable, never a crash.
 */

/** A `ResourceList`: resource name → quantity (`"100m"`, `"1Gi"`, or a JSON number). */
export type ResourceList = Readonly<Record<string, unknown>>;

/** The scheduler reads taints and tolerations as every other component does. */
export type { Taint, Toleration };

export interface NodeSelectorRequirement {
  readonly key: string;
  /** `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`. */
  readonly operator: string;
  readonly values?: readonly string[];
}

export interface NodeSelectorTerm {
  readonly matchExpressions?: readonly NodeSelectorRequirement[];
  readonly matchFields?: readonly NodeSelectorRequirement[];
}

export interface PreferredSchedulingTerm {
  readonly weight: number;
  readonly preference: NodeSelectorTerm;
}

export interface NodeAffinity {
  readonly requiredDuringSchedulingIgnoredDuringExecution?: { readonly nodeSelectorTerms?: readonly NodeSelectorTerm[] };
  readonly preferredDuringSchedulingIgnoredDuringExecution?: readonly PreferredSchedulingTerm[];
}

export interface PodSpec {
  readonly nodeName?: string;
  readonly schedulerName?: string;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly affinity?: { readonly nodeAffinity?: NodeAffinity };
  readonly tolerations?: readonly Toleration[];
  readonly containers?: readonly unknown[];
  readonly initContainers?: readonly unknown[];
  readonly overhead?: ResourceList;
  readonly priority?: number;
  readonly preemptionPolicy?: string;
  readonly schedulingGates?: readonly unknown[];
}

export interface PodCondition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastProbeTime?: string | null;
  readonly lastTransitionTime?: string | null;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: { readonly phase?: string; readonly conditions?: readonly PodCondition[]; readonly nominatedNodeName?: string };
}

export interface NodeCondition {
  readonly type: string;
  readonly status: string;
}

export interface Node extends KubeObject {
  spec?: { readonly unschedulable?: boolean; readonly taints?: readonly Taint[] };
  status?: { readonly allocatable?: ResourceList; readonly capacity?: ResourceList; readonly conditions?: readonly NodeCondition[] };
}

/** The label kube-scheduler's default spreading uses for zones. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** Well-known taints (k8s.io/api core/v1 well_known_taints.go). */
export const TaintKeys = {
  notReady: 'node.kubernetes.io/not-ready',
  unreachable: 'node.kubernetes.io/unreachable',
  unschedulable: 'node.kubernetes.io/unschedulable',
} as const;

/** The highest score a Score plugin may give a node after normalisation (framework.MaxNodeScore). */
export const MAX_NODE_SCORE = 100;
