import { LabelSelector, labelSelectorFromSet } from '../kube/labels/label-selector.js';
import { isPodAvailable, isPodReady } from './pod-utils.js';
import { conditionsOf, findCondition, generationOf, intOr, labelsOf, minReadySecondsOf, rfc3339, specReplicas } from './workload-fields.js';
import type { Condition, Pod, ReplicaSet, ReplicaSetStatus } from './workload-types.js';

/** The condition a ReplicaSet carries while it cannot create or delete pods. */
export const REPLICA_FAILURE = 'ReplicaFailure';

/**
 * The status a ReplicaSet (or ReplicationController) should report for the pods it owns (kube's
 * calculateStatus): `replicas` counts the active owned pods, `fullyLabeledReplicas` those that
 * carry every label of the template, `readyReplicas` the ready ones, `availableReplicas` those
 * ready for `minReadySeconds`. A failed create or delete sets the ReplicaFailure condition
 * (reason FailedCreate or FailedDelete, the error as message); a clean sync removes it.
 * `observedGeneration` is left as it was: `statusNeedsUpdate` decides, and the writer stamps it.
 */
export function calculateReplicaSetStatus(rs: ReplicaSet, pods: readonly Pod[], manageError: unknown, nowMs: number): ReplicaSetStatus {
  const status: ReplicaSetStatus = structuredClone(rs.status ?? {});
  const template = templateSelector(rs);
  const minReady = minReadySecondsOf(rs);
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    if (template.matches(labelsOf(pod))) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, nowMs)) available++;
    }
  }
  const failure = findCondition(rs.status, REPLICA_FAILURE);
  if (manageError !== undefined && !failure) {
    const diff = pods.length - specReplicas(rs);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const message = manageError instanceof Error ? manageError.message : String(manageError);
    const cond: Condition = { type: REPLICA_FAILURE, status: 'True', lastTransitionTime: rfc3339(nowMs), reason, message };
    status.conditions = [...conditionsOf(status).filter((c) => c.type !== REPLICA_FAILURE), cond];
  } else if (manageError === undefined && failure) {
    status.conditions = conditionsOf(status).filter((c) => c.type !== REPLICA_FAILURE);
  }
  status.replicas = pods.length;
  status.fullyLabeledReplicas = fullyLabeled;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  return status;
}

/** The template's labels as a selector; labels the apiserver let through but we cannot parse match nothing. */
function templateSelector(rs: ReplicaSet): LabelSelector {
  try {
    return labelSelectorFromSet(rs.spec?.template?.metadata?.labels ?? {});
  } catch {
    return LabelSelector.nothing();
  }
}

/**
 * Whether `status` differs from what `rs` reports, or the spec's generation was not yet
 * observed (kube's updateReplicaSetStatus steady-state check).
 */
export function statusNeedsUpdate(rs: ReplicaSet, status: ReplicaSetStatus): boolean {
  const cur = rs.status ?? {};
  return (
    intOr(cur.replicas, 0) !== status.replicas ||
    intOr(cur.fullyLabeledReplicas, 0) !== status.fullyLabeledReplicas ||
    intOr(cur.readyReplicas, 0) !== status.readyReplicas ||
    intOr(cur.availableReplicas, 0) !== status.availableReplicas ||
    generationOf(rs) !== intOr(cur.observedGeneration, 0) ||
    JSON.stringify(conditionsOf(cur)) !== JSON.stringify(conditionsOf(status))
  );
}
