import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { type ApiClient, isConflict, isNotFound } from '../kube/client/api-client.js';
import { Resources, splitKey } from '../kube/client/resource.js';
import type { Clock } from '../kube/clock.js';
import type { KubeObject } from '../kube/object.js';
import type { NodeAgent } from './agent.js';
import type { AgentMetrics } from './agent-metrics.js';
import type { PodSource } from './pod-source.js';
import { computePodStatus } from './pod-status.js';
import { deletionGraceSeconds, isTerminalPhase, podPhaseOf, podSpecOf, podStatusOf } from './pod-view.js';
import type { ContainerRuntime, RuntimePodState } from './runtime/container-runtime.js';

/**
 * The pod worker of a node agent process (the kubelet's syncPod / syncTerminatingPod /
 * syncTerminatedPod, level-triggered): `sync(namespace/name)` reads the pod from the shared cache
 * and converges the runtime and the pod's status towards it.
 *
 * - A pod bound to one of our nodes and not yet known to the runtime gets an address from its
 *   node's podCIDR and is started (a pod already Succeeded or Failed is left alone: it never runs
 *   again).
 * - Its status is computed (pod-status.ts) and written with one `PUT …/status` guarded by the
 *   resourceVersion, only when it differs from what the API holds. Our own write is remembered
 *   until the cache has caught up with it, so a sync in between neither conflicts nor writes again.
 * - A pod with a deletionTimestamp has its containers stopped with its grace period (stopping runs
 *   in the background; the runtime's change re-queues the pod), then its final status is written
 *   (a terminal phase, as the kubelet does since 1.27), then the object is removed with
 *   `DELETE gracePeriodSeconds=0` and a uid precondition, so a new pod of the same name is safe.
 * - A pod past its `activeDeadlineSeconds` fails (DeadlineExceeded) and its containers stop.
 * - An instance the API does not have any more (force-deleted, or replaced by a new uid) is
 *   stopped with a short grace and forgotten.
 *
 * `sync` throws on an apiserver error; the work queue retries it with backoff.
 */

export interface PodSyncerOptions {
  readonly client: ApiClient;
  readonly clock: Clock;
  readonly runtime: ContainerRuntime;
  readonly source: PodSource;
  /** The agent of a node this process hosts. */
  readonly nodeAgent: (nodeName: string) => NodeAgent | undefined;
  /** Put a pod key back on the work queue (after a background stop, or later). */
  readonly requeue: (key: string, afterMs?: number) => void;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  readonly metrics?: AgentMetrics;
}

/** Grace for an instance whose pod vanished from the API (kubelet's minimum grace period). */
const ORPHAN_GRACE_MS = 2000;
/** Versions remembered per pod while the cache lags behind our writes (a long lag costs one conflict, then a retry). */
const STALE_RVS_MAX = 16;
/** A pod that found no free address waits this long before trying again. */
const NO_ADDRESS_RETRY_MS = 10_000;

interface Written {
  /** The resourceVersions our writes replaced: while the cache shows one of them, `pod` is newer. */
  readonly staleRvs: ReadonlySet<string>;
  readonly pod: KubeObject;
}

export class PodSyncer {
  private readonly written = new Map<string, Written>();
  /** Grace (ms) of stops in flight, by uid. */
  private readonly stopping = new Map<string, number>();
  /** Pods whose removal was asked for, key → uid (finalizers may keep them a while). */
  private readonly deleteSent = new Map<string, string>();

  constructor(private readonly options: PodSyncerOptions) {}

  async sync(key: string): Promise<void> {
    const { runtime, source } = this.options;
    const { namespace = '', name } = splitKey(key);
    const cached = source.get(key);
    const heldUid = runtime.uidOf(namespace, name);
    if (heldUid !== undefined && heldUid !== cached?.metadata.uid) {
      if (!this.forgetVanished(key, heldUid)) return;
    }
    if (!cached) {
      this.written.delete(key);
      this.deleteSent.delete(key);
      return;
    }
    const node = this.options.nodeAgent(podSpecOf(cached).nodeName);
    if (!node) return;
    const pod = this.freshest(key, cached);
    const uid = pod.metadata.uid ?? '';
    if (pod.metadata.deletionTimestamp !== undefined) return this.terminate(key, pod, node);
    let state = runtime.podState(uid);
    if (!state) {
      if (isTerminalPhase(podPhaseOf(pod))) return;
      const apiIP = podStatusOf(pod).podIP;
      const ip = node.ips.allocate(uid, typeof apiIP === 'string' ? apiIP : undefined);
      if (ip === undefined) {
        this.options.logger.warn({ pod: key, node: node.name, cidr: node.ips.cidr }, 'no pod address left on the node; retrying later');
        this.options.requeue(key, NO_ADDRESS_RETRY_MS);
        return;
      }
      runtime.startPod(pod, { nodeName: node.name, podIP: ip, hostIP: node.hostIP });
      state = runtime.podState(uid);
      if (!state) return;
    }
    const deadlineExceeded = this.checkDeadline(key, pod, state);
    await this.writeStatus(key, pod, state, node, deadlineExceeded);
    if (state.finished) node.ips.release(uid);
  }

  /**
   * `spec.activeDeadlineSeconds` from the pod's startTime (kubelet's activeDeadlineHandler): once
   * past it, the pod fails with reason DeadlineExceeded and its containers are stopped; before
   * it, the pod is looked at again when it falls due.
   */
  private checkDeadline(key: string, pod: KubeObject, state: RuntimePodState): boolean {
    const seconds = podSpecOf(pod).activeDeadlineSeconds;
    if (seconds === undefined || (state.finished && !state.stopping)) return false;
    const startTime = podStatusOf(pod).startTime;
    const now = this.options.clock.now();
    const startMs = typeof startTime === 'string' && Number.isFinite(Date.parse(startTime)) ? Date.parse(startTime) : now;
    const dueMs = startMs + seconds * 1000;
    if (now < dueMs) {
      this.options.requeue(key, dueMs - now);
      return false;
    }
    if (!state.finished) this.stopInBackground(key, state.uid, (podSpecOf(pod).terminationGracePeriodSeconds ?? 30) * 1000);
    return true;
  }

  /** Returns true once the vanished instance is gone from the runtime. */
  private forgetVanished(key: string, uid: string): boolean {
    const { runtime } = this.options;
    const held = runtime.podState(uid);
    if (held && !held.finished) {
      this.stopInBackground(key, uid, ORPHAN_GRACE_MS);
      return false;
    }
    runtime.removePod(uid);
    if (held) this.options.nodeAgent(held.nodeName)?.ips.release(uid);
    this.written.delete(key);
    return true;
  }

  private async terminate(key: string, pod: KubeObject, node: NodeAgent): Promise<void> {
    const { runtime, client } = this.options;
    const uid = pod.metadata.uid ?? '';
    const state = runtime.podState(uid);
    if (state && !state.finished) {
      this.stopInBackground(key, uid, deletionGraceSeconds(pod) * 1000);
      return;
    }
    if (state && !(state.stopping && state.finished)) {
      // Finished by its restart policy before the deletion: mark it stopped for the final status.
      await runtime.stopPod(uid, 0);
    }
    const final = runtime.podState(uid);
    if (final) await this.writeStatus(key, pod, final, node);
    if (this.deleteSent.get(key) !== uid) {
      try {
        await client.delete(Resources.pods, pod.metadata.name ?? '', {
          namespace: pod.metadata.namespace ?? '',
          gracePeriodSeconds: 0,
          preconditions: { uid },
        });
        this.options.metrics?.podDeletes.inc();
      } catch (err) {
        // Gone already, or a new pod took the name (the uid precondition failed): nothing to remove.
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      this.deleteSent.set(key, uid);
    }
    runtime.removePod(uid);
    node.ips.release(uid);
    this.written.delete(key);
  }

  private stopInBackground(key: string, uid: string, graceMs: number): void {
    const inFlight = this.stopping.get(uid);
    if (inFlight !== undefined && inFlight <= graceMs) return;
    this.stopping.set(uid, graceMs);
    void this.options.runtime.stopPod(uid, graceMs).then(() => {
      this.stopping.delete(uid);
      this.options.requeue(key);
    });
  }

  /** The cached pod, or our last write of it while the cache has not caught up with it. */
  private freshest(key: string, cached: KubeObject): KubeObject {
    const w = this.written.get(key);
    if (!w) return cached;
    if (w.staleRvs.has(cached.metadata.resourceVersion ?? '') && w.pod.metadata.uid === cached.metadata.uid) return w.pod;
    this.written.delete(key);
    return cached;
  }

  private async writeStatus(key: string, pod: KubeObject, state: RuntimePodState, node: NodeAgent, deadlineExceeded = false): Promise<void> {
    const status = computePodStatus({ pod, runtime: state, hostIP: node.hostIP, nowMs: this.options.clock.now(), deadlineExceeded });
    if (isDeepStrictEqual(status, pod.status)) return;
    try {
      const updated = await this.options.client.updateStatus(Resources.pods, { ...pod, status });
      // Writes in a row before the cache catches up: every version they replaced is stale.
      const earlier = this.written.get(key);
      const staleRvs = new Set(earlier?.pod === pod ? earlier.staleRvs : []);
      staleRvs.add(pod.metadata.resourceVersion ?? '');
      for (const rv of staleRvs) {
        if (staleRvs.size <= STALE_RVS_MAX) break;
        staleRvs.delete(rv);
      }
      this.written.set(key, { staleRvs, pod: updated });
      this.options.metrics?.statusWrites.inc();
    } catch (err) {
      // Deleted meanwhile: its DELETE event brings us back.
      if (isNotFound(err)) return;
      throw err;
    }
  }
}
