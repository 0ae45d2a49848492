import type { NodeInfo } from './framework/node-info.js';
import type { PodInfo } from './framework/pod-info.js';
import { isSuccess, type Status } from './framework/status.js';

/** Why a pod failed to fit one node. */
export interface NodeFailure {
  readonly node: NodeInfo;
  readonly status: Status;
}

/** kube-scheduler's ErrNoNodesAvailable: the cluster has no nodes at all. */
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** Reasons counted over the nodes, as "<count> <reason>", sorted as Go's sort.Strings sorts them. */
export function reasonHistogram(reasons: Iterable<string>): string[] {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => `${n} ${r}`).sort(byCodeUnits);
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function* reasonsOf(failures: readonly NodeFailure[]): Iterable<string> {
  for (const f of failures) yield* f.status.reasons;
}

/**
 * FitError.Error() of kube-scheduler v1.32: "0/N nodes are available: " then either the
 * PreFilter message or the histogram of per-node reasons, a period, then the PostFilter
 * (preemption) message when there is one:
 * `0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu. preemption: 0/3 nodes are available: ...`
 */
export function fitErrorMessage(numAllNodes: number, failures: readonly NodeFailure[], preFilterMessage?: string, postFilterMessage?: string): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (preFilterMessage) {
    msg += ` ${preFilterMessage}.`;
  } else {
    const histogram = reasonHistogram(reasonsOf(failures));
    if (histogram.length > 0) msg += ` ${histogram.join(', ')}.`;
  }
  if (postFilterMessage) msg += ` ${postFilterMessage}`;
  return msg;
}

const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
const NO_VICTIMS = 'No preemption victims found for incoming pod';

/**
 * What DefaultPreemption (the PostFilter) says when it finds no way to make room, so the event
 * reads as upstream's. picokube does not evict victims: when removing the node's lower-priority
 * pods would make the pod fit somewhere, upstream would preempt and add no message, and so this
 * returns undefined (the pod stays Pending; see the report of the scheduler for this gap).
 * Per node: a rejection preemption cannot resolve → "Preemption is not helpful for scheduling";
 * no pod of lower priority on it → "No preemption victims found for incoming pod"; otherwise
 * the reasons it would still not fit with them gone. `refilter` runs the filters on a node.
 */
export function preemptionMessage(
  pod: PodInfo,
  numAllNodes: number,
  failures: readonly NodeFailure[],
  refilter: (node: NodeInfo) => Status,
): string | undefined {
  if (pod.preemptionPolicy === 'Never') return 'preemption: not eligible due to preemptionPolicy=Never.';
  const reasons: string[] = [];
  let examined = 0;
  for (const f of failures) {
    if (f.status.code !== 'Unschedulable') continue;
    examined++;
    let lower = 0;
    for (const p of f.node.pods.values()) if (p.priority < pod.priority) lower++;
    if (lower === 0) {
      reasons.push(NO_VICTIMS);
      continue;
    }
    const status = refilter(f.node.without((p) => p.priority < pod.priority));
    if (isSuccess(status)) return undefined;
    reasons.push(...status.reasons);
  }
  // Nodes preemption would not look at (unresolvable, or never evaluated) count as not helpful.
  for (let i = examined; i < numAllNodes; i++) reasons.push(NOT_HELPFUL);
  return `preemption: 0/${numAllNodes} nodes are available: ${reasonHistogram(reasons).join(', ')}.`;
}
