import type { CycleState, FilterPlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { SUCCESS, type Status, unresolvable } from '../framework/status.js';
import { type Taint, TaintKeys } from '../framework/types.js';
import { toleratesAny } from './taint-toleration.js';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

const UNSCHEDULABLE_TAINT: Taint = { key: TaintKeys.unschedulable, value: '', effect: 'NoSchedule' };
const REJECTED = unresolvable(NODE_UNSCHEDULABLE, ERR_REASON_UNSCHEDULABLE);

/**
 * NodeUnschedulable: a cordoned node (`spec.unschedulable`) takes only pods that tolerate the
 * `node.kubernetes.io/unschedulable:NoSchedule` taint (DaemonSet pods do).
 */
export class NodeUnschedulable implements FilterPlugin {
  readonly name = NODE_UNSCHEDULABLE;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (!node.unschedulable || toleratesAny(pod.tolerations, UNSCHEDULABLE_TAINT)) return SUCCESS;
    return REJECTED;
  }
}
