import { DEFAULT_SCHEDULER_NAME } from './framework/pod-info.js';
import { type EnabledPlugin, type Profile, Registry } from './framework/profile.js';
import { BALANCED_ALLOCATION, BalancedAllocation } from './plugins/balanced-allocation.js';
import { NODE_AFFINITY, NodeAffinity } from './plugins/node-affinity.js';
import { NODE_NAME, NodeName } from './plugins/node-name.js';
import { NODE_READY, NodeReady } from './plugins/node-ready.js';
import { NODE_RESOURCES_FIT, NodeResourcesFit } from './plugins/node-resources-fit.js';
import { NODE_UNSCHEDULABLE, NodeUnschedulable } from './plugins/node-unschedulable.js';
import { OWNER_SPREAD, OwnerSpread } from './plugins/owner-spread.js';
import { TAINT_TOLERATION, TaintToleration } from './plugins/taint-toleration.js';

/** Every plugin picokube's scheduler has, by name. */
export function defaultRegistry(): Registry {
  return new Registry()
    .register(NODE_UNSCHEDULABLE, () => new NodeUnschedulable())
    .register(NODE_NAME, () => new NodeName())
    .register(TAINT_TOLERATION, () => new TaintToleration())
    .register(NODE_READY, () => new NodeReady())
    .register(NODE_AFFINITY, () => new NodeAffinity())
    .register(NODE_RESOURCES_FIT, () => new NodeResourcesFit())
    .register(OWNER_SPREAD, () => new OwnerSpread())
    .register(BALANCED_ALLOCATION, () => new BalancedAllocation());
}

/**
 * The default profile, in kube-scheduler's default plugin order (default_plugins.go) with its
 * score weights: TaintToleration 3, NodeAffinity 2, NodeResourcesFit 1, spreading 2 (upstream's
 * PodTopologySpread default constraints, here OwnerSpread), BalancedAllocation 1. Filters run in
 * this order and the first rejection decides a node's reason, so a tainted node reads as
 * "untolerated taint" even when it is also full.
 */
export const DEFAULT_PLUGINS: readonly EnabledPlugin[] = [
  { name: NODE_UNSCHEDULABLE },
  { name: NODE_NAME },
  { name: TAINT_TOLERATION, weight: 3 },
  { name: NODE_READY },
  { name: NODE_AFFINITY, weight: 2 },
  { name: NODE_RESOURCES_FIT, weight: 1 },
  { name: OWNER_SPREAD, weight: 2 },
  { name: BALANCED_ALLOCATION, weight: 1 },
];

export function defaultProfile(schedulerName: string = DEFAULT_SCHEDULER_NAME): Profile {
  return defaultRegistry().buildProfile(schedulerName, DEFAULT_PLUGINS);
}
