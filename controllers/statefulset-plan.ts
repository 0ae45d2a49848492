import type { KubeObject } from '../kube/object.js';
import { ordinalOf } from './statefulset-identity.js';

/**
 * What a StatefulSet sync does next (kube's `updateStatefulSet` in stateful_set_control.go), as a
 * pure plan over the set's pods. Three passes, in this order:
 * 1. replicas `start..start+N-1`: recreate failed or succeeded pods, create missing ones, restore
 *    lost identity labels. OrderedReady ("monotonic") stops at the first pod it creates, and at
 *    any pod that is terminating or not yet Running, Ready and available: ordinal i is only ever
 *    created once 0..i-1 are healthy.
 * 2. condemned pods (ordinal out of range), highest ordinal first: OrderedReady deletes one and
 *    waits for it to be gone, and will not delete while a lower pod is unhealthy.
 * 3. RollingUpdate: from the highest ordinal down to the partition, delete the first pod not at
 *    the update revision (it is recreated from the new template by pass 1), one at a time, waiting
 *    for each replaced pod to be healthy again. OnDelete leaves pods alone.
 * Parallel creates and deletes without waiting in passes 1 and 2; pass 3 is the same.
 */

export type PodManagementPolicy = 'OrderedReady' | 'Parallel';

export interface PodState {
  readonly pod: KubeObject;
  /** Phase Running and the Ready condition True. */
  readonly runningAndReady: boolean;
  /** Running and ready for at least minReadySeconds. */
  readonly available: boolean;
  readonly terminating: boolean;
  /** Phase Failed or Succeeded: the pod will not run again and must be replaced. */
  readonly finished: boolean;
  /** Its `controller-revision-hash` label. */
  readonly revision: string;
  /** Its identity labels are as the set wants them. */
  readonly identityOk: boolean;
}

export interface PlanInput {
  readonly replicas: number;
  readonly startOrdinal: number;
  readonly policy: PodManagementPolicy;
  readonly strategy: 'RollingUpdate' | 'OnDelete';
  /** RollingUpdate's partition, as an ordinal offset from the start: pods below it keep the current revision. */
  readonly partition: number;
  readonly updateRevision: string;
  /** The set's pods (members only), any order. */
  readonly pods: readonly PodState[];
}

export type StatefulSetAction =
  | { readonly type: 'create'; readonly ordinal: number }
  | { readonly type: 'delete'; readonly pod: KubeObject; readonly why: 'finished' | 'condemned' | 'update' }
  | { readonly type: 'relabel'; readonly pod: KubeObject };

export interface Plan {
  readonly actions: StatefulSetAction[];
  /** Why the plan stopped early (OrderedReady waiting, or a rolling update waiting), for logs. */
  readonly waitingFor?: string;
}

/** Pods within the replica range, by offset from the start ordinal, and the condemned ones, highest ordinal first. */
export function splitPods(input: Pick<PlanInput, 'replicas' | 'startOrdinal' | 'pods'>): { replicas: (PodState | undefined)[]; condemned: PodState[] } {
  const replicas: (PodState | undefined)[] = new Array<PodState | undefined>(input.replicas).fill(undefined);
  const condemned: PodState[] = [];
  for (const p of input.pods) {
    const offset = ordinalOf(p.pod) - input.startOrdinal;
    if (offset >= 0 && offset < input.replicas) replicas[offset] = p;
    else if (ordinalOf(p.pod) >= 0) condemned.push(p);
  }
  condemned.sort((a, b) => ordinalOf(b.pod) - ordinalOf(a.pod));
  return { replicas, condemned };
}

const healthy = (p: PodState): boolean => p.runningAndReady && !p.terminating;

export function planStatefulSet(input: PlanInput): Plan {
  const monotonic = input.policy === 'OrderedReady';
  const { replicas, condemned } = splitPods(input);
  const actions: StatefulSetAction[] = [];
  const stop = (waitingFor: string): Plan => ({ actions, waitingFor });

  // The first unhealthy pod, in ordinal order then the condemned: the only condemned pod OrderedReady may delete while something is unhealthy.
  const firstUnhealthy = [...replicas, ...[...condemned].reverse()].find((p) => p !== undefined && !healthy(p));

  // Offsets whose pod this plan creates or replaces: new pods, not yet healthy, for pass 3.
  const fresh = new Set<number>();
  for (let i = 0; i < replicas.length; i++) {
    const ordinal = input.startOrdinal + i;
    const p = replicas[i];
    if (p === undefined) {
      fresh.add(i);
      actions.push({ type: 'create', ordinal });
      if (monotonic) return stop(`pod of ordinal ${ordinal} to be created`);
      continue;
    }
    if (p.finished && !p.terminating) {
      fresh.add(i);
      // Recreated once the delete is observed: the name is taken until then.
      actions.push({ type: 'delete', pod: p.pod, why: 'finished' });
      if (monotonic) return stop(`finished pod ${p.pod.metadata.name ?? ''} to be replaced`);
      continue;
    }
    if (p.terminating) {
      if (monotonic) return stop(`pod ${p.pod.metadata.name ?? ''} to terminate`);
      continue;
    }
    if (!p.identityOk) actions.push({ type: 'relabel', pod: p.pod });
    if (monotonic && !(p.runningAndReady && p.available)) return stop(`pod ${p.pod.metadata.name ?? ''} to be Running and Ready`);
  }

  for (const p of condemned) {
    if (p.terminating) {
      if (monotonic) return stop(`pod ${p.pod.metadata.name ?? ''} to terminate`);
      continue;
    }
    if (monotonic && !healthy(p) && p !== firstUnhealthy) return stop(`pod ${firstUnhealthy?.pod.metadata.name ?? ''} to be healthy before scaling down`);
    actions.push({ type: 'delete', pod: p.pod, why: 'condemned' });
    if (monotonic) return stop(`pod ${p.pod.metadata.name ?? ''} to be deleted`);
  }

  if (input.strategy === 'OnDelete') return { actions };
  const updateMin = Math.max(0, input.partition);
  for (let i = replicas.length - 1; i >= updateMin; i--) {
    const p = replicas[i];
    if (p === undefined || fresh.has(i)) return stop(`pod of ordinal ${input.startOrdinal + i} to be created and healthy during the update`);
    if (p.revision !== input.updateRevision && !p.terminating) {
      actions.push({ type: 'delete', pod: p.pod, why: 'update' });
      return stop(`pod ${p.pod.metadata.name ?? ''} to be replaced at the update revision`);
    }
    if (!healthy(p)) return stop(`pod ${p.pod.metadata.name ?? ''} to be healthy during the update`);
  }
  return { actions };
}

/** Which revision a pod of this offset gets when (re)created (newVersionedStatefulSetPod). */
export function revisionForNewPod(offset: number, strategy: 'RollingUpdate' | 'OnDelete', partition: number): 'current' | 'update' {
  return strategy === 'RollingUpdate' && offset < partition ? 'current' : 'update';
}
