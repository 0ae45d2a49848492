import { objectKey } from '../kube/client/resource.js';
import { annotationsOf, creationMs, findCondition, isBeingDeleted, parseTimeMs } from './workload-fields.js';
import type { ContainerStatus, Pod } from './workload-types.js';

/** Pod helpers the workload controllers share (kube's pkg/api/v1/pod and controller_utils.go). */

/** The cache key of a pod (`namespace/name`), what expectations track deletions by. */
export function podKey(pod: Pod): string {
  return objectKey(pod);
}

/** The pod's Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return findCondition(pod.status, 'Ready')?.status === 'True';
}

/** When the pod last became ready, or undefined when it is not ready (or the time is unknown). */
export function podReadyTimeMs(pod: Pod): number | undefined {
  const c = findCondition(pod.status, 'Ready');
  return c?.status === 'True' ? parseTimeMs(c.lastTransitionTime) : undefined;
}

/**
 * Ready for at least `minReadySeconds` by `nowMs` (kube's `IsPodAvailable`): with 0 every ready
 * pod is available; otherwise the Ready condition's transition must be strictly older.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = parseTimeMs(findCondition(pod.status, 'Ready')?.lastTransitionTime);
  return since !== undefined && since + minReadySeconds * 1000 < nowMs;
}

/** Not finished (Succeeded/Failed) and not being deleted: a pod that counts towards replicas. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !isBeingDeleted(pod);
}

export function activePods<T extends Pod>(pods: readonly T[]): T[] {
  return pods.filter(isPodActive);
}

function nodeNameOf(pod: Pod): string {
  const n = pod.spec?.nodeName;
  return typeof n === 'string' ? n : '';
}

const PHASE_ORDINAL: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

function phaseOrdinal(pod: Pod): number {
  return PHASE_ORDINAL[pod.status?.phase ?? ''] ?? 0;
}

/** `controller.kubernetes.io/pod-deletion-cost`: lower is deleted first; unset or unreadable is 0. */
export function podDeletionCost(pod: Pod): number {
  const v = annotationsOf(pod)['controller.kubernetes.io/pod-deletion-cost'];
  if (v === undefined) return 0;
  const n = Number(v);
  return Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}

function maxRestarts(statuses: readonly ContainerStatus[] | undefined): number {
  let max = 0;
  for (const s of statuses ?? []) if (typeof s.restartCount === 'number' && s.restartCount > max) max = s.restartCount;
  return max;
}

/**
 * Log-scale rank of an age (kube's LogarithmicScaleDown): pods whose ages are within a power of
 * two of each other rank equally, so a slightly newer pod is not always picked over an older one.
 * Upstream takes log2 of nanoseconds; so do we.
 */
function logRank(sinceMs: number, nowMs: number): number {
  const ageNs = (nowMs - sinceMs) * 1e6;
  return ageNs > 0 ? Math.floor(Math.log2(ageNs)) : -1;
}

/**
 * Orders two timestamps for deletion: a missing time first, then the later (newer) one first,
 * on a log scale of age. Returns <0 when `a` is to be deleted first, >0 for `b`, 0 for a tie.
 */
function newerFirst(a: number | undefined, b: number | undefined, nowMs: number, tieBreak: () => number): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const diff = logRank(a, nowMs) - logRank(b, nowMs);
  if (diff === 0) return tieBreak();
  return diff;
}

/**
 * The order in which a controller deletes pods on scale-down (kube's `ActivePodsWithRanks.Less`),
 * least valuable first:
 * 1. unassigned before assigned; 2. Pending before Unknown before Running; 3. not ready before
 * ready; 4. lower pod-deletion-cost first; 5. more related pods on the same node first (`rank`);
 * 6. ready for a shorter time first; 7. more container restarts first; 8. newer first.
 * Returns <0 when `a` goes first.
 */
export function compareForDeletion(a: Pod, rankA: number, b: Pod, rankB: number, nowMs: number): number {
  const na = nodeNameOf(a);
  const nb = nodeNameOf(b);
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  const pa = phaseOrdinal(a);
  const pb = phaseOrdinal(b);
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a);
  const rb = isPodReady(b);
  if (ra !== rb) return ra ? 1 : -1;
  const ca = podDeletionCost(a);
  const cb = podDeletionCost(b);
  if (ca !== cb) return ca - cb;
  if (rankA !== rankB) return rankB - rankA;
  const uidTie = (): number => {
    const ua = a.metadata.uid ?? '';
    const ub = b.metadata.uid ?? '';
    return ua < ub ? -1 : ua > ub ? 1 : 0;
  };
  if (ra && rb) {
    const byReady = newerFirst(podReadyTimeMs(a), podReadyTimeMs(b), nowMs, uidTie);
    if (byReady !== 0) return byReady;
  }
  const restartsA = maxRestarts(a.status?.containerStatuses);
  const restartsB = maxRestarts(b.status?.containerStatuses);
  if (restartsA !== restartsB) return restartsB - restartsA;
  const initA = maxRestarts(a.status?.initContainerStatuses);
  const initB = maxRestarts(b.status?.initContainerStatuses);
  if (initA !== initB) return initB - initA;
  return newerFirst(creationMs(a), creationMs(b), nowMs, uidTie);
}

/**
 * The `count` pods to delete from `pods`, least valuable first. `related` are the pods of the
 * same owner family (the ReplicaSets of one Deployment): a pod sharing its node with more of them
 * goes earlier, which spreads what stays (kube's getPodsRankedByRelatedPodsOnSameNode).
 */
export function podsToDelete<T extends Pod>(pods: readonly T[], related: readonly Pod[], count: number, nowMs: number): T[] {
  if (count >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const node = nodeNameOf(p);
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(nodeNameOf(pod)) ?? 0 }));
  ranked.sort((x, y) => compareForDeletion(x.pod, x.rank, y.pod, y.rank, nowMs));
  return ranked.slice(0, count).map((r) => r.pod);
}
