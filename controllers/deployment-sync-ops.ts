import type { Logger } from 'pino';
import type { Lister } from '../kube/cache/lister.js';
import { type ApiClient, isAlreadyExists, isNotFound } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { objectKey, Resources } from '../kube/client/resource.js';
import type { Clock } from '../kube/clock.js';
import { isPlainObject } from '../kube/object.js';
import { controllerRefOf, newControllerRef } from './controller-ref.js';
import {
  computeHash,
  equalIgnoreHash,
  findNewReplicaSet,
  findOldReplicaSets,
  maxRevision,
  PodTemplateHashLabel,
  RevisionAnnotation,
  replicaSetsToCleanUp,
  replicasAnnotationsNeedUpdate,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
} from './deployment-revision.js';
import { newRSNewReplicas } from './deployment-rolling.js';
import type { RolloutOps } from './deployment-rollout-ops.js';
import {
  calculateDeploymentStatus,
  calculateRolloutStatus,
  DeploymentReasons,
  newDeploymentCondition,
  sameStatus,
  setDeploymentCondition,
  stuckRequeueDelayMs,
} from './deployment-status.js';
import { hasProgressDeadline, isPaused, maxSurge, revisionHistoryLimit } from './deployment-util.js';
import { annotationsOf, findCondition, intOr, minReadySecondsOf, specReplicas } from './workload-fields.js';
import type { Deployment, DeploymentStatus, ReplicaSet } from './workload-types.js';

/** What one sync of one Deployment needs from its controller. */
export interface DeploymentSyncDeps {
  readonly client: ApiClient;
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly rsLister: Lister<ReplicaSet>;
  /** Look at the Deployment again after `delayMs` (0: now, rate-limited). */
  requeue(key: string, delayMs: number): void;
}

/**
 * The writes of one Deployment sync (kube's deployment sync.go and progress.go), on a working
 * copy of the Deployment (`d`) that follows every write, so that a later write in the same sync
 * is not refused as stale. ReplicaSets written during the sync replace their cached copies too.
 */
export class DeploymentSyncOps implements RolloutOps {
  /** ReplicaSets written during this sync, by uid: newer than the cache. */
  private readonly written = new Map<string, ReplicaSet>();
  /** The revision annotation as stored, to tell whether a patch is needed. */
  private storedRevision: string | undefined;

  constructor(
    private readonly deps: DeploymentSyncDeps,
    readonly d: Deployment,
  ) {
    this.storedRevision = annotationsOf(d)[RevisionAnnotation];
  }

  private latest(rs: ReplicaSet): ReplicaSet {
    return this.written.get(rs.metadata.uid ?? '') ?? rs;
  }

  async getAllReplicaSetsAndSyncRevision(
    d: Deployment,
    rsList: readonly ReplicaSet[],
    create: boolean,
  ): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const list = rsList.map((rs) => this.latest(rs));
    const existing = findNewReplicaSet(d, list);
    const oldRSs = findOldReplicaSets(list, existing);
    const newRS = await this.getNewReplicaSet(d, list, oldRSs, existing, create);
    return { newRS, oldRSs };
  }

  /**
   * The ReplicaSet for the current template, its revision brought to max(old) + 1 (a rollback
   * to an old template renumbers that ReplicaSet); created when `create` and missing, named
   * `<deployment>-<hash>` and sized by newRSNewReplicas (kube's getNewReplicaSet).
   */
  private async getNewReplicaSet(
    d: Deployment,
    list: readonly ReplicaSet[],
    oldRSs: readonly ReplicaSet[],
    existing: ReplicaSet | undefined,
    create: boolean,
  ): Promise<ReplicaSet | undefined> {
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const copy = structuredClone(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadyChanged = minReadySecondsOf(copy) !== minReadySecondsOf(d);
      if (annotationsUpdated || minReadyChanged) {
        copy.spec = { ...(copy.spec ?? {}), minReadySeconds: minReadySecondsOf(d) };
        return this.updateReplicaSet(copy);
      }
      let needsUpdate = this.setDeploymentRevision(d, annotationsOf(copy)[RevisionAnnotation] ?? '');
      if (hasProgressDeadline(d) && !findCondition(d.status, 'Progressing')) {
        const msg = `Found new replica set "${copy.metadata.name ?? ''}"`;
        this.setCondition(d, newDeploymentCondition('Progressing', 'True', DeploymentReasons.FoundNewReplicaSet, msg, this.deps.clock.now()));
        needsUpdate = true;
      }
      if (needsUpdate) await this.writeDeployment(d, d.status ?? {});
      return copy;
    }
    if (!create) return undefined;
    const created = await this.createNewReplicaSet(d, list, oldRSs, newRevision);
    let needsUpdate = this.setDeploymentRevision(d, String(newRevision));
    if (!created.alreadyExisted && hasProgressDeadline(d)) {
      const msg = `Created new replica set "${created.rs.metadata.name ?? ''}"`;
      this.setCondition(d, newDeploymentCondition('Progressing', 'True', DeploymentReasons.NewReplicaSetCreated, msg, this.deps.clock.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await this.writeDeployment(d, d.status ?? {});
    return created.rs;
  }

  private async createNewReplicaSet(
    d: Deployment,
    list: readonly ReplicaSet[],
    oldRSs: readonly ReplicaSet[],
    newRevision: number,
  ): Promise<{ rs: ReplicaSet; alreadyExisted: boolean }> {
    const template = structuredClone(d.spec?.template ?? {});
    const hash = computeHash(template, typeof d.status?.collisionCount === 'number' ? d.status.collisionCount : undefined);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [PodTemplateHashLabel]: hash } };
    const selector = isPlainObject(d.spec?.selector) ? structuredClone(d.spec.selector) : {};
    selector.matchLabels = { ...(isPlainObject(selector.matchLabels) ? selector.matchLabels : {}), [PodTemplateHashLabel]: hash };
    const name = `${d.metadata.name ?? ''}-${hash}`;
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        ...(d.metadata.namespace ? { namespace: d.metadata.namespace } : {}),
        ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
        labels: { ...(template.metadata.labels ?? {}) },
      },
      spec: { replicas: 0, minReadySeconds: minReadySecondsOf(d), selector, template },
    };
    const replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    rs.spec = { ...rs.spec, replicas };
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    let created: ReplicaSet;
    try {
      created = await this.deps.client.create<ReplicaSet>(Resources.replicasets, rs);
    } catch (err) {
      if (isAlreadyExists(err)) {
        // The cache may not have it yet (our own create from a sync the watch has not caught
        // up with): read it from the apiserver rather than mistake it for a collision.
        const found =
          list.find((x) => x.metadata.name === name) ??
          this.deps.rsLister.get(objectKey(rs)) ??
          (await this.deps.client.get<ReplicaSet>(Resources.replicasets, name, d.metadata.namespace));
        if (controllerRefOf(found)?.uid === d.metadata.uid && equalIgnoreHash(d.spec?.template, found.spec?.template)) {
          this.remember(found);
          return { rs: found, alreadyExisted: true };
        }
        // Another template hashed to the same name: count a collision, so the next hash differs.
        const status: DeploymentStatus = { ...(d.status ?? {}), collisionCount: intOr(d.status?.collisionCount, 0) + 1 };
        await this.writeDeployment(d, status);
        throw err;
      }
      const msg = `Failed to create new replica set "${name}": ${(err as Error).message}`;
      if (hasProgressDeadline(d)) {
        this.setCondition(d, newDeploymentCondition('Progressing', 'False', DeploymentReasons.ReplicaSetCreateError, msg, this.deps.clock.now()));
        await this.writeDeployment(d, d.status ?? {}).catch(() => {});
      }
      this.deps.recorder.event(d, 'Warning', DeploymentReasons.ReplicaSetCreateError, msg);
      throw err;
    }
    this.remember(created);
    if (replicas > 0) this.deps.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${replicas}`);
    return { rs: created, alreadyExisted: false };
  }

  async scaleReplicaSetAndRecordEvent(rs: ReplicaSet, replicas: number, d: Deployment): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const current = this.latest(rs);
    if (specReplicas(current) === replicas) return { scaled: false, rs: current };
    return this.scaleReplicaSet(current, replicas, d, specReplicas(current) < replicas ? 'up' : 'down');
  }

  /** Sets the size and the replicas annotations when either differs; records ScalingReplicaSet on a size change. */
  async scaleReplicaSet(rs: ReplicaSet, replicas: number, d: Deployment, operation: string): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const current = this.latest(rs);
    const want = specReplicas(d);
    const max = want + maxSurge(d);
    const sizeChanged = specReplicas(current) !== replicas;
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(current, want, max)) return { scaled: false, rs: current };
    const oldScale = specReplicas(current);
    const copy = structuredClone(current);
    copy.spec = { ...(copy.spec ?? {}), replicas };
    setReplicasAnnotations(copy, want, max);
    const updated = await this.updateReplicaSet(copy);
    if (sizeChanged)
      this.deps.recorder.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${operation} replica set ${updated.metadata.name ?? ''} from ${oldScale} to ${replicas}`,
      );
    return { scaled: sizeChanged, rs: updated };
  }

  async cleanupDeployment(oldRSs: readonly ReplicaSet[], d: Deployment): Promise<void> {
    const victims = replicaSetsToCleanUp(
      oldRSs.map((rs) => this.latest(rs)),
      revisionHistoryLimit(d),
    );
    for (const rs of victims) {
      this.deps.logger.debug({ deployment: objectKey(d), replicaSet: rs.metadata.name }, 'cleaning up old replica set');
      try {
        await this.deps.client.delete(Resources.replicasets, rs.metadata.name ?? '', rs.metadata.namespace ? { namespace: rs.metadata.namespace } : {});
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** Counts and the Available condition only (paused or deleted Deployments, scaling events). */
  async syncDeploymentStatus(allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
    const status = calculateDeploymentStatus(
      d,
      allRSs.map((rs) => this.latest(rs)),
      newRS && this.latest(newRS),
      this.deps.clock.now(),
    );
    if (sameStatus(d.status, status)) return;
    await this.writeDeployment(d, status);
  }

  async syncRolloutStatus(allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
    const now = this.deps.clock.now();
    const status = calculateRolloutStatus(
      d,
      allRSs.map((rs) => this.latest(rs)),
      newRS && this.latest(newRS),
      now,
    );
    if (sameStatus(d.status, status)) {
      const delay = stuckRequeueDelayMs(d, status, now);
      if (delay !== undefined) this.deps.requeue(objectKey(d), delay);
      return;
    }
    await this.writeDeployment(d, status);
  }

  /**
   * The Progressing condition says Paused / Resumed when `spec.paused` flips (kube's
   * checkPausedConditions); a deadline already exceeded is not overwritten.
   */
  async checkPausedConditions(d: Deployment): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const cond = findCondition(d.status, 'Progressing');
    if (cond?.reason === DeploymentReasons.ProgressDeadlineExceeded) return;
    const pausedCond = cond?.reason === DeploymentReasons.DeploymentPaused;
    const now = this.deps.clock.now();
    if (isPaused(d) && !pausedCond) {
      this.setCondition(d, newDeploymentCondition('Progressing', 'Unknown', DeploymentReasons.DeploymentPaused, 'Deployment is paused', now));
    } else if (!isPaused(d) && pausedCond) {
      this.setCondition(d, newDeploymentCondition('Progressing', 'Unknown', DeploymentReasons.DeploymentResumed, 'Deployment is resumed', now));
    } else {
      return;
    }
    await this.writeDeployment(d, d.status ?? {});
  }

  private setCondition(d: Deployment, cond: ReturnType<typeof newDeploymentCondition>): void {
    const status = structuredClone(d.status ?? {});
    setDeploymentCondition(status, cond);
    d.status = status;
  }

  private setDeploymentRevision(d: Deployment, revision: string): boolean {
    if (annotationsOf(d)[RevisionAnnotation] === revision) return false;
    d.metadata.annotations = { ...annotationsOf(d), [RevisionAnnotation]: revision };
    return true;
  }

  /**
   * Stores the working copy: the revision annotation by a merge patch of the Deployment (kube
   * writes it through /status, which its Deployment status strategy allows; a status write here
   * keeps only the status), then the status. `d` follows what was stored.
   */
  async writeDeployment(d: Deployment, status: DeploymentStatus): Promise<void> {
    const { name = '', namespace } = d.metadata;
    const revision = annotationsOf(d)[RevisionAnnotation];
    if (revision !== undefined && revision !== this.storedRevision) {
      const patched = await this.deps.client.patch<Deployment>(
        Resources.deployments,
        name,
        { metadata: { annotations: { [RevisionAnnotation]: revision } } },
        namespace ? { namespace } : {},
      );
      this.storedRevision = revision;
      d.metadata = { ...d.metadata, resourceVersion: patched.metadata.resourceVersion ?? '' };
    }
    const updated = await this.deps.client.updateStatus<Deployment>(Resources.deployments, { ...structuredClone(d), status });
    d.metadata = { ...d.metadata, resourceVersion: updated.metadata.resourceVersion ?? '' };
    d.status = updated.status ?? status;
  }

  private async updateReplicaSet(rs: ReplicaSet): Promise<ReplicaSet> {
    const updated = await this.deps.client.update<ReplicaSet>(Resources.replicasets, rs);
    this.remember(updated);
    return updated;
  }

  private remember(rs: ReplicaSet): void {
    if (rs.metadata.uid) this.written.set(rs.metadata.uid, rs);
  }
}
