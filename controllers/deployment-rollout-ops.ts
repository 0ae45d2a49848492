import type { Deployment, ReplicaSet } from './workload-types.js';

/**
 * The writes a rollout strategy needs, implemented by the Deployment controller (which owns the
 * client, the recorder and the working copy of the Deployment). Keeping the strategies on this
 * port lets each read like upstream's rolling.go and recreate.go, with the I/O in one place.
 */
export interface RolloutOps {
  /**
   * The new ReplicaSet (created first when `create` and missing) and the old ones, with the
   * new one's revision annotations brought up to date (kube's getAllReplicaSetsAndSyncRevision).
   */
  getAllReplicaSetsAndSyncRevision(
    d: Deployment,
    rsList: readonly ReplicaSet[],
    create: boolean,
  ): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }>;
  /** Sets the size (and replicas annotations); records ScalingReplicaSet. `scaled` is false when the size was already right. */
  scaleReplicaSetAndRecordEvent(rs: ReplicaSet, replicas: number, d: Deployment): Promise<{ scaled: boolean; rs: ReplicaSet }>;
  /** Writes the status with the Progressing condition estimated. */
  syncRolloutStatus(allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void>;
  /** Deletes old ReplicaSets beyond revisionHistoryLimit. */
  cleanupDeployment(oldRSs: readonly ReplicaSet[], d: Deployment): Promise<void>;
}
