import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Informer } from '../kube/cache/informer-types.js';
import type { ApiClient } from '../kube/client/api-client.js';
import { isNotFound } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { Resources } from '../kube/client/resource.js';
import { type Clock, realClock } from '../kube/clock.js';
import type { KubeObject } from '../kube/object.js';
import { SchedulerCache } from './cache/scheduler-cache.js';
import { nodeSchedulingPropertiesChanged } from './cluster-events.js';
import { DEFAULT_SCHEDULER_NAME, newPodInfo, type PodInfo } from './framework/pod-info.js';
import type { Profile } from './framework/profile.js';
import type { Node, Pod, PodCondition } from './framework/types.js';
import { type FailureKind, type QueuedPodInfo, SchedulingQueue, type SchedulingQueueOptions } from './queue/scheduling-queue.js';
import { defaultProfile } from './registry.js';
import { ScheduleAlgorithm } from './schedule-one.js';

/** The log calls the scheduler makes (a pino logger fits). */
export interface SchedulerLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Where the scheduler reports what it did (metrics.ts turns it into Prometheus series). */
export interface SchedulerMetrics {
  /** One scheduling cycle ended, with how long the cycle itself took. */
  attempt(result: 'scheduled' | 'unschedulable' | 'error', seconds: number): void;
  /** A pod was bound: seconds since it first entered the queue, and the attempts it took. */
  podScheduled(seconds: number, attempts: number): void;
}

const silentLogger: SchedulerLogger = { debug() {}, info() {}, warn() {}, error() {} };
const noMetrics: SchedulerMetrics = { attempt() {}, podScheduled() {} };

export interface SchedulerOptions {
  readonly client: ApiClient;
  /** Every pod (bound ones fill the cache, unbound ones of our scheduler name are queued). */
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  readonly events: EventRecorder;
  readonly clock?: Clock;
  /** Pods whose `spec.schedulerName` is this are ours (default `default-scheduler`). */
  readonly schedulerName?: string;
  readonly profile?: Profile;
  /** Bind calls in flight at most; scheduling pauses while that many wait (default 64). */
  readonly maxBindsInFlight?: number;
  /** 0 (default) is upstream's adaptive percentage. */
  readonly percentageOfNodesToScore?: number;
  readonly queue?: Omit<SchedulingQueueOptions, 'clock'>;
  readonly assumedPodTtlMs?: number;
  readonly logger?: SchedulerLogger;
  readonly metrics?: SchedulerMetrics;
  /** A fine-grained clock for cycle durations (metrics only); default performance.now. */
  readonly hrNowMs?: () => number;
}

/** How many cycles run back to back before the loop lets I/O (watch events, bind answers) in. */
const CYCLES_PER_TURN = 32;
/** Event and condition messages are cut to this length (kube's NoteLengthLimit). */
const MESSAGE_LIMIT = 1024;

/**
 * The scheduler: informer handlers feed the cache (nodes, bound pods) and the queue (our
 * unbound pods); a loop pops one pod at a time, runs the synchronous scheduling cycle against
 * the cache, assumes the pod on the chosen node at once (so the next cycle sees the room taken)
 * and binds it through `pods/binding` in the background, many binds at a time. A failed bind
 * forgets the assumption and requeues with backoff; a pod that fits nowhere gets a
 * `PodScheduled=False` condition and a `FailedScheduling` Event saying why, and waits for a
 * cluster change. Handlers are registered at construction, so a standby scheduler keeps a warm
 * cache; `run()` starts scheduling (when it becomes leader).
 */
export class Scheduler {
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  readonly schedulerName: string;
  private readonly algorithm: ScheduleAlgorithm;
  private readonly client: ApiClient;
  private readonly pods: Informer<Pod>;
  private readonly events: EventRecorder;
  private readonly clock: Clock;
  private readonly logger: SchedulerLogger;
  private readonly metrics: SchedulerMetrics;
  private readonly hrNowMs: () => number;
  private readonly maxBindsInFlight: number;
  private bindsInFlight = 0;
  private slotFreed: (() => void) | undefined;
  /** Status patches in flight. */
  private readonly writes = new Set<Promise<unknown>>();
  /** Bind calls in flight (with their answer handling). */
  private readonly binds = new Set<Promise<unknown>>();
  private loop: Promise<void> | undefined;
  /** The loop waits for a pod or for a bind slot. */
  private blocked = false;
  private stopped = false;
  private cancelCleanup: (() => void) | undefined;

  constructor(options: SchedulerOptions) {
    this.client = options.client;
    this.pods = options.pods;
    this.events = options.events;
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? noMetrics;
    this.hrNowMs = options.hrNowMs ?? (() => performance.now());
    this.schedulerName = options.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.maxBindsInFlight = Math.max(1, options.maxBindsInFlight ?? 64);
    this.cache = new SchedulerCache(this.clock, options.assumedPodTtlMs);
    this.queue = new SchedulingQueue({ ...options.queue, clock: this.clock });
    this.algorithm = new ScheduleAlgorithm(options.profile ?? defaultProfile(this.schedulerName), options.percentageOfNodesToScore ?? 0);
    options.pods.addHandlers({
      onAdd: (pod) => this.guard('pod add', () => this.onPodAdd(pod)),
      onUpdate: (oldPod, pod) => this.guard('pod update', () => this.onPodUpdate(oldPod, pod)),
      onDelete: (pod) => this.guard('pod delete', () => this.onPodDelete(pod)),
    });
    options.nodes.addHandlers({
      onAdd: (node) => this.guard('node add', () => this.onNodeAdd(node)),
      onUpdate: (oldNode, node) => this.guard('node update', () => this.onNodeUpdate(oldNode, node)),
      onDelete: (node) => this.guard('node delete', () => this.cache.removeNode(node)),
    });
  }

  /** Start scheduling: the queue's flushes, the assumed-pod cleanup and the scheduling loop. Idempotent. */
  run(): void {
    if (this.loop || this.stopped) return;
    this.queue.start();
    const cleanup = (): void => {
      this.cancelCleanup = this.clock.setTimeout(() => {
        for (const key of this.cache.cleanupExpiredAssumedPods()) this.logger.warn({ pod: key }, 'assumed pod expired before its binding was seen');
        cleanup();
      }, 1000);
    };
    cleanup();
    this.loop = this.runLoop();
  }

  /** Stop scheduling and wait for the binds and status writes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.close();
    this.cancelCleanup?.();
    this.wakeLoop();
    await this.loop;
    while (this.writes.size + this.binds.size > 0) await Promise.allSettled([...this.writes, ...this.binds]);
  }

  /**
   * For tests: resolves once the loop waits (for a pod or a bind slot) and the status writes
   * are done; also the binds, unless `binds` is false (a test holding binds back).
   */
  async settle(options: { binds?: boolean } = {}): Promise<void> {
    for (let i = 0; i < 100_000; i++) {
      // A turn first: a loop woken by a new pod resumes in a microtask still pending now.
      await nextTurn();
      const loopIdle = !this.loop || this.blocked || this.stopped;
      if (loopIdle && this.writes.size === 0 && (options.binds === false || this.binds.size === 0)) return;
    }
    throw new Error('the scheduler did not settle');
  }

  /** Binds waiting for the apiserver's answer. */
  inFlightBinds(): number {
    return this.bindsInFlight;
  }

  private async runLoop(): Promise<void> {
    let cycles = 0;
    while (!this.stopped) {
      if (this.bindsInFlight >= this.maxBindsInFlight) {
        this.blocked = true;
        await new Promise<void>((resolve) => {
          this.slotFreed = resolve;
        });
        this.blocked = false;
        continue;
      }
      // Take a ready pod synchronously: no gap between taking it and assuming it.
      let qp = this.queue.tryPop();
      if (!qp) {
        this.blocked = true;
        qp = await this.queue.pop();
        this.blocked = false;
      }
      if (!qp || this.stopped) break;
      try {
        this.scheduleOne(qp);
      } catch (err) {
        this.logger.error({ err: String(err), pod: qp.podInfo.key }, 'scheduling cycle failed');
        this.queue.addUnschedulableIfNotPresent(qp, this.queue.schedulingCycle(), 'error');
      }
      if (++cycles % CYCLES_PER_TURN === 0) await nextTurn();
    }
  }

  private wakeLoop(): void {
    const wake = this.slotFreed;
    this.slotFreed = undefined;
    wake?.();
  }

  /** One scheduling cycle for one pod; the bind it may start runs on. */
  private scheduleOne(qp: QueuedPodInfo): void {
    const info = qp.podInfo;
    const current = this.pods.lister.get(info.key);
    // The pod may have been deleted or bound since it was queued, or be assumed already.
    if (!current || isAssigned(current) || current.metadata.deletionTimestamp || this.cache.isAssumed(info.key)) return;
    const cycle = this.queue.schedulingCycle();
    const started = this.hrNowMs();
    const result = this.algorithm.schedule(info, this.cache.nodes());
    const seconds = (this.hrNowMs() - started) / 1000;
    if (result.kind === 'scheduled') {
      if (!this.cache.assumePod(info, result.node.name)) {
        this.logger.warn({ pod: info.key }, 'pod already in the scheduler cache; not binding it again');
        return;
      }
      this.metrics.attempt('scheduled', seconds);
      this.logger.debug({ pod: info.key, node: result.node.name, evaluated: result.evaluatedNodes, feasible: result.feasibleNodes }, 'pod assumed');
      this.bind(qp, result.node.name, cycle);
      return;
    }
    this.metrics.attempt(result.kind, seconds);
    const reason = result.kind === 'unschedulable' ? 'Unschedulable' : 'SchedulerError';
    this.logger.info({ pod: info.key, reason, message: result.message }, 'unable to schedule pod');
    this.handleFailure(qp, cycle, result.kind, reason, result.message);
  }

  private bind(qp: QueuedPodInfo, nodeName: string, cycle: number): void {
    const { key, namespace, name, uid } = qp.podInfo;
    const body: KubeObject = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace, ...(uid ? { uid } : {}) },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    };
    this.bindsInFlight++;
    const call = this.client.createSubresource(Resources.pods, name, 'binding', body, namespace).then(
      () => {
        this.cache.finishBinding(key);
        this.events.event(qp.podInfo.pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${nodeName}`);
        this.metrics.podScheduled((this.clock.now() - qp.initialTimestamp) / 1000, qp.attempts);
      },
      (err: unknown) => {
        this.cache.forgetPod(key);
        // The room the pod held is free again.
        this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
        if (isNotFound(err)) return;
        const message = `running Bind plugin "DefaultBinder": ${err instanceof Error ? err.message : String(err)}`;
        this.logger.warn({ pod: key, node: nodeName, err: message }, 'binding failed');
        this.handleFailure(qp, cycle, 'error', 'SchedulerError', message);
      },
    );
    const settled = call
      .catch((err: unknown) => this.logger.error({ err: String(err), pod: key }, 'handling the bind answer failed'))
      .finally(() => {
        this.bindsInFlight--;
        this.wakeLoop();
      });
    this.binds.add(settled);
    void settled.finally(() => this.binds.delete(settled));
  }

  /**
   * A failed attempt: requeue the pod (unless it was deleted or bound meanwhile), record a
   * FailedScheduling Event, and set its PodScheduled condition when that changes it.
   */
  private handleFailure(qp: QueuedPodInfo, cycle: number, kind: FailureKind, reason: string, message: string): void {
    const pod = this.pods.lister.get(qp.podInfo.key);
    if (!pod || isAssigned(pod)) return;
    if (pod !== qp.podInfo.pod) qp.podInfo = newPodInfo(pod);
    this.queue.addUnschedulableIfNotPresent(qp, cycle, kind);
    const text = truncateMessage(message);
    this.events.event(pod, 'Warning', 'FailedScheduling', text);
    this.patchCondition(pod, reason, text);
  }

  private patchCondition(pod: Pod, reason: string, message: string): void {
    const conditions = Array.isArray(pod.status?.conditions) ? pod.status.conditions : [];
    const existing = conditions.find((c): c is PodCondition => typeof c === 'object' && c !== null && c.type === 'PodScheduled');
    if (existing?.status === 'False' && existing.reason === reason && existing.message === message) return;
    const now = rfc3339(this.clock.now());
    const condition: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: existing?.status === 'False' && existing.lastTransitionTime ? existing.lastTransitionTime : now,
      reason,
      message,
    };
    const { namespace, name = '' } = pod.metadata;
    const call = this.client.patch(
      Resources.pods,
      name,
      { status: { conditions: [condition] } },
      { ...(namespace ? { namespace } : {}), type: 'strategic', subresource: 'status' },
    );
    this.track(
      call.catch((err: unknown) => this.logger.warn({ pod: `${namespace}/${name}`, err: String(err) }, 'could not update the PodScheduled condition')),
    );
  }

  private track(p: Promise<unknown>): void {
    this.writes.add(p);
    void p.finally(() => this.writes.delete(p));
  }

  private responsible(info: PodInfo): boolean {
    return info.schedulerName === this.schedulerName;
  }

  private onPodAdd(pod: Pod): void {
    const info = newPodInfo(pod);
    if (info.nodeName !== '') {
      this.cache.addPodInfo(info);
      return;
    }
    if (!info.terminal && !info.terminating && this.responsible(info)) this.queue.add(info);
  }

  private onPodUpdate(_oldPod: Pod, pod: Pod): void {
    const info = newPodInfo(pod);
    if (info.nodeName !== '') {
      // Bound (by us, confirming the assumption, or by someone else): no longer pending.
      this.queue.delete(info.key);
      this.cache.addPodInfo(info);
      return;
    }
    if (info.terminal || info.terminating || !this.responsible(info)) {
      this.queue.delete(info.key);
      return;
    }
    // An assumed pod's bind is in flight; its answer decides what happens next.
    if (this.cache.isAssumed(info.key)) return;
    this.queue.update(info);
  }

  private onPodDelete(pod: Pod): void {
    const info = newPodInfo(pod);
    this.queue.delete(info.key);
    const counted = this.cache.nodeOf(info.key) !== undefined;
    if (this.cache.isAssumed(info.key)) this.cache.forgetPod(info.key);
    else this.cache.removePod(pod);
    if (counted) this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
  }

  private onNodeAdd(node: Node): void {
    this.cache.addNode(node);
    this.queue.moveAllToActiveOrBackoff('NodeAdd');
  }

  private onNodeUpdate(oldNode: Node, node: Node): void {
    this.cache.updateNode(node);
    if (nodeSchedulingPropertiesChanged(oldNode, node)) this.queue.moveAllToActiveOrBackoff('NodeUpdate');
  }

  /** Handlers never throw into the informer: bad objects are logged and skipped. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ err: String(err) }, `scheduler ${what} handler failed`);
    }
  }
}

function isAssigned(pod: Pod): boolean {
  const nodeName = pod.spec?.nodeName;
  return typeof nodeName === 'string' && nodeName !== '';
}

/** kube-scheduler's truncateMessage: at most 1024 characters, ending " ..." when cut. */
export function truncateMessage(message: string): string {
  if (message.length <= MESSAGE_LIMIT) return message;
  return `${message.slice(0, MESSAGE_LIMIT - 4)} ...`;
}

/** RFC 3339 with seconds precision, as metav1.Time marshals. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
