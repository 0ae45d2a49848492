import type { RolloutOps } from './deployment-rollout-ops.js';
import { deploymentComplete } from './deployment-status.js';
import { activeReplicaSets, actualReplicaCount } from './deployment-util.js';
import { specReplicas } from './workload-fields.js';
import type { Deployment, Pod, ReplicaSet } from './workload-types.js';

/**
 * The Recreate strategy (kube's deployment recreate.go): scale every old ReplicaSet to 0, wait
 * until none of their pods runs any more, and only then create (or scale up) the new one, so
 * old and new pods never run side by side.
 */

/**
 * Whether pods of the old ReplicaSets may still be running: an old ReplicaSet still reports
 * pods, or a pod of one (by owner uid in `podsByRS`) is not in a terminal phase. Unknown counts as
 * running: a node cut off may still run it.
 */
export function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[], podsByRS: ReadonlyMap<string, readonly Pod[]>): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true;
  for (const [uid, pods] of podsByRS) {
    if (newRS && newRS.metadata.uid === uid) continue;
    for (const pod of pods) {
      const phase = pod.status?.phase;
      if (phase !== 'Failed' && phase !== 'Succeeded') return true;
    }
  }
  return false;
}

export async function rolloutRecreate(
  ops: RolloutOps,
  d: Deployment,
  rsList: readonly ReplicaSet[],
  podsByRS: ReadonlyMap<string, readonly Pod[]>,
): Promise<void> {
  // Do not create the new ReplicaSet yet: it would scale up before the old ones are down.
  let { newRS, oldRSs } = await ops.getAllReplicaSetsAndSyncRevision(d, rsList, false);
  let allRSs = newRS ? [...oldRSs, newRS] : [...oldRSs];
  let scaledDown = false;
  for (const rs of activeReplicaSets(oldRSs)) {
    if ((await ops.scaleReplicaSetAndRecordEvent(rs, 0, d)).scaled) scaledDown = true;
  }
  if (scaledDown) return ops.syncRolloutStatus(allRSs, newRS, d);
  if (oldPodsRunning(newRS, oldRSs, podsByRS)) return ops.syncRolloutStatus(allRSs, newRS, d);
  if (!newRS) {
    ({ newRS, oldRSs } = await ops.getAllReplicaSetsAndSyncRevision(d, rsList, true));
    allRSs = newRS ? [...oldRSs, newRS] : [...oldRSs];
  }
  if (newRS) await ops.scaleReplicaSetAndRecordEvent(newRS, specReplicas(d), d);
  if (deploymentComplete(d, d.status ?? {})) await ops.cleanupDeployment(oldRSs, d);
  return ops.syncRolloutStatus(allRSs, newRS, d);
}
