import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { IndexNames } from '../kube/cache/lister.js';
import { type ApiClient, isAlreadyExists, isNotFound } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { objectKey, Resources, splitKey } from '../kube/client/resource.js';
import type { Clock } from '../kube/clock.js';
import { type LabelSelector, labelSelectorFromObject } from '../kube/labels/label-selector.js';
import { isPlainObject, type KubeObject } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';
import { claimObjects, controllerRefOf, newControllerRef, recheckOwner } from './controller-ref.js';
import { CONTROLLER_REVISION_HASH_LABEL, type ControllerRevision, syncUpdateRevision, templateOfRevision, truncateHistory } from './controller-revision.js';
import { isPodAvailable, isPodReady } from './pod-utils.js';
import { claimsFor, identityLabels, identityMatches, isMemberOf, newStatefulSetPod, ordinalOf, replicasOf, startOrdinal } from './statefulset-identity.js';
import { type PodManagementPolicy, type PodState, planStatefulSet, revisionForNewPod, type StatefulSetAction } from './statefulset-plan.js';
import { writeStatusOverNewest } from './status-writer.js';
import { intOr, isBeingDeleted, labelsOf, minReadySecondsOf } from './workload-fields.js';
import type { Pod } from './workload-types.js';

/**
 * The StatefulSet controller (kube's pkg/controller/statefulset): pods with stable names and
 * claims, created and deleted in order (statefulset-plan.ts decides what to do, this file does
 * it), revisions of the template kept as ControllerRevisions, and the status `kubectl rollout
 * status statefulset` reads: replicas, readyReplicas, currentReplicas, updatedReplicas,
 * availableReplicas, currentRevision, updateRevision, observedGeneration, collisionCount.
 */

interface StatefulSetStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
  [field: string]: unknown;
}

interface StatefulSet extends KubeObject {
  spec?: Record<string, unknown> & { minReadySeconds?: number; template?: { metadata?: { labels?: Record<string, string> } } };
  status?: StatefulSetStatus;
}

const KIND = 'StatefulSet';

function strategyOf(set: StatefulSet): { type: 'RollingUpdate' | 'OnDelete'; partition: number } {
  const s = isPlainObject(set.spec?.updateStrategy) ? set.spec.updateStrategy : {};
  const rolling = isPlainObject(s.rollingUpdate) ? s.rollingUpdate : {};
  return { type: s.type === 'OnDelete' ? 'OnDelete' : 'RollingUpdate', partition: Math.max(0, intOr(rolling.partition, 0)) };
}

function policyOf(set: StatefulSet): PodManagementPolicy {
  return set.spec?.podManagementPolicy === 'Parallel' ? 'Parallel' : 'OrderedReady';
}

export class StatefulSetController implements Controller {
  readonly name = 'statefulset';
  readonly workers = 5;
  readonly queue: WorkQueue<string>;
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly recorder: EventRecorder;
  private readonly logger: Logger;
  private readonly sets: Informer<StatefulSet>;
  private readonly pods: Informer<Pod>;
  private readonly revisions: Informer<ControllerRevision>;
  private readonly claims: Informer;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.recorder = ctx.recorder;
    this.logger = ctx.logger.child({ controller: this.name });
    this.queue = ctx.newQueue(this.name);
    this.sets = ctx.informers.informerFor<StatefulSet>(Resources.statefulsets);
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
    this.revisions = ctx.informers.informerFor<ControllerRevision>(Resources.controllerrevisions);
    this.claims = ctx.informers.informerFor(Resources.persistentvolumeclaims);
    this.sets.addHandlers({
      onAdd: (s) => this.queue.add(objectKey(s)),
      onUpdate: (_, s) => this.queue.add(objectKey(s)),
      onDelete: (s) => this.queue.add(objectKey(s)),
    });
    this.pods.addHandlers({
      onAdd: (p) => this.enqueueFor(p, true),
      onUpdate: (old, p) => {
        this.enqueueFor(p, true);
        const before = controllerRefOf(old);
        if (before && before.uid !== controllerRefOf(p)?.uid) this.enqueueFor(old, false);
      },
      onDelete: (p) => this.enqueueFor(p, false),
    });
    this.revisions.addHandlers({
      onAdd: (r) => this.enqueueFor(r, false),
      onUpdate: (_, r) => this.enqueueFor(r, false),
      onDelete: (r) => this.enqueueFor(r, false),
    });
  }

  /** The set owning a pod or revision; for an orphan pod (`adoptable`), every set that selects it. */
  private enqueueFor(obj: KubeObject, adoptable: boolean): void {
    const ref = controllerRefOf(obj);
    const ns = obj.metadata.namespace ?? '';
    if (ref) {
      if (ref.kind !== KIND) return;
      const set = this.sets.lister.get(`${ns}/${ref.name}`);
      if (set && set.metadata.uid === ref.uid) this.queue.add(objectKey(set));
      return;
    }
    if (!adoptable || isBeingDeleted(obj)) return;
    for (const set of this.sets.lister.byIndex(IndexNames.namespace, ns)) {
      const selector = this.selectorOf(set);
      if (selector && !selector.isEverything() && selector.matches(obj.metadata.labels) && isMemberOf(set, obj)) this.queue.add(objectKey(set));
    }
  }

  private selectorOf(set: StatefulSet): LabelSelector | undefined {
    try {
      return labelSelectorFromObject(set.spec?.selector);
    } catch {
      return undefined;
    }
  }

  async sync(key: string): Promise<void> {
    const cached = this.sets.lister.get(key);
    if (!cached) return;
    const set = structuredClone(cached);
    const selector = this.selectorOf(set);
    if (!selector || selector.isEverything()) {
      this.recorder.event(set, 'Warning', 'SelectingAll', 'This StatefulSet is selecting all pods. A non-empty selector is required.');
      return;
    }
    const { namespace } = splitKey(key);
    const candidates = this.pods.lister.byIndex(IndexNames.namespace, namespace ?? '');
    const pods = await claimObjects<Pod>(candidates, {
      client: this.client,
      owner: set,
      ownerRef: newControllerRef(set, 'apps/v1', KIND),
      resource: Resources.pods,
      match: (p) => selector.matches(p.metadata.labels) && isMemberOf(set, p),
      canAdopt: recheckOwner(this.client, Resources.statefulsets, set),
    });
    // Being deleted: no new revisions or pods; the collector takes it from here.
    if (isBeingDeleted(set)) return;
    const owned = this.revisions.lister.byIndex(IndexNames.controllerUid, set.metadata.uid ?? '');
    const templateLabels = set.spec?.template?.metadata?.labels ?? {};
    const history = await syncUpdateRevision(this.client, set, owned, templateLabels, set.spec?.template ?? {}, intOr(set.status?.collisionCount, 0));
    const updateRevision = history.updateRevision;
    const currentRevision = history.revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? updateRevision;

    const nowMs = this.clock.now();
    const minReadySeconds = minReadySecondsOf(set);
    const states = pods.map((p) => podState(set, p, minReadySeconds, nowMs));
    let failure: unknown;
    const strategy = strategyOf(set);
    const plan = planStatefulSet({
      replicas: replicasOf(set),
      startOrdinal: startOrdinal(set),
      policy: policyOf(set),
      strategy: strategy.type,
      partition: strategy.partition,
      updateRevision: updateRevision.metadata.name ?? '',
      pods: states,
    });
    if (plan.waitingFor) this.logger.debug({ key, waitingFor: plan.waitingFor }, 'statefulset waiting');
    for (const action of plan.actions) {
      try {
        await this.perform(set, action, { current: currentRevision, update: updateRevision });
      } catch (e) {
        failure ??= e;
        if (policyOf(set) === 'OrderedReady') break;
      }
    }

    await this.writeStatus(set, states, currentRevision, updateRevision, history.collisionCount);
    const live = new Set<string>([currentRevision.metadata.name ?? '', updateRevision.metadata.name ?? '']);
    for (const p of pods) {
      const rev = p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
      if (rev) live.add(rev);
    }
    await truncateHistory(this.client, history.revisions, live, intOr(set.spec?.revisionHistoryLimit, 10));
    // A pod that is ready but not yet available for minReadySeconds becomes available without any event.
    if (minReadySeconds > 0 && states.some((s) => s.runningAndReady && !s.available)) this.queue.addAfter(key, minReadySeconds * 1000);
    if (failure) throw failure;
  }

  private async perform(set: StatefulSet, action: StatefulSetAction, revs: { current: ControllerRevision; update: ControllerRevision }): Promise<void> {
    const setName = set.metadata.name ?? '';
    const ns = set.metadata.namespace;
    switch (action.type) {
      case 'create': {
        const strategy = strategyOf(set);
        const which = revisionForNewPod(action.ordinal - startOrdinal(set), strategy.type, strategy.partition);
        const rev = which === 'current' ? revs.current : revs.update;
        const template = which === 'current' ? (templateOfRevision(rev) ?? set.spec?.template) : set.spec?.template;
        const pod = newStatefulSetPod(set, template, action.ordinal, rev.metadata.name ?? '');
        await this.createClaims(set, action.ordinal, pod.metadata.name ?? '');
        try {
          await this.client.create(Resources.pods, pod);
        } catch (e) {
          this.recorder.event(
            set,
            'Warning',
            'FailedCreate',
            `create Pod ${pod.metadata.name ?? ''} in StatefulSet ${setName} failed error: ${(e as Error).message}`,
          );
          throw e;
        }
        this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name ?? ''} in StatefulSet ${setName} successful`);
        return;
      }
      case 'delete': {
        const name = action.pod.metadata.name ?? '';
        if (action.why === 'finished') {
          const phase = (action.pod as Pod).status?.phase;
          const reason = phase === 'Succeeded' ? 'RecreatingTerminatedPod' : 'RecreatingFailedPod';
          this.recorder.event(
            set,
            'Warning',
            reason,
            `StatefulSet ${ns ?? ''}/${setName} is recreating ${phase === 'Succeeded' ? 'terminated' : 'failed'} Pod ${name}`,
          );
        }
        try {
          await this.client.delete(Resources.pods, name, { ...(ns ? { namespace: ns } : {}), preconditions: { uid: action.pod.metadata.uid ?? '' } });
        } catch (e) {
          if (isNotFound(e)) return;
          this.recorder.event(set, 'Warning', 'FailedDelete', `delete Pod ${name} in StatefulSet ${setName} failed error: ${(e as Error).message}`);
          throw e;
        }
        this.recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${name} in StatefulSet ${setName} successful`);
        return;
      }
      case 'relabel': {
        const name = action.pod.metadata.name ?? '';
        await this.client.patch(Resources.pods, name, { metadata: { labels: identityLabels(action.pod) } }, ns ? { namespace: ns } : {});
        this.recorder.event(set, 'Normal', 'SuccessfulUpdate', `update Pod ${name} in StatefulSet ${setName} successful`);
        return;
      }
    }
  }

  /** The ordinal's claims that do not exist yet, created before its pod (an existing claim is reused as it is). */
  private async createClaims(set: StatefulSet, ordinal: number, pod: string): Promise<void> {
    for (const claim of claimsFor(set, ordinal)) {
      if (this.claims.lister.get(objectKey(claim))) continue;
      try {
        await this.client.create(Resources.persistentvolumeclaims, claim);
        this.recorder.event(
          set,
          'Normal',
          'SuccessfulCreate',
          `create Claim ${claim.metadata.name ?? ''} Pod ${pod} in StatefulSet ${set.metadata.name ?? ''} success`,
        );
      } catch (e) {
        if (isAlreadyExists(e)) continue;
        this.recorder.event(
          set,
          'Warning',
          'FailedCreate',
          `create Claim ${claim.metadata.name ?? ''} for Pod ${pod} in StatefulSet ${set.metadata.name ?? ''} failed error: ${(e as Error).message}`,
        );
        throw e;
      }
    }
  }

  private async writeStatus(
    set: StatefulSet,
    states: readonly PodState[],
    current: ControllerRevision,
    update: ControllerRevision,
    collisionCount: number,
  ): Promise<void> {
    const status = computeStatus(set, states, current.metadata.name ?? '', update.metadata.name ?? '', collisionCount);
    const before = set.status ?? {};
    if (!Object.entries(status).some(([k, v]) => before[k] !== v)) return;
    await writeStatusOverNewest(this.client, Resources.statefulsets, set, status);
  }
}

function podState(set: StatefulSet, pod: Pod, minReadySeconds: number, nowMs: number): PodState {
  const phase = pod.status?.phase;
  const runningAndReady = phase === 'Running' && isPodReady(pod);
  return {
    pod,
    runningAndReady,
    available: runningAndReady && isPodAvailable(pod, minReadySeconds, nowMs),
    terminating: isBeingDeleted(pod),
    finished: phase === 'Failed' || phase === 'Succeeded',
    revision: labelsOf(pod)[CONTROLLER_REVISION_HASH_LABEL] ?? '',
    identityOk: identityMatches(set, pod),
  };
}

/**
 * The status from the pods as the cache holds them (kube's computeReplicaStatus), and
 * completeRollingUpdate: once every pod is updated and ready the update revision becomes current.
 */
export function computeStatus(
  set: StatefulSet,
  states: readonly PodState[],
  currentRevision: string,
  updateRevision: string,
  collisionCount: number,
): StatefulSetStatus {
  let replicas = 0;
  let ready = 0;
  let available = 0;
  let current = 0;
  let updated = 0;
  for (const s of states) {
    if (ordinalOf(s.pod) < 0) continue;
    replicas++;
    if (s.runningAndReady) {
      ready++;
      if (s.available) available++;
    }
    if (!s.terminating) {
      if (s.revision === currentRevision) current++;
      if (s.revision === updateRevision) updated++;
    }
  }
  let currentRev = currentRevision;
  if (strategyOf(set).type === 'RollingUpdate' && updated === replicas && ready === replicas) {
    current = updated;
    currentRev = updateRevision;
  }
  return {
    observedGeneration: intOr(set.metadata.generation, 0),
    replicas,
    readyReplicas: ready,
    currentReplicas: current,
    updatedReplicas: updated,
    availableReplicas: available,
    currentRevision: currentRev,
    updateRevision,
    collisionCount,
  };
}

export const statefulSetControllerFactory: ControllerFactory = (ctx) => new StatefulSetController(ctx);
