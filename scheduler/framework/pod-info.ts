import { isPlainObject } from '../../kube/object.js';
import { computePodRequests, type ResourceVector } from './resources.js';
import type { Pod } from './types.js';

/** A toleration with its defaults filled in (operator `Equal`, empty strings for absent fields). */
export interface NormalizedToleration {
  readonly key: string;
  readonly operator: string;
  readonly value: string;
  readonly effect: string;
}

/**
 * A pod as the scheduler works with it: parsed once when it enters the queue or the cache, so
 * that a scheduling cycle over a thousand nodes never re-reads the pod's JSON. Immutable; a new
 * PodInfo replaces the old one when the pod changes.
 */
export interface PodInfo {
  readonly pod: Pod;
  /** `namespace/name`, the cache and queue key. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** `spec.nodeName`, '' while unassigned. */
  readonly nodeName: string;
  /** `spec.schedulerName`, `default-scheduler` when absent (the apiserver's default). */
  readonly schedulerName: string;
  /** `spec.priority` (set by the Priority admission plugin), 0 when absent. */
  readonly priority: number;
  /** `spec.preemptionPolicy`; `Never` pods may not preempt. */
  readonly preemptionPolicy: string;
  readonly requests: ResourceVector;
  /** CPU/memory for scoring, with 100m / 200 MB for containers that request none. */
  readonly nonZeroMilliCpu: number;
  readonly nonZeroMemory: number;
  readonly tolerations: readonly NormalizedToleration[];
  /**
   * Pods with the same key are spread across nodes: the controller's uid for pods with a
   * controller ownerReference, the namespace and labels for bare pods with labels; undefined
   * for bare pods without labels (nothing to spread against).
   */
  readonly spreadKey: string | undefined;
  /** Has a deletionTimestamp. */
  readonly terminating: boolean;
  /** Phase Succeeded or Failed: holds no resources any more. */
  readonly terminal: boolean;
  /** Has scheduling gates: not to be scheduled until they are removed. */
  readonly gated: boolean;
}

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function normalizeTolerations(v: unknown): NormalizedToleration[] {
  if (!Array.isArray(v)) return [];
  const out: NormalizedToleration[] = [];
  for (const t of v) {
    if (!isPlainObject(t)) continue;
    out.push({ key: str(t.key), operator: str(t.operator) || 'Equal', value: str(t.value), effect: str(t.effect) });
  }
  return out;
}

function spreadKeyOf(pod: Pod, namespace: string): string | undefined {
  const owners = pod.metadata.ownerReferences;
  if (Array.isArray(owners)) {
    for (const o of owners) {
      if (isPlainObject(o) && o.controller === true && typeof o.uid === 'string' && o.uid !== '') return `owner:${o.uid}`;
    }
  }
  const labels = pod.metadata.labels;
  if (!isPlainObject(labels)) return undefined;
  const pairs = Object.entries(labels)
    .filter(([, v]) => typeof v === 'string')
    .map(([k, v]) => `${k}=${String(v)}`)
    .sort();
  return pairs.length > 0 ? `labels:${namespace}/${pairs.join(',')}` : undefined;
}

/** Parse a pod. Never throws: malformed fields read as absent. */
export function newPodInfo(pod: Pod): PodInfo {
  const meta = isPlainObject(pod.metadata) ? pod.metadata : {};
  const namespace = str(meta.namespace);
  const name = str(meta.name);
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const status = isPlainObject(pod.status) ? pod.status : {};
  const { requests, nonZeroMilliCpu, nonZeroMemory } = computePodRequests(spec);
  const priority = typeof spec.priority === 'number' && Number.isFinite(spec.priority) ? spec.priority : 0;
  const phase = str(status.phase);
  return {
    pod,
    key: namespace ? `${namespace}/${name}` : name,
    namespace,
    name,
    uid: str(meta.uid),
    nodeName: str(spec.nodeName),
    schedulerName: str(spec.schedulerName) || DEFAULT_SCHEDULER_NAME,
    priority,
    preemptionPolicy: str(spec.preemptionPolicy) || 'PreemptLowerPriority',
    requests,
    nonZeroMilliCpu,
    nonZeroMemory,
    tolerations: normalizeTolerations(spec.tolerations),
    spreadKey: spreadKeyOf({ ...pod, metadata: meta }, namespace),
    terminating: meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null,
    terminal: phase === 'Succeeded' || phase === 'Failed',
    gated: Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0,
  };
}
