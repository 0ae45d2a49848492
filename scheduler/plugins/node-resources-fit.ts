import type { CycleState, FilterPlugin, ScorePlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { SUCCESS, type Status, unschedulable } from '../framework/status.js';
import { MAX_NODE_SCORE } from '../framework/types.js';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';

const TOO_MANY_PODS = unschedulable(NODE_RESOURCES_FIT, 'Too many pods');
const INSUFFICIENT_CPU = unschedulable(NODE_RESOURCES_FIT, 'Insufficient cpu');
const INSUFFICIENT_MEMORY = unschedulable(NODE_RESOURCES_FIT, 'Insufficient memory');

/**
 * The reasons a pod does not fit a node's free resources (noderesources.fitsRequest): one more
 * pod than `pods` allows; then, for each resource the pod requests, more than allocatable minus
 * what the node's pods already request. Empty when it fits.
 */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  const reasons: string[] = [];
  const req = pod.requests;
  if (node.podCount + 1 > node.allocatablePods) reasons.push('Too many pods');
  if (req.milliCpu > 0 && req.milliCpu > node.allocatableMilliCpu - node.requestedMilliCpu) reasons.push('Insufficient cpu');
  if (req.memory > 0 && req.memory > node.allocatableMemory - node.requestedMemory) reasons.push('Insufficient memory');
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > node.allocatableEphemeralStorage - node.requestedEphemeralStorage)
    reasons.push('Insufficient ephemeral-storage');
  if (req.scalars) {
    for (const [name, q] of req.scalars) {
      if (q > 0 && q > (node.allocatableScalars?.get(name) ?? 0) - (node.requestedScalars?.get(name) ?? 0)) reasons.push(`Insufficient ${name}`);
    }
  }
  return reasons;
}

/** insufficientResources(pod, node) is empty, without allocating: the hot path of every cycle. */
function fits(pod: PodInfo, node: NodeInfo): boolean {
  const req = pod.requests;
  if (node.podCount + 1 > node.allocatablePods) return false;
  if (req.milliCpu > 0 && req.milliCpu > node.allocatableMilliCpu - node.requestedMilliCpu) return false;
  if (req.memory > 0 && req.memory > node.allocatableMemory - node.requestedMemory) return false;
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > node.allocatableEphemeralStorage - node.requestedEphemeralStorage) return false;
  return req.scalars === undefined;
}

/** LeastAllocated for one resource: the free share after placing the pod, 0..100 (noderesources.leastRequestedScore). */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/**
 * NodeResourcesFit: Filter rejects a node without room for the pod's requests (Unschedulable:
 * preemption could free room); Score is LeastAllocated over CPU and memory with weight 1 each,
 * counting containers without requests as 100m / 200 MB, so emptier nodes rank higher.
 */
export class NodeResourcesFit implements FilterPlugin, ScorePlugin {
  readonly name = NODE_RESOURCES_FIT;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (fits(pod, node)) return SUCCESS;
    const reasons = insufficientResources(pod, node);
    if (reasons.length === 0) return SUCCESS;
    if (reasons.length === 1) {
      // The common single reasons share one status object each.
      switch (reasons[0]) {
        case 'Too many pods':
          return TOO_MANY_PODS;
        case 'Insufficient cpu':
          return INSUFFICIENT_CPU;
        case 'Insufficient memory':
          return INSUFFICIENT_MEMORY;
      }
    }
    return unschedulable(this.name, ...reasons);
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    let sum = 0;
    let weights = 0;
    if (node.allocatableMilliCpu > 0) {
      sum += leastRequestedScore(node.nonZeroMilliCpu + pod.nonZeroMilliCpu, node.allocatableMilliCpu);
      weights++;
    }
    if (node.allocatableMemory > 0) {
      sum += leastRequestedScore(node.nonZeroMemory + pod.nonZeroMemory, node.allocatableMemory);
      weights++;
    }
    return weights === 0 ? 0 : Math.trunc(sum / weights);
  }
}
