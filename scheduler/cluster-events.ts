import { isPlainObject } from '../kube/object.js';
import type { Node } from './framework/types.js';

/**
 * Whether a node update may let a parked pod fit (kube-scheduler's node update events
 * UpdateNodeAllocatable/Label/Taint/Condition and the cordon): allocatable, labels, taints,
 * `spec.unschedulable` or the Ready status changed. Heartbeat-only updates (timestamps in
 * conditions) are not such a change, so they do not churn the queue.
 */
export function nodeSchedulingPropertiesChanged(oldNode: Node, newNode: Node): boolean {
  return schedulingSignature(oldNode) !== schedulingSignature(newNode);
}

function schedulingSignature(node: Node): string {
  const spec = isPlainObject(node.spec) ? node.spec : {};
  const status = isPlainObject(node.status) ? node.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  const ready = conditions.find((c) => isPlainObject(c) && c.type === 'Ready') as { status?: unknown } | undefined;
  return JSON.stringify([
    spec.unschedulable ?? false,
    spec.taints ?? [],
    node.metadata.labels ?? {},
    status.allocatable ?? status.capacity ?? {},
    ready?.status ?? '',
  ]);
}
