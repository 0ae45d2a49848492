import type { RolloutOps } from './deployment-rollout-ops.js';
import { deploymentComplete } from './deployment-status.js';
import { activeReplicaSets, availableReplicaCount, maxSurge, maxUnavailable, replicaCount } from './deployment-util.js';
import { byCreationTimestamp, specReplicas, statusAvailableReplicas } from './workload-fields.js';
import type { Deployment, ReplicaSet } from './workload-types.js';

/**
 * The RollingUpdate strategy (kube's deployment rolling.go): each sync makes one move, scale the
 * new ReplicaSet up within maxSurge, or else scale old ones down within maxUnavailable, then
 * reports status. The next move happens when pods change and the Deployment is synced again.
 */

/**
 * The size the new ReplicaSet may grow to now (kube's NewRSNewReplicas): with RollingUpdate, up
 * to replicas + maxSurge pods in all, never beyond replicas for the new one; with Recreate, all.
 */
export function newRSNewReplicas(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): number {
  const want = specReplicas(d);
  if (d.spec?.strategy?.type === 'Recreate') return want;
  const current = replicaCount(allRSs);
  const maxTotal = want + maxSurge(d);
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, want - specReplicas(newRS));
  return specReplicas(newRS) + up;
}

export async function rolloutRolling(ops: RolloutOps, d: Deployment, rsList: readonly ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await ops.getAllReplicaSetsAndSyncRevision(d, rsList, true);
  if (!newRS) throw new Error(`deployment ${d.metadata.name ?? ''}: no new ReplicaSet`);
  const allRSs = [...oldRSs, newRS];
  if (await reconcileNewReplicaSet(ops, allRSs, newRS, d)) return ops.syncRolloutStatus(allRSs, newRS, d);
  if (await reconcileOldReplicaSets(ops, allRSs, activeReplicaSets(oldRSs), newRS, d)) return ops.syncRolloutStatus(allRSs, newRS, d);
  if (deploymentComplete(d, d.status ?? {})) await ops.cleanupDeployment(oldRSs, d);
  return ops.syncRolloutStatus(allRSs, newRS, d);
}

async function reconcileNewReplicaSet(ops: RolloutOps, allRSs: readonly ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<boolean> {
  const want = specReplicas(d);
  if (specReplicas(newRS) === want) return false;
  if (specReplicas(newRS) > want) return (await ops.scaleReplicaSetAndRecordEvent(newRS, want, d)).scaled;
  return (await ops.scaleReplicaSetAndRecordEvent(newRS, newRSNewReplicas(d, allRSs, newRS), d)).scaled;
}

/**
 * Scale old ReplicaSets down as far as availability allows (kube's reconcileOldReplicaSets):
 * at most (all pods − (replicas − maxUnavailable) − the new ReplicaSet's unavailable pods);
 * unhealthy old pods go first, since removing them costs no availability.
 */
async function reconcileOldReplicaSets(
  ops: RolloutOps,
  allRSs: readonly ReplicaSet[],
  oldRSs: ReplicaSet[],
  newRS: ReplicaSet,
  d: Deployment,
): Promise<boolean> {
  if (replicaCount(oldRSs) === 0) return false;
  const minAvailable = specReplicas(d) - maxUnavailable(d);
  const newUnavailable = specReplicas(newRS) - statusAvailableReplicas(newRS);
  const maxScaledDown = replicaCount(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const cleaned = await cleanupUnhealthyReplicas(ops, oldRSs, d, maxScaledDown);
  const scaledDown = await scaleDownOldReplicaSetsForRollingUpdate(ops, [...cleaned.oldRSs, newRS], cleaned.oldRSs, d);
  return cleaned.count + scaledDown > 0;
}

/** Old ReplicaSets lose their unavailable pods first, oldest ReplicaSet first, up to `maxCleanup`. */
async function cleanupUnhealthyReplicas(
  ops: RolloutOps,
  oldRSs: ReplicaSet[],
  d: Deployment,
  maxCleanup: number,
): Promise<{ oldRSs: ReplicaSet[]; count: number }> {
  const sorted = [...oldRSs].sort(byCreationTimestamp);
  let total = 0;
  for (let i = 0; i < sorted.length; i++) {
    const rs = sorted[i];
    if (!rs || total >= maxCleanup) break;
    const replicas = specReplicas(rs);
    if (replicas === 0 || replicas === statusAvailableReplicas(rs)) continue;
    const down = Math.min(maxCleanup - total, replicas - statusAvailableReplicas(rs));
    if (down <= 0) continue;
    const { rs: updated } = await ops.scaleReplicaSetAndRecordEvent(rs, replicas - down, d);
    sorted[i] = updated;
    total += down;
  }
  return { oldRSs: sorted, count: total };
}

/** Old ReplicaSets scaled down, oldest first, by as many pods as are available above the minimum. */
async function scaleDownOldReplicaSetsForRollingUpdate(
  ops: RolloutOps,
  allRSs: readonly ReplicaSet[],
  oldRSs: readonly ReplicaSet[],
  d: Deployment,
): Promise<number> {
  const minAvailable = specReplicas(d) - maxUnavailable(d);
  const available = availableReplicaCount(allRSs);
  if (available <= minAvailable) return 0;
  const totalDown = available - minAvailable;
  let done = 0;
  for (const rs of [...oldRSs].sort(byCreationTimestamp)) {
    if (done >= totalDown) break;
    const replicas = specReplicas(rs);
    if (replicas === 0) continue;
    const down = Math.min(replicas, totalDown - done);
    await ops.scaleReplicaSetAndRecordEvent(rs, replicas - down, d);
    done += down;
  }
  return done;
}
