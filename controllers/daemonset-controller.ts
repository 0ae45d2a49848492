import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { IndexNames } from '../kube/cache/lister.js';
import { type ApiClient, isNotFound } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { objectKey, Resources, splitKey } from '../kube/client/resource.js';
import type { Clock } from '../kube/clock.js';
import { type LabelSelector, labelSelectorFromObject } from '../kube/labels/label-selector.js';
import { isPlainObject, type KubeObject } from '../kube/object.js';
import { type Toleration, taintsOf } from '../kube/taints.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';
import { claimObjects, controllerRefOf, newControllerRef, recheckOwner } from './controller-ref.js';
import { CONTROLLER_REVISION_HASH_LABEL, type ControllerRevision, syncUpdateRevision, truncateHistory } from './controller-revision.js';
import { nodeShouldRunDaemonPod, targetNodeName, withDaemonTolerations, withNodeNameAffinity } from './daemonset-node-fit.js';
import { countDaemonSet, type DaemonSetCounts, decideNode, type NodePods, planRollingUpdate } from './daemonset-plan.js';
import { ControllerExpectations } from './expectations.js';
import { scaledValueFromIntOrPercent } from './int-or-percent.js';
import { PodControl, SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from './pod-control.js';
import { podKey } from './pod-utils.js';
import { writeStatusOverNewest } from './status-writer.js';
import { intOr, isBeingDeleted, minReadySecondsOf } from './workload-fields.js';
import type { IntOrString, Pod, PodTemplateSpec } from './workload-types.js';

/**
 * The DaemonSet controller (kube's pkg/controller/daemon): one pod on every node the template
 * fits (daemonset-node-fit.ts), placed by the default scheduler through a node affinity on the
 * node's name; pods go when their node leaves or stops fitting; RollingUpdate (maxUnavailable or
 * maxSurge) or OnDelete; ControllerRevisions for `kubectl rollout history/undo`, and the status
 * `kubectl rollout status daemonset` reads.
 */

interface DaemonSet extends KubeObject {
  spec?: Record<string, unknown> & { template?: PodTemplateSpec; minReadySeconds?: number };
  status?: Record<string, unknown>;
}

const KIND = 'DaemonSet';
/** At most this many creates or deletes per sync (kube's BurstReplicas). */
const BURST_REPLICAS = 250;
/** The label kube puts the template generation in, when the DaemonSet carries it. */
const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** An IntOrString scaled against `total`; unreadable reads as `fallback` (validation keeps it from happening). */
function scaledValue(value: unknown, total: number, roundUp: boolean, fallback: number): number {
  const v = typeof value === 'number' || typeof value === 'string' ? scaledValueFromIntOrPercent(value as IntOrString, total, roundUp) : undefined;
  return v === undefined ? fallback : Math.max(0, v);
}

function strategyOf(ds: DaemonSet): { type: 'RollingUpdate' | 'OnDelete'; maxUnavailable: unknown; maxSurge: unknown } {
  const s = isPlainObject(ds.spec?.updateStrategy) ? ds.spec.updateStrategy : {};
  const rolling = isPlainObject(s.rollingUpdate) ? s.rollingUpdate : {};
  return { type: s.type === 'OnDelete' ? 'OnDelete' : 'RollingUpdate', maxUnavailable: rolling.maxUnavailable ?? 1, maxSurge: rolling.maxSurge ?? 0 };
}

/** Node changes that can change where daemons belong (not the kubelet's heartbeats). */
function placementChanged(a: KubeObject, b: KubeObject): boolean {
  const spec = (n: KubeObject): unknown => (isPlainObject(n.spec) ? n.spec.unschedulable : undefined);
  return (
    JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {}) ||
    JSON.stringify(taintsOf(a)) !== JSON.stringify(taintsOf(b)) ||
    spec(a) !== spec(b)
  );
}

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  readonly workers = 2;
  readonly queue: WorkQueue<string>;
  readonly expectations: ControllerExpectations;
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly recorder: EventRecorder;
  private readonly logger: Logger;
  private readonly podControl: PodControl;
  private readonly sets: Informer<DaemonSet>;
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer;
  private readonly revisions: Informer<ControllerRevision>;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.recorder = ctx.recorder;
    this.logger = ctx.logger.child({ controller: this.name });
    this.queue = ctx.newQueue(this.name);
    this.expectations = new ControllerExpectations(ctx.clock);
    this.podControl = new PodControl(ctx.client, ctx.recorder);
    this.sets = ctx.informers.informerFor<DaemonSet>(Resources.daemonsets);
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
    this.nodes = ctx.informers.informerFor(Resources.nodes);
    this.revisions = ctx.informers.informerFor<ControllerRevision>(Resources.controllerrevisions);
    this.sets.addHandlers({
      onAdd: (ds) => this.queue.add(objectKey(ds)),
      onUpdate: (_, ds) => this.queue.add(objectKey(ds)),
      onDelete: (ds) => {
        this.expectations.delete(objectKey(ds));
        this.queue.add(objectKey(ds));
      },
    });
    this.pods.addHandlers({
      onAdd: (p) => {
        const key = this.ownerKey(p);
        if (key && !isBeingDeleted(p)) this.expectations.creationObserved(key);
        this.enqueuePod(p);
      },
      onUpdate: (old, p) => {
        const before = controllerRefOf(old);
        if (before && before.uid !== controllerRefOf(p)?.uid) this.enqueuePod(old);
        this.enqueuePod(p);
      },
      onDelete: (p) => {
        const key = this.ownerKey(p);
        if (key) this.expectations.deletionObserved(key, podKey(p));
        this.enqueuePod(p);
      },
    });
    this.nodes.addHandlers({
      onAdd: () => this.enqueueAll(),
      onUpdate: (old, n) => {
        if (placementChanged(old, n)) this.enqueueAll();
      },
      onDelete: () => this.enqueueAll(),
    });
    this.revisions.addHandlers({
      onAdd: (r) => this.enqueueOwner(r),
      onUpdate: (_, r) => this.enqueueOwner(r),
      onDelete: (r) => this.enqueueOwner(r),
    });
  }

  private enqueueAll(): void {
    for (const ds of this.sets.lister.list()) this.queue.add(objectKey(ds));
  }

  /** The key of the DaemonSet controlling `obj`, when it is one we have. */
  private ownerKey(obj: KubeObject): string | undefined {
    const ref = controllerRefOf(obj);
    if (ref?.kind !== KIND) return undefined;
    const ds = this.sets.lister.get(`${obj.metadata.namespace ?? ''}/${ref.name}`);
    return ds && ds.metadata.uid === ref.uid ? objectKey(ds) : undefined;
  }

  private enqueueOwner(obj: KubeObject): void {
    const key = this.ownerKey(obj);
    if (key) this.queue.add(key);
  }

  /** A pod's owner; an orphan pod wakes every DaemonSet that selects it (it may be adopted). */
  private enqueuePod(pod: Pod): void {
    if (controllerRefOf(pod)) {
      this.enqueueOwner(pod);
      return;
    }
    if (isBeingDeleted(pod)) return;
    for (const ds of this.sets.lister.byIndex(IndexNames.namespace, pod.metadata.namespace ?? '')) {
      const selector = selectorOf(ds);
      if (selector && !selector.isEverything() && selector.matches(pod.metadata.labels)) this.queue.add(objectKey(ds));
    }
  }

  async sync(key: string): Promise<void> {
    const cached = this.sets.lister.get(key);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    const ds = structuredClone(cached);
    const selector = selectorOf(ds);
    if (!selector || selector.isEverything()) {
      this.recorder.event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    const { namespace } = splitKey(key);
    const pods = await claimObjects<Pod>(this.pods.lister.byIndex(IndexNames.namespace, namespace ?? ''), {
      client: this.client,
      owner: ds,
      ownerRef: newControllerRef(ds, 'apps/v1', KIND),
      resource: Resources.pods,
      match: (p) => selector.matches(p.metadata.labels),
      canAdopt: recheckOwner(this.client, Resources.daemonsets, ds),
    });
    // Being deleted: no new revisions, pods or status; the collector takes it from here.
    if (isBeingDeleted(ds)) return;
    const owned = this.revisions.lister.byIndex(IndexNames.controllerUid, ds.metadata.uid ?? '');
    const history = await syncUpdateRevision(
      this.client,
      ds,
      owned,
      ds.spec?.template?.metadata?.labels ?? {},
      ds.spec?.template ?? {},
      intOr(ds.status?.collisionCount, 0),
    );
    const hash = history.updateRevision.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
    const nodes = this.nodePods(ds, pods);

    let failure: unknown;
    if (this.expectations.satisfied(key)) {
      try {
        await this.manage(key, ds, nodes, pods, hash);
        if (this.expectations.satisfied(key) && strategyOf(ds).type === 'RollingUpdate') await this.rollingUpdate(key, ds, nodes, hash);
      } catch (e) {
        failure = e;
      }
      const live = new Set(pods.map((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]).filter((h): h is string => h !== undefined));
      live.add(hash);
      const liveNames = new Set(
        history.revisions.filter((r) => live.has(r.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '')).map((r) => r.metadata.name ?? ''),
      );
      await truncateHistory(this.client, history.revisions, liveNames, intOr(ds.spec?.revisionHistoryLimit, 10));
    }
    await this.writeStatus(key, ds, nodes, hash, history.collisionCount);
    if (failure) throw failure;
  }

  /** Every node that exists with where the daemon fits, plus nodes that are gone but still have pods (fit: none). */
  private nodePods(ds: DaemonSet, pods: readonly Pod[]): NodePods[] {
    const byNode = new Map<string, Pod[]>();
    for (const pod of pods) {
      const node = targetNodeName(pod);
      if (node === undefined) continue;
      const list = byNode.get(node) ?? [];
      list.push(pod);
      byNode.set(node, list);
    }
    const out: NodePods[] = [];
    for (const node of this.nodes.lister.list()) {
      const name = node.metadata.name ?? '';
      out.push({ node: name, exists: true, fit: nodeShouldRunDaemonPod(node, ds.spec?.template), pods: byNode.get(name) ?? [] });
      byNode.delete(name);
    }
    for (const [node, list] of byNode) out.push({ node, exists: false, fit: { shouldRun: false, shouldContinueRunning: false }, pods: list });
    return out.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  /** Creates the missing daemons and deletes the ones that must go (kube's manage + syncNodes). */
  private async manage(key: string, ds: DaemonSet, nodes: readonly NodePods[], pods: readonly Pod[], hash: string): Promise<void> {
    const allowSurge = scaledValue(strategyOf(ds).maxSurge, 1, true, 0) > 0 && strategyOf(ds).type === 'RollingUpdate';
    const createOn: string[] = [];
    const toDelete: Pod[] = [];
    for (const entry of nodes) {
      const d = decideNode(entry, hash, allowSurge);
      if (d.create) createOn.push(entry.node);
      toDelete.push(...d.delete);
      for (const f of d.failed) {
        this.recorder.event(
          ds,
          'Warning',
          'FailedDaemonPod',
          `Found failed daemon pod ${f.metadata.namespace ?? ''}/${f.metadata.name ?? ''} on node ${entry.node}, will try to kill it`,
        );
      }
    }
    // Pods whose node is gone have no kubelet to finish them: they go at once.
    const known = new Set(this.nodes.lister.list().map((n) => n.metadata.name ?? ''));
    for (const pod of pods) {
      const node = targetNodeName(pod);
      if (node !== undefined && !known.has(node) && !toDelete.includes(pod) && !isBeingDeleted(pod)) toDelete.push(pod);
    }
    await this.syncNodes(key, ds, toDelete, createOn, hash, known);
  }

  private async rollingUpdate(key: string, ds: DaemonSet, nodes: readonly NodePods[], hash: string): Promise<void> {
    const wanted = nodes.filter((n) => n.fit.shouldRun || n.pods.length > 0);
    const desired = nodes.filter((n) => n.fit.shouldRun).length;
    const strategy = strategyOf(ds);
    let maxUnavailable = scaledValue(strategy.maxUnavailable, desired, true, 1);
    const maxSurge = scaledValue(strategy.maxSurge, desired, true, 0);
    if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
    const plan = planRollingUpdate({ nodes: wanted, hash, maxUnavailable, maxSurge, minReadySeconds: minReadySecondsOf(ds), nowMs: this.clock.now() });
    const known = new Set(this.nodes.lister.list().map((n) => n.metadata.name ?? ''));
    await this.syncNodes(key, ds, plan.deletePods, plan.createOnNodes, hash, known);
  }

  /** Issues the deletes and the creates (in slow-start batches), with expectations for both. */
  private async syncNodes(
    key: string,
    ds: DaemonSet,
    toDelete: readonly Pod[],
    createOn: readonly string[],
    hash: string,
    knownNodes: ReadonlySet<string>,
  ): Promise<void> {
    const deletes = toDelete.slice(0, BURST_REPLICAS);
    const creates = createOn.slice(0, BURST_REPLICAS);
    if (deletes.length === 0 && creates.length === 0) return;
    this.expectations.expectDeletions(key, deletes.map(podKey));
    this.expectations.raise(key, creates.length, 0);
    const errors: unknown[] = [];
    const template = this.podTemplate(ds, hash);
    let next = 0;
    const { successes, error } = await slowStartBatch(creates.length, SLOW_START_INITIAL_BATCH_SIZE, async () => {
      const node = creates[next++] ?? '';
      try {
        await this.podControl.createPod(template, ds, newControllerRef(ds, 'apps/v1', KIND), (pod) => {
          const spec = (pod.spec ?? {}) as Record<string, unknown>;
          spec.affinity = withNodeNameAffinity(spec.affinity, node);
          pod.spec = spec;
        });
      } catch (e) {
        // Never seen by the informer: stop waiting for it.
        this.expectations.creationObserved(key);
        throw e;
      }
    });
    // Creates the slow start never issued will not be observed either.
    for (let i = next; i < creates.length; i++) this.expectations.creationObserved(key);
    if (error) errors.push(error);
    if (successes < creates.length) this.logger.debug({ key, successes, wanted: creates.length }, 'daemon pod creation stopped early');
    await Promise.all(
      deletes.map(async (pod) => {
        const name = pod.metadata.name ?? '';
        const namespace = pod.metadata.namespace;
        const node = targetNodeName(pod);
        try {
          if (node !== undefined && !knownNodes.has(node) && pod.spec?.nodeName) {
            // No kubelet will ever confirm this pod stopped: remove it without a grace period (what pod GC does upstream).
            await this.client.delete(Resources.pods, name, { ...(namespace ? { namespace } : {}), gracePeriodSeconds: 0 });
            this.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
          } else {
            await this.podControl.deletePod(namespace, name, ds);
          }
        } catch (e) {
          this.expectations.deletionObserved(key, podKey(pod));
          if (!isNotFound(e)) errors.push(e);
        }
      }),
    );
    if (errors.length > 0) throw errors[0];
  }

  /** The template of new daemon pods: the revision hash label and the default daemon tolerations added (CreatePodTemplate). */
  private podTemplate(ds: DaemonSet, hash: string): PodTemplateSpec {
    const template = structuredClone(ds.spec?.template ?? {});
    const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash };
    const generation = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
    if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = generation;
    template.metadata = { ...(template.metadata ?? {}), labels };
    const spec = template.spec ?? {};
    const own = Array.isArray(spec.tolerations) ? (spec.tolerations.filter(isPlainObject) as Toleration[]) : [];
    spec.tolerations = withDaemonTolerations(own, spec.hostNetwork === true);
    template.spec = spec;
    return template;
  }

  private async writeStatus(key: string, ds: DaemonSet, nodes: readonly NodePods[], hash: string, collisionCount: number): Promise<void> {
    const nowMs = this.clock.now();
    const minReadySeconds = minReadySecondsOf(ds);
    const counts: DaemonSetCounts = countDaemonSet(nodes, hash, minReadySeconds, nowMs);
    const status: Record<string, unknown> = { ...counts, observedGeneration: intOr(ds.metadata.generation, 0) };
    if (collisionCount > 0 || ds.status?.collisionCount !== undefined) status.collisionCount = collisionCount;
    const before = ds.status ?? {};
    if (Object.entries(status).some(([k, v]) => before[k] !== v)) await writeStatusOverNewest(this.client, Resources.daemonsets, ds, status);
    // Ready pods become available after minReadySeconds without any event to say so.
    if (minReadySeconds > 0 && counts.numberReady > counts.numberAvailable) this.queue.addAfter(key, minReadySeconds * 1000);
  }
}

function selectorOf(ds: DaemonSet): LabelSelector | undefined {
  try {
    return labelSelectorFromObject(ds.spec?.selector);
  } catch {
    return undefined;
  }
}

export const daemonSetControllerFactory: ControllerFactory = (ctx) => new DaemonSetController(ctx);
