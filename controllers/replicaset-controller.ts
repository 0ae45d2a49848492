import type { Logger } from 'pino';
import type { Lister } from '../kube/cache/lister.js';
import { IndexNames } from '../kube/cache/lister.js';
import type { ApiClient } from '../kube/client/api-client.js';
import { isNotFound } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { apiVersionOf, objectKey, type ResourceRef, Resources } from '../kube/client/resource.js';
import type { Clock } from '../kube/clock.js';
import { type LabelSelector, labelSelectorFromObject, labelSelectorFromSet } from '../kube/labels/label-selector.js';
import { isPlainObject, type OwnerReference } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';
import { claimObjects, controllerRefOf, newControllerRef, recheckOwner } from './controller-ref.js';
import { ControllerExpectations } from './expectations.js';
import { isNamespaceTerminating, PodControl, SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from './pod-control.js';
import { activePods, isPodReady, podKey, podsToDelete } from './pod-utils.js';
import { calculateReplicaSetStatus, statusNeedsUpdate } from './replicaset-status.js';
import { generationOf, isBeingDeleted, labelsOf, minReadySecondsOf, specReplicas } from './workload-fields.js';
import type { Pod, ReplicaSet, ReplicaSetStatus } from './workload-types.js';

/** At most this many pods are created or deleted in one sync (kube's BurstReplicas). */
export const BURST_REPLICAS = 500;

/** What differs between the ReplicaSet controller and the ReplicationController manager. */
export interface ReplicaSetKind {
  /** The controller's name (`--controllers`), also its event source. */
  readonly name: string;
  readonly resource: ResourceRef;
  /** The pod selector; throws when it cannot be parsed. */
  selectorOf(rs: ReplicaSet): LabelSelector;
}

export const REPLICA_SET_KIND: ReplicaSetKind = {
  name: 'replicaset',
  resource: Resources.replicasets,
  selectorOf: (rs) => labelSelectorFromObject(rs.spec?.selector),
};

/** An RC's selector is a plain label map; an empty or missing one selects nothing here (validation forbids it). */
export const REPLICATION_CONTROLLER_KIND: ReplicaSetKind = {
  name: 'replicationcontroller',
  resource: Resources.replicationcontrollers,
  selectorOf: (rc) => {
    const sel = rc.spec?.selector;
    if (!isPlainObject(sel) || Object.keys(sel).length === 0) return labelSelectorFromObject(undefined);
    return labelSelectorFromSet(sel as Record<string, string>);
  },
};

export interface ReplicaSetControllerOptions {
  readonly workers?: number;
  readonly burstReplicas?: number;
}

/**
 * Keeps `spec.replicas` active pods matching each ReplicaSet's selector (kube's
 * pkg/controller/replicaset), and serves ReplicationControllers with the same code.
 * Handlers only enqueue owner keys and record observed creates/deletes; `sync` claims pods
 * (adopt orphans, release non-matching), then creates in slow-start batches or deletes the least
 * valuable pods, then writes status. While its own writes are still on their way back through
 * the watch (expectations), it does not count pods again.
 */
export class ReplicaSetController implements Controller {
  readonly name: string;
  readonly workers: number;
  readonly queue: WorkQueue<string>;
  readonly expectations: ControllerExpectations;
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly recorder: EventRecorder;
  private readonly podControl: PodControl;
  private readonly rsLister: Lister<ReplicaSet>;
  private readonly podLister: Lister<Pod>;
  private readonly burstReplicas: number;
  private readonly apiVersion: string;

  constructor(
    ctx: ControllerContext,
    private readonly kind: ReplicaSetKind,
    options: ReplicaSetControllerOptions = {},
  ) {
    this.name = kind.name;
    this.workers = options.workers ?? 5;
    this.burstReplicas = options.burstReplicas ?? BURST_REPLICAS;
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.logger = ctx.logger;
    this.recorder = ctx.recorder;
    this.queue = ctx.newQueue(kind.name);
    this.expectations = new ControllerExpectations(ctx.clock);
    this.podControl = new PodControl(ctx.client, ctx.recorder);
    this.apiVersion = apiVersionOf(kind.resource);
    const rsInformer = ctx.informers.informerFor<ReplicaSet>(kind.resource);
    const podInformer = ctx.informers.informerFor<Pod>(Resources.pods);
    this.rsLister = rsInformer.lister;
    this.podLister = podInformer.lister;
    rsInformer.addHandlers({
      onAdd: (rs) => this.queue.add(objectKey(rs)),
      onUpdate: (_old, cur) => this.queue.add(objectKey(cur)),
      onDelete: (rs) => {
        const key = objectKey(rs);
        this.expectations.delete(key);
        this.queue.add(key);
      },
    });
    podInformer.addHandlers({
      onAdd: (pod) => this.podAdded(pod),
      onUpdate: (old, cur) => this.podUpdated(old, cur),
      onDelete: (pod) => this.podDeleted(pod),
    });
  }

  async sync(key: string): Promise<void> {
    const rs = this.rsLister.get(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    let selector: LabelSelector;
    try {
      selector = this.kind.selectorOf(rs);
    } catch (err) {
      // A selector the apiserver let through but we cannot read: nothing to converge to.
      this.logger.error({ key, err: (err as Error).message }, `error converting pod selector to selector for ${this.kind.resource.kind}`);
      return;
    }
    const namespace = rs.metadata.namespace ?? '';
    const candidates = activePods(this.podLister.byIndex(IndexNames.namespace, namespace));
    const pods = await claimObjects<Pod>(candidates, {
      client: this.client,
      owner: rs,
      ownerRef: this.controllerRef(rs),
      resource: Resources.pods,
      match: (pod) => selector.matches(labelsOf(pod)),
      canAdopt: recheckOwner(this.client, this.kind.resource, rs),
    });
    let manageError: unknown;
    if (needsSync && !isBeingDeleted(rs)) {
      try {
        await this.manageReplicas(key, rs, pods);
      } catch (err) {
        manageError = err;
      }
    }
    const status = calculateReplicaSetStatus(rs, pods, manageError, this.clock.now());
    const updated = await this.writeStatus(rs, status);
    // A pod that is ready but not yet available becomes available with no event to tell us:
    // look again when minReadySeconds has passed.
    const minReady = minReadySecondsOf(updated);
    const want = specReplicas(updated);
    if (manageError === undefined && minReady > 0 && updated.status?.readyReplicas === want && updated.status?.availableReplicas !== want) {
      this.queue.addAfter(key, minReady * 1000);
    }
    if (manageError !== undefined) throw manageError;
  }

  private controllerRef(rs: ReplicaSet): OwnerReference {
    return newControllerRef(rs, this.apiVersion, this.kind.resource.kind);
  }

  /** Create or delete pods so that `pods` (active, owned) becomes `spec.replicas`, at most a burst per sync. */
  private async manageReplicas(key: string, rs: ReplicaSet, pods: readonly Pod[]): Promise<void> {
    const diff = pods.length - specReplicas(rs);
    if (diff < 0) {
      const count = Math.min(-diff, this.burstReplicas);
      this.expectations.expectCreations(key, count);
      this.logger.debug({ key, need: specReplicas(rs), creating: count }, 'too few replicas');
      const template = rs.spec?.template ?? {};
      const ref = this.controllerRef(rs);
      const { successes, error } = await slowStartBatch(count, SLOW_START_INITIAL_BATCH_SIZE, async () => {
        try {
          await this.podControl.createPod(template, rs, ref);
        } catch (err) {
          // Nothing can be created in a namespace being deleted: not worth retrying.
          if (isNamespaceTerminating(err)) return;
          throw err;
        }
      });
      // The creates never attempted (after a failing batch) will not be observed either.
      const failedOrSkipped = count - successes;
      for (let i = 0; i < failedOrSkipped; i++) this.expectations.creationObserved(key);
      if (error !== undefined) throw error;
      return;
    }
    if (diff > 0) {
      const count = Math.min(diff, this.burstReplicas);
      const victims = podsToDelete(pods, this.relatedPods(rs), count, this.clock.now());
      this.expectations.expectDeletions(
        key,
        victims.map((p) => podKey(p)),
      );
      this.logger.debug({ key, need: specReplicas(rs), deleting: count }, 'too many replicas');
      const results = await Promise.allSettled(
        victims.map(async (pod) => {
          try {
            await this.podControl.deletePod(pod.metadata.namespace, pod.metadata.name ?? '', rs);
          } catch (err) {
            // The informer will not see this deletion: stop waiting for it.
            this.expectations.deletionObserved(key, podKey(pod));
            if (!isNotFound(err)) throw err;
          }
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  /**
   * Pods of every ReplicaSet with the same controller as `rs` (the ReplicaSets of one
   * Deployment), for ranking pods that share a node with their siblings first on scale-down.
   */
  private relatedPods(rs: ReplicaSet): Pod[] {
    const ref = controllerRefOf(rs);
    if (!ref) return [];
    const seen = new Set<string>();
    const out: Pod[] = [];
    for (const sibling of this.rsLister.byIndex(IndexNames.controllerUid, ref.uid)) {
      let selector: LabelSelector;
      try {
        selector = this.kind.selectorOf(sibling);
      } catch {
        continue;
      }
      for (const pod of this.podLister.byIndex(IndexNames.namespace, sibling.metadata.namespace ?? '')) {
        const uid = pod.metadata.uid ?? objectKey(pod);
        if (seen.has(uid) || !selector.matches(labelsOf(pod))) continue;
        seen.add(uid);
        out.push(pod);
      }
    }
    return out;
  }

  /** Writes status when it changed (one retry on a fresh copy, as kube does); returns what is stored. */
  private async writeStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<ReplicaSet> {
    if (!statusNeedsUpdate(rs, status)) return rs;
    const next: ReplicaSetStatus = { ...status, observedGeneration: generationOf(rs) };
    let current = rs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.client.updateStatus<ReplicaSet>(this.kind.resource, { ...structuredClone(current), status: next });
      } catch (err) {
        if (attempt >= 1) throw err;
        current = await this.client.get<ReplicaSet>(this.kind.resource, rs.metadata.name ?? '', rs.metadata.namespace);
      }
    }
  }

  /** The owner of `ref` in the cache, if it is one of ours and the very object (uid) named. */
  private resolveControllerRef(namespace: string | undefined, ref: OwnerReference | undefined): ReplicaSet | undefined {
    if (!ref || ref.kind !== this.kind.resource.kind) return undefined;
    const rs = this.rsLister.get(namespace ? `${namespace}/${ref.name}` : ref.name);
    return rs?.metadata.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets whose selector matches an orphan pod: they may want to adopt it. */
  private selectingReplicaSets(pod: Pod): ReplicaSet[] {
    const out: ReplicaSet[] = [];
    for (const rs of this.rsLister.byIndex(IndexNames.namespace, pod.metadata.namespace ?? '')) {
      try {
        const sel = this.kind.selectorOf(rs);
        if (!sel.isEverything() && sel.matches(labelsOf(pod))) out.push(rs);
      } catch {
        // An unreadable selector selects nothing.
      }
    }
    if (out.length > 1)
      this.logger.warn({ pod: objectKey(pod), owners: out.map((rs) => rs.metadata.name) }, `more than one ${this.kind.resource.kind} selects the pod's labels`);
    return out;
  }

  private podAdded(pod: Pod): void {
    if (isBeingDeleted(pod)) {
      // Restarted controller manager: a pod already being deleted counts as deleted.
      this.podDeleted(pod);
      return;
    }
    const ref = controllerRefOf(pod);
    if (ref) {
      const rs = this.resolveControllerRef(pod.metadata.namespace, ref);
      if (!rs) return;
      const key = objectKey(rs);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    for (const rs of this.selectingReplicaSets(pod)) this.queue.add(objectKey(rs));
  }

  private podUpdated(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const labelsChanged = JSON.stringify(labelsOf(old)) !== JSON.stringify(labelsOf(cur));
    if (isBeingDeleted(cur)) {
      // Graceful deletion: the pod stops counting now, so observe the deletion now.
      this.podDeleted(cur);
      if (labelsChanged) this.podDeleted(old);
      return;
    }
    const curRef = controllerRefOf(cur);
    const oldRef = controllerRefOf(old);
    const refChanged = curRef?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const rs = this.resolveControllerRef(old.metadata.namespace, oldRef);
      if (rs) this.queue.add(objectKey(rs));
    }
    if (curRef) {
      const rs = this.resolveControllerRef(cur.metadata.namespace, curRef);
      if (!rs) return;
      const key = objectKey(rs);
      this.queue.add(key);
      const minReady = minReadySecondsOf(rs);
      if (!isPodReady(old) && isPodReady(cur) && minReady > 0) this.queue.addAfter(key, minReady * 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.selectingReplicaSets(cur)) this.queue.add(objectKey(rs));
  }

  private podDeleted(pod: Pod): void {
    const rs = this.resolveControllerRef(pod.metadata.namespace, controllerRefOf(pod));
    if (!rs) return;
    const key = objectKey(rs);
    this.expectations.deletionObserved(key, podKey(pod));
    this.queue.add(key);
  }
}

export const replicaSetControllerFactory: ControllerFactory = (ctx) => new ReplicaSetController(ctx, REPLICA_SET_KIND);

export const replicationControllerFactory: ControllerFactory = (ctx) => new ReplicaSetController(ctx, REPLICATION_CONTROLLER_KIND);
