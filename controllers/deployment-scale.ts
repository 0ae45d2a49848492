import { DesiredReplicasAnnotation, MaxReplicasAnnotation } from './deployment-revision.js';
import { activeReplicaSets, bySizeNewer, bySizeOlder, isRollingUpdate, maxSurge, replicaCount } from './deployment-util.js';
import { annotationsOf, byCreationTimestamp, intOr, specReplicas, statusAvailableReplicas } from './workload-fields.js';
import type { Deployment, ReplicaSet } from './workload-types.js';

/**
 * Scaling a Deployment that is mid-rollout (kube's sync.go `scale`): the change in replicas is
 * shared among the active ReplicaSets in proportion to their size, so that `kubectl scale`
 * during a rollout neither restarts it nor breaks maxSurge/maxUnavailable. Pure: returns the
 * sizes to set; the controller writes them.
 */

export interface ScaleStep {
  readonly rs: ReplicaSet;
  readonly replicas: number;
  /**
   * Write even when the size is unchanged, to refresh the replicas annotations (proportional
   * scaling re-annotates every active ReplicaSet, as kube's scaleReplicaSet does).
   */
  readonly refreshAnnotations: boolean;
}

/**
 * The only active ReplicaSet, or the newest when none is active; undefined when several are
 * active (kube's FindActiveOrLatest).
 */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreationTimestamp(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

/** The new ReplicaSet runs the whole Deployment: sized for it, annotated for it, all available (kube's IsSaturated). */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = Number(annotationsOf(rs)[DesiredReplicasAnnotation]);
  if (!Number.isInteger(desired)) return false;
  const want = specReplicas(d);
  return specReplicas(rs) === want && desired === want && statusAvailableReplicas(rs) === want;
}

/**
 * What share of the new total a ReplicaSet should get, as a change to its size (kube's
 * getReplicaSetFraction): its size scaled by (new max total / the max total it was sized for,
 * from its `max-replicas` annotation, or the Deployment's current replicas without one).
 */
function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  const want = specReplicas(d);
  if (want === 0) return -specReplicas(rs);
  const deploymentReplicas = want + maxSurge(d);
  const annotated = Number(annotationsOf(rs)[MaxReplicasAnnotation]);
  const sizedFor = Number.isInteger(annotated) && annotated > 0 ? annotated : intOr(d.status?.replicas, 0);
  if (sizedFor === 0) return 0;
  // Go's integer.RoundToInt32 rounds half away from zero.
  const scaled = (specReplicas(rs) * deploymentReplicas) / sizedFor;
  return Math.sign(scaled) * Math.round(Math.abs(scaled)) - specReplicas(rs);
}

/** kube's GetProportion: the fraction, bounded by what is left to add (or remove). */
function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * The sizes to set so the ReplicaSets match `spec.replicas` (kube's `scale`):
 * - one active (or no active) ReplicaSet: it gets all replicas;
 * - the new ReplicaSet saturated: every old one goes to 0;
 * - a rolling update with several active: the difference between replicas + maxSurge and what
 *   they have now is shared proportionally, larger ReplicaSets first (newer first when scaling
 *   up, older first when scaling down), leftovers to the first.
 */
export function planScale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ScaleStep[] {
  const want = specReplicas(d);
  const single = findActiveOrLatest(newRS, oldRSs);
  if (single) return specReplicas(single) === want ? [] : [{ rs: single, replicas: want, refreshAnnotations: false }];
  if (isSaturated(d, newRS)) return activeReplicaSets(oldRSs).map((rs) => ({ rs, replicas: 0, refreshAnnotations: false }));
  if (!isRollingUpdate(d)) return [];
  const all = activeReplicaSets([...oldRSs, newRS]);
  const allowed = want > 0 ? want + maxSurge(d) : 0;
  const toAdd = allowed - replicaCount(all);
  if (toAdd > 0) all.sort(bySizeNewer);
  else if (toAdd < 0) all.sort(bySizeOlder);
  let added = 0;
  const sizes = all.map((rs) => {
    if (toAdd === 0) return specReplicas(rs);
    const p = proportion(rs, d, toAdd, added);
    added += p;
    return specReplicas(rs) + p;
  });
  if (toAdd !== 0 && sizes.length > 0) sizes[0] = Math.max(0, (sizes[0] ?? 0) + toAdd - added);
  return all.map((rs, i) => ({ rs, replicas: sizes[i] ?? specReplicas(rs), refreshAnnotations: true }));
}
