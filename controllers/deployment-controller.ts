import type { Logger } from 'pino';
import type { Lister } from '../kube/cache/lister.js';
import { IndexNames } from '../kube/cache/lister.js';
import type { ApiClient } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { objectKey, Resources } from '../kube/client/resource.js';
import type { Clock } from '../kube/clock.js';
import { type LabelSelector, labelSelectorFromObject } from '../kube/labels/label-selector.js';
import type { OwnerReference } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';
import { claimObjects, controllerRefOf, newControllerRef, recheckOwner } from './controller-ref.js';
import { rolloutRecreate } from './deployment-recreate.js';
import { DesiredReplicasAnnotation } from './deployment-revision.js';
import { rolloutRolling } from './deployment-rolling.js';
import { planScale } from './deployment-scale.js';
import { DeploymentSyncOps } from './deployment-sync-ops.js';
import { activeReplicaSets, isPaused, isRecreate } from './deployment-util.js';
import { annotationsOf, generationOf, intOr, isBeingDeleted, labelsOf, specReplicas } from './workload-fields.js';
import type { Deployment, Pod, ReplicaSet } from './workload-types.js';

/**
 * The Deployment controller (kube's pkg/controller/deployment): owns one ReplicaSet per pod
 * template (by pod-template-hash), rolls from the old ones to the new one with RollingUpdate
 * (maxSurge / maxUnavailable) or Recreate, scales proportionally mid-rollout, keeps
 * `revisionHistoryLimit` old ReplicaSets for `kubectl rollout undo`, and reports the status and
 * conditions `kubectl rollout status` reads. Paused Deployments only scale.
 */
export class DeploymentController implements Controller {
  readonly name = 'deployment';
  readonly workers: number;
  readonly queue: WorkQueue<string>;
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly recorder: EventRecorder;
  private readonly dLister: Lister<Deployment>;
  private readonly rsLister: Lister<ReplicaSet>;
  private readonly podLister: Lister<Pod>;

  constructor(ctx: ControllerContext, options: { workers?: number } = {}) {
    this.workers = options.workers ?? 5;
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.logger = ctx.logger;
    this.recorder = ctx.recorder;
    this.queue = ctx.newQueue(this.name);
    const dInformer = ctx.informers.informerFor<Deployment>(Resources.deployments);
    const rsInformer = ctx.informers.informerFor<ReplicaSet>(Resources.replicasets);
    const podInformer = ctx.informers.informerFor<Pod>(Resources.pods);
    this.dLister = dInformer.lister;
    this.rsLister = rsInformer.lister;
    this.podLister = podInformer.lister;
    dInformer.addHandlers({
      onAdd: (d) => this.queue.add(objectKey(d)),
      onUpdate: (_old, cur) => this.queue.add(objectKey(cur)),
      onDelete: (d) => this.queue.add(objectKey(d)),
    });
    rsInformer.addHandlers({
      onAdd: (rs) => this.replicaSetAdded(rs),
      onUpdate: (old, cur) => this.replicaSetUpdated(old, cur),
      onDelete: (rs) => this.enqueueOwner(rs.metadata.namespace, controllerRefOf(rs)),
    });
    podInformer.addHandlers({ onDelete: (pod) => this.podDeleted(pod) });
  }

  async sync(key: string): Promise<void> {
    const cached = this.dLister.get(key);
    if (!cached) return;
    // The cache's copy is shared: work on our own.
    const d = structuredClone(cached);
    const ops = new DeploymentSyncOps(
      {
        client: this.client,
        recorder: this.recorder,
        clock: this.clock,
        logger: this.logger,
        rsLister: this.rsLister,
        requeue: (k, ms) => this.requeue(k, ms),
      },
      d,
    );
    const selector = labelSelectorFromObject(d.spec?.selector);
    if (selector.isEverything()) {
      this.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if (intOr(d.status?.observedGeneration, 0) < generationOf(d)) await ops.writeDeployment(d, { ...(d.status ?? {}), observedGeneration: generationOf(d) });
      return;
    }
    const rsList = await this.claimReplicaSets(d, selector);
    if (isBeingDeleted(d)) {
      const { newRS, oldRSs } = await ops.getAllReplicaSetsAndSyncRevision(d, rsList, false);
      return ops.syncDeploymentStatus(newRS ? [...oldRSs, newRS] : oldRSs, newRS, d);
    }
    await ops.checkPausedConditions(d);
    if (isPaused(d) || (await this.isScalingEvent(ops, d, rsList))) return this.scaleOnly(ops, d, rsList);
    if (isRecreate(d)) return rolloutRecreate(ops, d, rsList, this.podsByReplicaSet(d, selector, rsList));
    return rolloutRolling(ops, d, rsList);
  }

  /**
   * A change of `spec.replicas` alone (kube's isScalingEvent): an active ReplicaSet was sized for
   * another replica count, per its desired-replicas annotation.
   */
  private async isScalingEvent(ops: DeploymentSyncOps, d: Deployment, rsList: readonly ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await ops.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    for (const rs of activeReplicaSets([...oldRSs, newRS])) {
      const desired = Number(annotationsOf(rs)[DesiredReplicasAnnotation]);
      if (Number.isInteger(desired) && desired !== specReplicas(d)) return true;
    }
    return false;
  }

  /** kube's `sync`: scale (proportionally) without rolling; paused Deployments also trim history. */
  private async scaleOnly(ops: DeploymentSyncOps, d: Deployment, rsList: readonly ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await ops.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    const toAdd = planScale(d, newRS, oldRSs);
    const grow = toAdd.some((s) => s.replicas > specReplicas(s.rs));
    for (const step of toAdd) {
      if (step.refreshAnnotations) await ops.scaleReplicaSet(step.rs, step.replicas, d, grow ? 'up' : 'down');
      else await ops.scaleReplicaSetAndRecordEvent(step.rs, step.replicas, d);
    }
    if (isPaused(d)) await ops.cleanupDeployment(oldRSs, d);
    return ops.syncDeploymentStatus(newRS ? [...oldRSs, newRS] : oldRSs, newRS, d);
  }

  /** The ReplicaSets this Deployment controls, after adopting matching orphans and releasing non-matching ones. */
  private async claimReplicaSets(d: Deployment, selector: LabelSelector): Promise<ReplicaSet[]> {
    const candidates = this.rsLister.byIndex(IndexNames.namespace, d.metadata.namespace ?? '');
    return claimObjects<ReplicaSet>(candidates, {
      client: this.client,
      owner: d,
      ownerRef: newControllerRef(d, 'apps/v1', 'Deployment'),
      resource: Resources.replicasets,
      match: (rs) => selector.matches(labelsOf(rs)),
      canAdopt: recheckOwner(this.client, Resources.deployments, d),
    });
  }

  /** Pods of the Deployment's ReplicaSets, by ReplicaSet uid (every ReplicaSet has an entry). */
  private podsByReplicaSet(d: Deployment, selector: LabelSelector, rsList: readonly ReplicaSet[]): Map<string, Pod[]> {
    const out = new Map<string, Pod[]>();
    for (const rs of rsList) out.set(rs.metadata.uid ?? '', []);
    for (const pod of this.podLister.byIndex(IndexNames.namespace, d.metadata.namespace ?? '')) {
      if (!selector.matches(labelsOf(pod))) continue;
      const uid = controllerRefOf(pod)?.uid;
      if (uid !== undefined) out.get(uid)?.push(pod);
    }
    return out;
  }

  private requeue(key: string, delayMs: number): void {
    if (delayMs <= 0) this.queue.addRateLimited(key);
    else this.queue.addAfter(key, delayMs);
  }

  private resolveDeployment(namespace: string | undefined, ref: OwnerReference | undefined): Deployment | undefined {
    if (ref?.kind !== 'Deployment') return undefined;
    const d = this.dLister.get(namespace ? `${namespace}/${ref.name}` : ref.name);
    return d?.metadata.uid === ref.uid ? d : undefined;
  }

  private enqueueOwner(namespace: string | undefined, ref: OwnerReference | undefined): void {
    const d = this.resolveDeployment(namespace, ref);
    if (d) this.queue.add(objectKey(d));
  }

  /** Deployments whose selector matches an orphan ReplicaSet's labels: they may adopt it. */
  private deploymentsSelecting(rs: ReplicaSet): Deployment[] {
    return this.dLister.byIndex(IndexNames.namespace, rs.metadata.namespace ?? '').filter((d) => {
      try {
        const sel = labelSelectorFromObject(d.spec?.selector);
        return !sel.isEverything() && sel.matches(labelsOf(rs));
      } catch {
        return false;
      }
    });
  }

  private replicaSetAdded(rs: ReplicaSet): void {
    const ref = controllerRefOf(rs);
    if (ref) {
      this.enqueueOwner(rs.metadata.namespace, ref);
      return;
    }
    for (const d of this.deploymentsSelecting(rs)) this.queue.add(objectKey(d));
  }

  private replicaSetUpdated(old: ReplicaSet, cur: ReplicaSet): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const curRef = controllerRefOf(cur);
    const oldRef = controllerRefOf(old);
    const refChanged = curRef?.uid !== oldRef?.uid;
    if (refChanged && oldRef) this.enqueueOwner(old.metadata.namespace, oldRef);
    if (curRef) {
      this.enqueueOwner(cur.metadata.namespace, curRef);
      return;
    }
    const labelsChanged = JSON.stringify(labelsOf(old)) !== JSON.stringify(labelsOf(cur));
    if (labelsChanged || refChanged) for (const d of this.deploymentsSelecting(cur)) this.queue.add(objectKey(d));
  }

  /** A Recreate rollout waits for the old pods to be gone: the last one going wakes it. */
  private podDeleted(pod: Pod): void {
    const rs = this.rsLister.get(`${pod.metadata.namespace ?? ''}/${controllerRefOf(pod)?.name ?? ''}`);
    if (!rs || rs.metadata.uid !== controllerRefOf(pod)?.uid) return;
    const d = this.resolveDeployment(rs.metadata.namespace, controllerRefOf(rs));
    if (!d || !isRecreate(d)) return;
    let selector: LabelSelector;
    try {
      selector = labelSelectorFromObject(d.spec?.selector);
    } catch {
      return;
    }
    const owned = this.rsLister.byIndex(IndexNames.controllerUid, d.metadata.uid ?? '');
    let pods = 0;
    for (const list of this.podsByReplicaSet(d, selector, owned).values()) pods += list.length;
    if (pods === 0) this.queue.add(objectKey(d));
  }
}

export const deploymentControllerFactory: ControllerFactory = (ctx) => new DeploymentController(ctx);
