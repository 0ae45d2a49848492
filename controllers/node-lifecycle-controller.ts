import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { type ApiClient, isConflict, isNotFound } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { objectKey, Resources } from '../kube/client/resource.js';
import type { Clock } from '../kube/clock.js';
import { isPlainObject, type KubeObject } from '../kube/object.js';
import { type Taint, taintsOf } from '../kube/taints.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';
import { EvictionLimiter } from './eviction-limiter.js';
import { markConditionsUnknown, NodeHealthTracker, readyStatus, taintRate, type ZoneState, zoneState } from './node-health.js';
import { NOT_READY_NO_EXECUTE, NOT_READY_NO_SCHEDULE, reconcileTaints, sameTaint, UNREACHABLE_NO_EXECUTE, UNREACHABLE_NO_SCHEDULE } from './node-taints.js';

/**
 * The node lifecycle controller (kube's pkg/controller/nodelifecycle, one zone): a node whose
 * kubelet has shown no sign of life (Lease renewal, Ready heartbeat) for the grace period gets
 * its conditions set Unknown ("Kubelet stopped posting node status."), its pods Ready=False, and
 * the `node.kubernetes.io/unreachable` taints: NoSchedule at once, NoExecute at the eviction rate
 * (the taint eviction controller then deletes the pods that do not tolerate it). A node that is
 * Ready again loses them. When too many nodes are down at once the NoExecute tainting slows or
 * stops (kube's disruption modes): a network partition must not empty the cluster.
 */

export interface NodeLifecycleOptions {
  /** `--node-monitor-grace-period`: silence after which a node is Unknown (kube 1.32: 50 s). */
  readonly gracePeriodMs: number;
  /** `--node-eviction-rate`: nodes per second that may get a NoExecute taint (0.1). */
  readonly evictionRate: number;
  /** `--secondary-node-eviction-rate`: that rate in a large cluster's partial disruption (0.01). */
  readonly secondaryEvictionRate: number;
  /** `--unhealthy-zone-threshold`: share of not-Ready nodes (with more than 2) that is a partial disruption (0.55). */
  readonly unhealthyZoneThreshold: number;
  /** `--large-cluster-size-threshold`: above this many nodes a partial disruption slows evictions instead of stopping them (50). */
  readonly largeClusterSizeThreshold: number;
}

export const DEFAULT_NODE_LIFECYCLE_OPTIONS: NodeLifecycleOptions = {
  gracePeriodMs: 50_000,
  evictionRate: 0.1,
  secondaryEvictionRate: 0.01,
  unhealthyZoneThreshold: 0.55,
  largeClusterSizeThreshold: 50,
};

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const nodeNameOf = (pod: KubeObject): string | undefined => {
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  return typeof spec.nodeName === 'string' && spec.nodeName !== '' ? spec.nodeName : undefined;
};

export class NodeLifecycleController implements Controller {
  readonly name = 'nodelifecycle';
  readonly workers = 1;
  readonly queue: WorkQueue<string>;
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly recorder: EventRecorder;
  private readonly nodes: Informer;
  private readonly leases: Informer;
  private readonly pods: Informer;
  private readonly health = new NodeHealthTracker();
  private readonly limiter: EvictionLimiter;
  private zone: ZoneState = 'Normal';

  constructor(
    ctx: ControllerContext,
    private readonly options: NodeLifecycleOptions = DEFAULT_NODE_LIFECYCLE_OPTIONS,
  ) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.logger = ctx.logger.child({ controller: this.name });
    this.recorder = ctx.recorder;
    this.queue = ctx.newQueue(this.name);
    this.limiter = new EvictionLimiter(options.evictionRate, this.clock.now());
    this.nodes = ctx.informers.informerFor(Resources.nodes);
    this.leases = ctx.informers.informerFor(Resources.leases);
    this.pods = ctx.informers.informerFor(Resources.pods);
    const enqueueNode = (node: KubeObject): void => this.queue.add(node.metadata.name ?? '');
    this.nodes.addHandlers({
      onAdd: enqueueNode,
      onUpdate: (_, node) => enqueueNode(node),
      onDelete: (node) => this.health.forget(node.metadata.name ?? ''),
    });
    const enqueueLease = (lease: KubeObject): void => {
      if (lease.metadata.namespace === NODE_LEASE_NAMESPACE) this.queue.add(lease.metadata.name ?? '');
    };
    this.leases.addHandlers({ onAdd: enqueueLease, onUpdate: (_, lease) => enqueueLease(lease) });
  }

  /** The cluster's disruption state as last computed (for tests and logs). */
  get zoneState(): ZoneState {
    return this.zone;
  }

  async sync(name: string): Promise<void> {
    const cached = this.nodes.lister.get(name);
    if (!cached) {
      this.health.forget(name);
      return;
    }
    const now = this.clock.now();
    const lease = this.leases.lister.get(`${NODE_LEASE_NAMESPACE}/${name}`);
    const silentMs = now - this.health.observe(cached, lease, now);
    let node = cached;
    if (silentMs > this.options.gracePeriodMs) {
      node = await this.markUnknown(name, now);
    } else {
      // Nothing arrives when a kubelet dies: look again the moment its grace would run out.
      this.queue.addAfter(name, this.options.gracePeriodMs - silentMs + 1);
    }
    const ready = readyStatus(node);
    if (ready !== 'True') await this.markPodsNotReady(name, now);
    await this.reconcileTaints(node, ready, now);
  }

  /** Writes the Unknown conditions unless the node already shows them; answers the node as it now is. */
  private async markUnknown(name: string, now: number): Promise<KubeObject> {
    let fresh: KubeObject;
    try {
      fresh = await this.client.get(Resources.nodes, name);
    } catch (e) {
      if (isNotFound(e)) return this.nodes.lister.get(name) ?? { apiVersion: 'v1', kind: 'Node', metadata: { name } };
      throw e;
    }
    const conditions = markConditionsUnknown(fresh, rfc3339(now));
    if (!conditions) return fresh;
    const wasReady = readyStatus(fresh) === 'True';
    const status = isPlainObject(fresh.status) ? fresh.status : {};
    const updated = await this.client.updateStatus(Resources.nodes, { ...fresh, status: { ...status, conditions } });
    this.logger.info({ node: name }, 'node stopped posting status: marked Unknown');
    if (wasReady) this.recorder.event(updated, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    return updated;
  }

  /** kube's MarkPodsNotReady: every pod bound to the node gets Ready=False (through pods/status). */
  private async markPodsNotReady(name: string, now: number): Promise<void> {
    for (const pod of this.pods.lister.list()) {
      if (nodeNameOf(pod) !== name) continue;
      const status = isPlainObject(pod.status) ? pod.status : {};
      const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isPlainObject) : [];
      const ready = conditions.find((c) => c.type === 'Ready');
      if (ready?.status === 'False') continue;
      const next = conditions.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: rfc3339(now) } : c));
      if (!ready) next.push({ type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: rfc3339(now) });
      try {
        await this.client.updateStatus(Resources.pods, { ...pod, status: { ...status, conditions: next } });
      } catch (e) {
        // Gone, or changed since the cache saw it: the update event brings it back here.
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
      this.logger.debug({ pod: objectKey(pod), node: name }, 'marked pod not ready');
    }
  }

  /**
   * The taints the node should carry for its Ready status: NoSchedule ones at once, a NoExecute
   * one only when the limiter allows a new eviction (swapping not-ready for unreachable does not
   * count as one), and no NoExecute taint at all in a full disruption.
   */
  private async reconcileTaints(node: KubeObject, ready: 'True' | 'False' | 'Unknown', now: number): Promise<void> {
    const name = node.metadata.name ?? '';
    const zone = this.updateZoneState(node, now);
    const current = taintsOf(node);
    const wanted: Taint[] = [];
    if (ready === 'Unknown') wanted.push(UNREACHABLE_NO_SCHEDULE);
    if (ready === 'False') wanted.push(NOT_READY_NO_SCHEDULE);
    if (ready !== 'True' && zone !== 'FullDisruption') {
      const want = ready === 'Unknown' ? UNREACHABLE_NO_EXECUTE : NOT_READY_NO_EXECUTE;
      const other = ready === 'Unknown' ? NOT_READY_NO_EXECUTE : UNREACHABLE_NO_EXECUTE;
      const has = (t: Taint): boolean => current.some((c) => sameTaint(c, t));
      if (has(want) || has(other)) wanted.push(want);
      else {
        const waitMs = this.limiter.tryTake(now);
        if (waitMs === 0) wanted.push(want);
        else if (Number.isFinite(waitMs)) this.queue.addAfter(name, waitMs);
        // At rate 0 the node waits for the disruption to end: that change requeues every node.
      }
    }
    if (!reconcileTaints(current, wanted, rfc3339(now))) return;
    await this.writeTaints(name, wanted, now);
  }

  /** One PUT of the node with the controller's taints brought to `wanted` on a fresh copy. */
  private async writeTaints(name: string, wanted: readonly Taint[], now: number): Promise<void> {
    let fresh: KubeObject;
    try {
      fresh = await this.client.get(Resources.nodes, name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    const taints = reconcileTaints(taintsOf(fresh), wanted, rfc3339(now));
    if (!taints) return;
    const { taints: _, ...spec } = isPlainObject(fresh.spec) ? fresh.spec : {};
    await this.client.update(Resources.nodes, { ...fresh, spec: taints.length > 0 ? { ...spec, taints } : spec });
    const added = taints.filter((t) => !taintsOf(fresh).some((c) => sameTaint(c, t)));
    this.logger.info({ node: name, taints: taints.map((t) => `${t.key}:${t.effect}`), added: added.length }, 'node taints updated');
  }

  /**
   * Recomputes the disruption state from the cached nodes (with `node` as just seen) and sets the
   * tainting rate for it; on a change every node is looked at again (full disruption lifts their
   * NoExecute taints, its end puts them back at the normal rate).
   */
  private updateZoneState(node: KubeObject, now: number): ZoneState {
    let ready = 0;
    let notReady = 0;
    for (const n of this.nodes.lister.list()) {
      const status = n.metadata.name === node.metadata.name ? readyStatus(node) : readyStatus(n);
      // A node gone silent counts as down before its own sync marks it, so that nodes failing
      // together are judged together (kube updates every node's health before its zone states).
      const lease = this.leases.lister.get(`${NODE_LEASE_NAMESPACE}/${n.metadata.name ?? ''}`);
      const silent = now - this.health.observe(n, lease, now) > this.options.gracePeriodMs;
      if (status === 'True' && !silent) ready++;
      else notReady++;
    }
    const state = zoneState(ready, notReady, this.options.unhealthyZoneThreshold);
    this.limiter.setRate(taintRate(state, ready + notReady, this.options), now);
    if (state !== this.zone) {
      this.logger.warn({ from: this.zone, to: state, ready, notReady }, 'disruption state changed');
      this.zone = state;
      for (const n of this.nodes.lister.list()) this.queue.add(n.metadata.name ?? '');
    }
    return state;
  }
}

/** The factory with the controller-manager's flags (see node-lifecycle-flags.ts). */
export function nodeLifecycleControllerFactory(options: NodeLifecycleOptions = DEFAULT_NODE_LIFECYCLE_OPTIONS): ControllerFactory {
  return (ctx) => new NodeLifecycleController(ctx, options);
}
