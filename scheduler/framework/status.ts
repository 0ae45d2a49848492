/**
 * What a plugin answers at an extension point (kube-scheduler's framework.Status):
 * - `Success`: the pod may go on (the node passes this filter);
 * - `Unschedulable`: this node does not fit now, but may after a change preemption can bring
 *   (freeing resources);
 * - `UnschedulableAndUnresolvable`: this node does not fit and preemption cannot help
 *   (labels, taints, a cordon);
 * - `Error`: something went wrong (bad input); the pod is retried with backoff;
 * - `Skip`: from PreFilter/PreScore, the plugin has nothing to say about this pod and its
 *   Filter/Score is not run in this cycle.
 * `reasons` are the short texts counted in the "0/N nodes are available" message.
 */
export type Code = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error' | 'Skip';

export interface Status {
  readonly code: Code;
  readonly reasons: readonly string[];
  /** The plugin that answered, for logs and diagnosis. */
  readonly plugin: string;
}

/** The one shared Success: filters answer it without allocating. */
export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: Object.freeze([]) as readonly string[], plugin: '' });

/** The one shared Skip. */
export const SKIP: Status = Object.freeze({ code: 'Skip', reasons: Object.freeze([]) as readonly string[], plugin: '' });

export function unschedulable(plugin: string, ...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons, plugin };
}

export function unresolvable(plugin: string, ...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons, plugin };
}

export function errorStatus(plugin: string, message: string): Status {
  return { code: 'Error', reasons: [message], plugin };
}

export function isSuccess(s: Status): boolean {
  return s.code === 'Success';
}

/** A rejection of the pod (as opposed to Success, Skip or an Error). */
export function isRejected(s: Status): boolean {
  return s.code === 'Unschedulable' || s.code === 'UnschedulableAndUnresolvable';
}

/** The status as one message, reasons joined by ", " (framework.Status.Message). */
export function statusMessage(s: Status): string {
  return s.reasons.join(', ');
}
