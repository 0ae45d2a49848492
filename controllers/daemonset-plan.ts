import { CONTROLLER_REVISION_HASH_LABEL } from './controller-revision.js';
import type { NodeFit } from './daemonset-node-fit.js';
import { isPodAvailable, isPodReady } from './pod-utils.js';
import { byCreationTimestamp, isBeingDeleted } from './workload-fields.js';
import type { Pod } from './workload-types.js';

/**
 * The DaemonSet's decisions, pure (kube's pkg/controller/daemon: podsShouldBeOnNode,
 * rollingUpdate, updateDaemonSetStatus). Inputs are, per node, whether the daemon fits there and
 * the daemon pods targeting it; outputs are the nodes to create a pod on and the pods to delete.
 */

export interface NodePods {
  readonly node: string;
  /** False for a node that is gone but still has daemon pods: they are deleted, and not counted. */
  readonly exists: boolean;
  readonly fit: NodeFit;
  /** Daemon pods whose target node (nodeName, or the affinity's node) is this one. */
  readonly pods: readonly Pod[];
}

export interface NodeDecision {
  readonly create: boolean;
  readonly delete: Pod[];
  /** Failed pods found (an event each). */
  readonly failed: Pod[];
}

/**
 * Scheduled pods first, then the oldest, the name breaking ties (podByCreationTimestampAndPhase):
 * the pod a node keeps when it has several.
 */
export function oldestFirst(a: Pod, b: Pod): number {
  const sa = a.spec?.nodeName ? 0 : 1;
  const sb = b.spec?.nodeName ? 0 : 1;
  return sa - sb || byCreationTimestamp(a, b);
}

const hashOf = (pod: Pod): string | undefined => pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];

/** What the manage loop does on one node (podsShouldBeOnNode). */
export function decideNode(entry: NodePods, hash: string, allowSurge: boolean): NodeDecision {
  const { fit, pods } = entry;
  const del: Pod[] = [];
  const failed: Pod[] = [];
  if (fit.shouldRun && pods.length === 0) return { create: true, delete: del, failed };
  if (fit.shouldContinueRunning) {
    const running: Pod[] = [];
    for (const pod of pods) {
      if (isBeingDeleted(pod)) continue;
      const phase = pod.status?.phase;
      if (phase === 'Failed') {
        failed.push(pod);
        del.push(pod);
      } else if (phase === 'Succeeded') {
        del.push(pod);
      } else {
        running.push(pod);
      }
    }
    running.sort(oldestFirst);
    if (!allowSurge) {
      // One pod per node: keep the oldest.
      del.push(...running.slice(1));
    } else if (running.length > 1) {
      // While surging a node may hold one old and one new pod, and only while the new one is not ready but the old one is.
      let oldestNew: Pod | undefined;
      let oldestOld: Pod | undefined;
      for (const pod of running) {
        if (hashOf(pod) === hash) {
          if (!oldestNew) {
            oldestNew = pod;
            continue;
          }
        } else if (!oldestOld) {
          oldestOld = pod;
          continue;
        }
        del.push(pod);
      }
      if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodReady(oldestNew))) del.push(oldestOld);
    }
    return { create: false, delete: del, failed };
  }
  for (const pod of pods) if (!isBeingDeleted(pod)) del.push(pod);
  return { create: false, delete: del, failed };
}

/** The one new and one old (not terminating) pod on a node, or undefined when it has more of either (findUpdatedPodsOnNode). */
function updatedPodsOnNode(pods: readonly Pod[], hash: string): { newPod?: Pod; oldPod?: Pod } | undefined {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const pod of pods) {
    if (isBeingDeleted(pod)) continue;
    if (hashOf(pod) === hash) {
      if (newPod) return undefined;
      newPod = pod;
    } else {
      if (oldPod) return undefined;
      oldPod = pod;
    }
  }
  return { ...(newPod ? { newPod } : {}), ...(oldPod ? { oldPod } : {}) };
}

export interface RollingUpdateInput {
  /** Every node that wants the daemon or has daemon pods, in a stable order. */
  readonly nodes: readonly NodePods[];
  readonly hash: string;
  readonly maxUnavailable: number;
  readonly maxSurge: number;
  readonly minReadySeconds: number;
  readonly nowMs: number;
}

export interface RollingUpdatePlan {
  readonly deletePods: Pod[];
  readonly createOnNodes: string[];
}

/**
 * One step of a RollingUpdate. Without surge: an old pod that is unavailable is replaced at once;
 * available old pods are deleted only while fewer than maxUnavailable nodes are unavailable (a
 * node without a pod, or with a new pod not yet available, counts as unavailable). With surge:
 * a new pod is created next to an old one (at once when the old one is unavailable, else up to
 * maxSurge at a time), and the old one is deleted when the new one is available.
 */
export function planRollingUpdate(input: RollingUpdateInput): RollingUpdatePlan {
  const available = (p: Pod): boolean => isPodAvailable(p, input.minReadySeconds, input.nowMs);
  if (input.maxSurge === 0) {
    let numUnavailable = 0;
    const replace: Pod[] = [];
    const candidates: Pod[] = [];
    for (const entry of input.nodes) {
      const found = updatedPodsOnNode(entry.pods, input.hash);
      if (!found) {
        numUnavailable++;
        continue;
      }
      const { newPod, oldPod } = found;
      if ((!oldPod && !newPod) || (oldPod && newPod)) numUnavailable++;
      else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) replace.push(oldPod);
        else if (numUnavailable < input.maxUnavailable) candidates.push(oldPod);
      }
    }
    const room = Math.min(Math.max(0, input.maxUnavailable - numUnavailable), candidates.length);
    return { deletePods: [...replace, ...candidates.slice(0, room)], createOnNodes: [] };
  }
  const deletePods: Pod[] = [];
  const allowedNew: string[] = [];
  const candidateNew: string[] = [];
  let numSurge = 0;
  for (const entry of input.nodes) {
    const found = updatedPodsOnNode(entry.pods, input.hash);
    if (!found) {
      numSurge++;
      continue;
    }
    const { newPod, oldPod } = found;
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!entry.fit.shouldRun) deletePods.push(oldPod);
        else allowedNew.push(entry.node);
      } else if (numSurge < input.maxSurge) {
        candidateNew.push(entry.node);
      }
      continue;
    }
    if (!available(newPod)) numSurge++;
    else deletePods.push(oldPod);
  }
  const room = Math.min(Math.max(0, input.maxSurge - numSurge), candidateNew.length);
  return { deletePods, createOnNodes: [...allowedNew, ...candidateNew.slice(0, room)] };
}

export interface DaemonSetCounts {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  numberAvailable: number;
  numberUnavailable: number;
  updatedNumberScheduled: number;
}

/** The counts of the status, from the oldest pod on each node (updateDaemonSetStatus). */
export function countDaemonSet(nodes: readonly NodePods[], hash: string, minReadySeconds: number, nowMs: number): DaemonSetCounts {
  const c: DaemonSetCounts = {
    desiredNumberScheduled: 0,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    numberAvailable: 0,
    numberUnavailable: 0,
    updatedNumberScheduled: 0,
  };
  for (const entry of nodes) {
    if (!entry.exists) continue;
    // A finished pod already being deleted is on its way out and counts for nothing.
    const pods = entry.pods.filter((p) => !(isBeingDeleted(p) && (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')));
    const scheduled = pods.length > 0;
    if (!entry.fit.shouldRun) {
      if (scheduled) c.numberMisscheduled++;
      continue;
    }
    c.desiredNumberScheduled++;
    const pod = [...pods].sort(oldestFirst)[0];
    if (!pod) continue;
    c.currentNumberScheduled++;
    if (isPodReady(pod)) {
      c.numberReady++;
      if (isPodAvailable(pod, minReadySeconds, nowMs)) c.numberAvailable++;
    }
    if (hashOf(pod) === hash) c.updatedNumberScheduled++;
  }
  c.numberUnavailable = c.desiredNumberScheduled - c.numberAvailable;
  return c;
}
