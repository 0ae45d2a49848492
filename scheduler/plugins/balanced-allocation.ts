import type { CycleState, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { SKIP, SUCCESS, type Status } from '../framework/status.js';
import { MAX_NODE_SCORE } from '../framework/types.js';

export const BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';

/**
 * The balance of a node's CPU and memory use after placing a pod (balancedResourceScorer): each
 * resource's requested/allocatable fraction (capped at 1, resources with no allocatable left
 * out), and 100 × (1 − their standard deviation). For two resources that is |f1 − f2| / 2.
 */
export function balancedScore(fractions: readonly number[]): number {
  let std = 0;
  if (fractions.length === 2) {
    std = Math.abs(((fractions[0] ?? 0) - (fractions[1] ?? 0)) / 2);
  } else if (fractions.length > 2) {
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) * (f - mean), 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

/**
 * NodeResourcesBalancedAllocation: prefers nodes whose CPU and memory would be used in equal
 * shares, counting real requests. Pods that request neither are not scored by it (upstream
 * skips best-effort pods, which would otherwise all pile onto one node).
 */
export class BalancedAllocation implements PreScorePlugin, ScorePlugin {
  readonly name = BALANCED_ALLOCATION;

  preScore(_state: CycleState, pod: PodInfo): Status {
    return pod.requests.milliCpu === 0 && pod.requests.memory === 0 ? SKIP : SUCCESS;
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    // Two resources: the standard deviation is half their difference (no array per node).
    if (node.allocatableMilliCpu <= 0 || node.allocatableMemory <= 0) return MAX_NODE_SCORE;
    const cpu = Math.min(1, (node.requestedMilliCpu + pod.requests.milliCpu) / node.allocatableMilliCpu);
    const memory = Math.min(1, (node.requestedMemory + pod.requests.memory) / node.allocatableMemory);
    return Math.trunc((1 - Math.abs((cpu - memory) / 2)) * MAX_NODE_SCORE);
  }
}
