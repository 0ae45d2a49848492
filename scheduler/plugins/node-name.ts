import type { CycleState, FilterPlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { SUCCESS, type Status, unresolvable } from '../framework/status.js';

export const NODE_NAME = 'NodeName';
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

const REJECTED = unresolvable(NODE_NAME, ERR_REASON_NODE_NAME);

/**
 * NodeName: a pod that names its node (`spec.nodeName`) fits only that node. Pods the user
 * binds this way never reach the queue (they are assigned already); the scheduler counts them
 * in its cache, and this filter keeps any such pod that does reach a cycle honest.
 */
export class NodeName implements FilterPlugin {
  readonly name = NODE_NAME;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return pod.nodeName === '' || pod.nodeName === node.name ? SUCCESS : REJECTED;
  }
}
