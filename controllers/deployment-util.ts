import { scaledValueFromIntOrPercent } from './int-or-percent.js';
import { byCreationTimestamp, intOr, isBeingDeleted, specReplicas, statusAvailableReplicas, statusReadyReplicas, statusReplicas } from './workload-fields.js';
import type { Deployment, ReplicaSet } from './workload-types.js';

/**
 * Deployment arithmetic shared by the rollout strategies and the status (kube's
 * pkg/controller/deployment/util/deployment_util.go): the fenceposts maxSurge and
 * maxUnavailable, replica sums over ReplicaSets, and the orders ReplicaSets are visited in.
 */

/** `progressDeadlineSeconds` at this value means "no deadline" (kube's math.MaxInt32). */
const NO_DEADLINE = 2 ** 31 - 1;

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function isRecreate(d: Deployment): boolean {
  return d.spec?.strategy?.type === 'Recreate';
}

/**
 * maxSurge (rounded up) and maxUnavailable (rounded down) of `desired` (kube's
 * ResolveFenceposts). Both 0 would stall a rollout, so maxUnavailable becomes 1 then.
 */
export function resolveFenceposts(d: Deployment, desired: number): { surge: number; unavailable: number } {
  const rolling = d.spec?.strategy?.rollingUpdate ?? {};
  let surge = scaledValueFromIntOrPercent(rolling.maxSurge ?? '25%', desired, true) ?? 0;
  let unavailable = scaledValueFromIntOrPercent(rolling.maxUnavailable ?? '25%', desired, false) ?? 0;
  surge = Math.max(0, surge);
  unavailable = Math.max(0, unavailable);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** How many pods above `spec.replicas` a rolling update may run; 0 for Recreate. */
export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  return resolveFenceposts(d, specReplicas(d)).surge;
}

/** How many of `spec.replicas` may be unavailable during a rolling update; 0 for Recreate. */
export function maxUnavailable(d: Deployment): number {
  const replicas = specReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  return Math.min(resolveFenceposts(d, replicas).unavailable, replicas);
}

export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return typeof s === 'number' && s !== NO_DEADLINE;
}

export function progressDeadlineSeconds(d: Deployment): number {
  return intOr(d.spec?.progressDeadlineSeconds, 600);
}

export function isPaused(d: Deployment): boolean {
  return d.spec?.paused === true;
}

/** `revisionHistoryLimit` when set (apps/v1 defaults it to 10), else undefined: keep everything. */
export function revisionHistoryLimit(d: Deployment): number | undefined {
  const v = d.spec?.revisionHistoryLimit;
  return typeof v === 'number' && Number.isInteger(v) ? Math.max(0, v) : undefined;
}

/** ReplicaSets that want pods (`spec.replicas > 0`). */
export function activeReplicaSets(rss: readonly (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => rs !== undefined && specReplicas(rs) > 0);
}

/** Sum of `spec.replicas`: the pods the ReplicaSets were asked for. */
export function replicaCount(rss: readonly (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) if (rs) n += specReplicas(rs);
  return n;
}

/** Sum of `status.replicas`: the pods the ReplicaSets have. */
export function actualReplicaCount(rss: readonly (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) if (rs) n += statusReplicas(rs);
  return n;
}

export function readyReplicaCount(rss: readonly (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) if (rs) n += statusReadyReplicas(rs);
  return n;
}

export function availableReplicaCount(rss: readonly (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) if (rs) n += statusAvailableReplicas(rs);
  return n;
}

/** Larger first; for equal sizes, the older first (the order to scale down in). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  const d = specReplicas(b) - specReplicas(a);
  return d !== 0 ? d : byCreationTimestamp(a, b);
}

/** Larger first; for equal sizes, the newer first (the order to scale up in). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  const d = specReplicas(b) - specReplicas(a);
  return d !== 0 ? d : byCreationTimestamp(b, a);
}

export function notBeingDeleted(rs: ReplicaSet): boolean {
  return !isBeingDeleted(rs);
}
