import {
  actualReplicaCount,
  availableReplicaCount,
  hasProgressDeadline,
  maxUnavailable,
  progressDeadlineSeconds,
  readyReplicaCount,
  replicaCount,
} from './deployment-util.js';
import { conditionsOf, findCondition, generationOf, intOr, parseTimeMs, rfc3339, specReplicas } from './workload-fields.js';
import type { Condition, ConditionStatus, Deployment, DeploymentStatus, ReplicaSet } from './workload-types.js';

/**
 * A Deployment's status and its Available / Progressing conditions (kube's deployment sync.go
 * calculateStatus and progress.go). kubectl rollout status reads exactly these: the reasons and
 * messages are upstream's.
 */

export const DeploymentConditionTypes = { Available: 'Available', Progressing: 'Progressing', ReplicaFailure: 'ReplicaFailure' } as const;

export const DeploymentReasons = {
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
  NewReplicaSetCreated: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  NewReplicaSetAvailable: 'NewReplicaSetAvailable',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  ReplicaSetCreateError: 'ReplicaSetCreateError',
  DeploymentPaused: 'DeploymentPaused',
  DeploymentResumed: 'DeploymentResumed',
} as const;

export function newDeploymentCondition(type: string, status: ConditionStatus, reason: string, message: string, nowMs: number): Condition {
  const now = rfc3339(nowMs);
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/**
 * Sets a condition (kube's SetDeploymentCondition): nothing changes when status and reason are
 * the same; the transition time is kept when only the reason changed. Mutates `status`.
 */
export function setDeploymentCondition(status: DeploymentStatus, cond: Condition): void {
  const current = findCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = { ...cond };
  if (current && current.status === cond.status) next.lastTransitionTime = current.lastTransitionTime ?? null;
  status.conditions = [...conditionsOf(status).filter((c) => c.type !== cond.type), next];
}

export function removeDeploymentCondition(status: DeploymentStatus, type: string): void {
  if (status.conditions) status.conditions = conditionsOf(status).filter((c) => c.type !== type);
}

/**
 * The counts and the Available condition for the Deployment's ReplicaSets (kube's
 * calculateStatus). Other conditions are carried over from the current status.
 */
export function calculateDeploymentStatus(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, nowMs: number): DeploymentStatus {
  const available = availableReplicaCount(allRSs);
  const total = replicaCount(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: generationOf(d),
    replicas: actualReplicaCount(allRSs),
    updatedReplicas: actualReplicaCount(newRS ? [newRS] : []),
    readyReplicas: readyReplicaCount(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  if (typeof d.status?.collisionCount === 'number') status.collisionCount = d.status.collisionCount;
  const conditions = conditionsOf(d.status);
  if (conditions.length > 0) status.conditions = structuredClone(conditions);
  if (available >= specReplicas(d) - maxUnavailable(d)) {
    setDeploymentCondition(
      status,
      newDeploymentCondition('Available', 'True', DeploymentReasons.MinimumReplicasAvailable, 'Deployment has minimum availability.', nowMs),
    );
  } else {
    setDeploymentCondition(
      status,
      newDeploymentCondition('Available', 'False', DeploymentReasons.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', nowMs),
    );
  }
  return status;
}

/** Every pod updated and available, none old left, and the latest spec observed (kube's DeploymentComplete). */
export function deploymentComplete(d: Deployment, status: DeploymentStatus): boolean {
  const want = specReplicas(d);
  return (
    status.updatedReplicas === want && status.replicas === want && status.availableReplicas === want && intOr(status.observedGeneration, 0) >= generationOf(d)
  );
}

/** Any sign of progress since the last status: more updated, fewer old, more ready or available pods (kube's DeploymentProgressing). */
export function deploymentProgressing(d: Deployment, status: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = intOr(old.replicas, 0) - intOr(old.updatedReplicas, 0);
  const newOld = intOr(status.replicas, 0) - intOr(status.updatedReplicas, 0);
  return (
    intOr(status.updatedReplicas, 0) > intOr(old.updatedReplicas, 0) ||
    newOld < oldOld ||
    intOr(status.readyReplicas, 0) > intOr(old.readyReplicas, 0) ||
    intOr(status.availableReplicas, 0) > intOr(old.availableReplicas, 0)
  );
}

/** No progress for progressDeadlineSeconds since the Progressing condition was last updated (kube's DeploymentTimedOut). */
export function deploymentTimedOut(d: Deployment, status: DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = findCondition(status, 'Progressing');
  if (!cond) return false;
  if (cond.reason === DeploymentReasons.NewReplicaSetAvailable) return false;
  if (cond.reason === DeploymentReasons.ProgressDeadlineExceeded) return true;
  const from = parseTimeMs(cond.lastUpdateTime);
  if (from === undefined) return false;
  return from + progressDeadlineSeconds(d) * 1000 < nowMs;
}

/** A ReplicaSet's ReplicaFailure condition as the Deployment's (the new ReplicaSet's first). */
function replicaFailure(allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): Condition | undefined {
  const ordered = newRS ? [newRS, ...allRSs.filter((rs) => rs !== newRS)] : allRSs;
  for (const rs of ordered) {
    const c = findCondition(rs.status, 'ReplicaFailure');
    if (c)
      return {
        type: c.type,
        status: c.status,
        lastUpdateTime: c.lastTransitionTime ?? null,
        lastTransitionTime: c.lastTransitionTime ?? null,
        ...(c.reason !== undefined ? { reason: c.reason } : {}),
        ...(c.message !== undefined ? { message: c.message } : {}),
      };
  }
  return undefined;
}

/**
 * The status after a rollout step, with the Progressing condition estimated (kube's
 * syncRolloutStatus): NewReplicaSetAvailable once complete, ReplicaSetUpdated (lastUpdateTime
 * refreshed) while pods move, ProgressDeadlineExceeded when nothing moved for the deadline.
 * A completed rollout is not estimated again until a new one starts.
 */
export function calculateRolloutStatus(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, nowMs: number): DeploymentStatus {
  const status = calculateDeploymentStatus(d, allRSs, newRS, nowMs);
  if (!hasProgressDeadline(d)) removeDeploymentCondition(status, 'Progressing');
  const current = findCondition(d.status, 'Progressing');
  const name = d.metadata.name ?? '';
  const complete = status.replicas === status.updatedReplicas && current?.reason === DeploymentReasons.NewReplicaSetAvailable;
  if (hasProgressDeadline(d) && !complete) {
    if (deploymentComplete(d, status)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name ?? ''}" has successfully progressed.` : `Deployment "${name}" has successfully progressed.`;
      setDeploymentCondition(status, newDeploymentCondition('Progressing', 'True', DeploymentReasons.NewReplicaSetAvailable, msg, nowMs));
    } else if (deploymentProgressing(d, status)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name ?? ''}" is progressing.` : `Deployment "${name}" is progressing.`;
      const cond = newDeploymentCondition('Progressing', 'True', DeploymentReasons.ReplicaSetUpdated, msg, nowMs);
      // Progress refreshes lastUpdateTime even when the reason stays: that is what the deadline counts from.
      if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime ?? null;
      removeDeploymentCondition(status, 'Progressing');
      setDeploymentCondition(status, cond);
    } else if (deploymentTimedOut(d, status, nowMs)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name ?? ''}" has timed out progressing.` : `Deployment "${name}" has timed out progressing.`;
      setDeploymentCondition(status, newDeploymentCondition('Progressing', 'False', DeploymentReasons.ProgressDeadlineExceeded, msg, nowMs));
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  if (failure) setDeploymentCondition(status, failure);
  else removeDeploymentCondition(status, 'ReplicaFailure');
  return status;
}

/**
 * When to look again at a rollout that shows no progress, to notice its deadline passing
 * (kube's requeueStuckDeployment): undefined when there is nothing to wait for, 0 for now.
 */
export function stuckRequeueDelayMs(d: Deployment, status: DeploymentStatus, nowMs: number): number | undefined {
  const current = findCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !current) return undefined;
  if (deploymentComplete(d, status) || current.reason === DeploymentReasons.ProgressDeadlineExceeded) return undefined;
  const from = parseTimeMs(current.lastUpdateTime);
  if (from === undefined) return undefined;
  const after = from + progressDeadlineSeconds(d) * 1000 - nowMs;
  return after < 1000 ? 0 : after;
}

/** Status equality as the controller needs it: a write only when something changed. */
export function sameStatus(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  return JSON.stringify(normalizeStatus(a ?? {})) === JSON.stringify(normalizeStatus(b));
}

function normalizeStatus(s: DeploymentStatus): unknown {
  const conditions = conditionsOf(s).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason ?? '',
    message: c.message ?? '',
    lastUpdateTime: c.lastUpdateTime ?? null,
    lastTransitionTime: c.lastTransitionTime ?? null,
  }));
  return {
    observedGeneration: intOr(s.observedGeneration, 0),
    replicas: intOr(s.replicas, 0),
    updatedReplicas: intOr(s.updatedReplicas, 0),
    readyReplicas: intOr(s.readyReplicas, 0),
    availableReplicas: intOr(s.availableReplicas, 0),
    unavailableReplicas: intOr(s.unavailableReplicas, 0),
    collisionCount: s.collisionCount ?? null,
    conditions,
  };
}
