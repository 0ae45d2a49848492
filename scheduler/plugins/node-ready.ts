import type { CycleState, FilterPlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { SUCCESS, type Status, unresolvable } from '../framework/status.js';
import { type Taint, TaintKeys } from '../framework/types.js';
import { toleratesAny, untoleratedTaintReason } from './taint-toleration.js';

export const NODE_READY = 'NodeReady';

const NOT_READY: Taint = { key: TaintKeys.notReady, value: '', effect: 'NoSchedule' };
const UNREACHABLE: Taint = { key: TaintKeys.unreachable, value: '', effect: 'NoSchedule' };
const REJECT_NOT_READY = unresolvable(NODE_READY, untoleratedTaintReason(NOT_READY));
const REJECT_UNREACHABLE = unresolvable(NODE_READY, untoleratedTaintReason(UNREACHABLE));

/**
 * NodeReady: a node whose Ready condition is not True takes no new pods. Upstream gets this from
 * the node lifecycle controller, which taints such nodes `node.kubernetes.io/not-ready`
 * (Ready False or absent) or `node.kubernetes.io/unreachable` (Unknown) with NoSchedule, and
 * from TaintToleration. Here the filter acts as if that taint were present, whether or not a
 * controller has put it on yet: pods that tolerate it (DaemonSet pods) still fit, and the
 * reason reads as upstream's.
 */
export class NodeReady implements FilterPlugin {
  readonly name = NODE_READY;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (node.readyStatus === 'True') return SUCCESS;
    const unreachable = node.readyStatus === 'Unknown';
    if (toleratesAny(pod.tolerations, unreachable ? UNREACHABLE : NOT_READY)) return SUCCESS;
    return unreachable ? REJECT_UNREACHABLE : REJECT_NOT_READY;
  }
}
