import type { Clock } from '../../kube/clock.js';
import type { PodInfo } from '../framework/pod-info.js';
import type { Pod } from '../framework/types.js';
import { KeyedHeap } from './keyed-heap.js';

/** A pending pod in the queue, with its scheduling history. */
export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When it last entered a queue: orders activeQ among equal priorities, and starts its backoff. */
  timestamp: number;
  /** When it first entered the queue: the start of its end-to-end scheduling latency. */
  readonly initialTimestamp: number;
  /** Scheduling attempts so far (incremented by pop). */
  attempts: number;
  /** Insertion order, the last tie-break in activeQ. */
  seq: number;
}

export interface SchedulingQueueOptions {
  readonly clock: Clock;
  /** First retry delay after a failed attempt (podInitialBackoffSeconds 1). */
  readonly initialBackoffMs?: number;
  /** The backoff doubles per attempt up to this (podMaxBackoffSeconds 10). */
  readonly maxBackoffMs?: number;
  /** How often pods whose backoff ended move to activeQ. */
  readonly backoffFlushIntervalMs?: number;
  /** How often parked unschedulable pods are checked for their time limit. */
  readonly unschedulableFlushIntervalMs?: number;
  /** An unschedulable pod is retried after this long even if no cluster event moved it (podMaxInUnschedulablePodsDuration). */
  readonly maxUnschedulableMs?: number;
}

export type FailureKind = 'unschedulable' | 'error';

/**
 * kube-scheduler's PriorityQueue: three places for pending pods.
 * - activeQ: a heap, highest `spec.priority` first, then earliest timestamp; `pop` takes from it.
 * - backoffQ: pods waiting out a backoff (1 s doubling to 10 s per attempt) after a failure;
 *   flushed to activeQ every second once it is over.
 * - unschedulable: pods no node fits, parked until a cluster event that may help (node added
 *   or changed, a bound pod deleted) moves them back, or at most `maxUnschedulableMs`.
 * A pod that failed while a move request happened during its cycle goes to backoffQ, not
 * unschedulable, so the event is not lost (moveRequestCycle). Gated pods (scheduling gates)
 * wait apart until an update removes their gates. Each pod is in at most one place; a popped
 * pod is in none until `addUnschedulableIfNotPresent` brings it back.
 */
export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly backoffFlushIntervalMs: number;
  private readonly unschedulableFlushIntervalMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly activeQ = new KeyedHeap<QueuedPodInfo>(keyOf, activeLess);
  private readonly backoffQ: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly gated = new Map<string, QueuedPodInfo>();
  private readonly waiters: ((qp: QueuedPodInfo | undefined) => void)[] = [];
  private cycle = 0;
  private moveRequestCycle = -1;
  private seq = 0;
  private closed = false;
  private cancelTimers: (() => void)[] = [];

  constructor(options: SchedulingQueueOptions) {
    this.clock = options.clock;
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.backoffFlushIntervalMs = options.backoffFlushIntervalMs ?? 1000;
    this.unschedulableFlushIntervalMs = options.unschedulableFlushIntervalMs ?? 30_000;
    this.maxUnschedulableMs = options.maxUnschedulableMs ?? 5 * 60_000;
    this.backoffQ = new KeyedHeap<QueuedPodInfo>(keyOf, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  }

  /** Start the periodic flushes (backoff → active, leftover unschedulable → active). */
  start(): void {
    const every = (ms: number, fn: () => void): void => {
      const arm = (): void => {
        const cancel = this.clock.setTimeout(() => {
          if (this.closed) return;
          fn();
          arm();
        }, ms);
        this.cancelTimers.push(cancel);
      };
      arm();
    };
    every(this.backoffFlushIntervalMs, () => this.flushBackoffCompleted());
    every(this.unschedulableFlushIntervalMs, () => this.flushUnschedulableLeftover());
  }

  /** Stop: timers end, waiting `pop`s resolve undefined, later pops too. */
  close(): void {
    this.closed = true;
    for (const cancel of this.cancelTimers) cancel();
    this.cancelTimers = [];
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** A new pending pod (or a known one again: then it is an update). */
  add(podInfo: PodInfo): void {
    if (this.has(podInfo.key)) {
      this.update(podInfo);
      return;
    }
    const now = this.clock.now();
    const qp: QueuedPodInfo = { podInfo, timestamp: now, initialTimestamp: now, attempts: 0, seq: this.seq++ };
    if (podInfo.gated) this.gated.set(podInfo.key, qp);
    else this.pushActive(qp);
  }

  /**
   * A new version of a pending pod. In activeQ or backoffQ it is replaced in place; parked as
   * unschedulable it moves on when its spec or metadata changed (not for a status-only
   * change, such as our own condition patch); a gated pod whose gates are gone becomes active.
   * A pod in no queue is added.
   */
  update(podInfo: PodInfo): void {
    const key = podInfo.key;
    const active = this.activeQ.get(key);
    if (active) {
      active.podInfo = podInfo;
      this.activeQ.push(active);
      return;
    }
    const backoff = this.backoffQ.get(key);
    if (backoff) {
      backoff.podInfo = podInfo;
      this.backoffQ.push(backoff);
      return;
    }
    const parked = this.unschedulable.get(key);
    if (parked) {
      const changed = podSchedulingSpecChanged(parked.podInfo.pod, podInfo.pod);
      parked.podInfo = podInfo;
      if (changed) {
        this.unschedulable.delete(key);
        this.requeue(parked);
      }
      return;
    }
    const gated = this.gated.get(key);
    if (gated) {
      gated.podInfo = podInfo;
      if (!podInfo.gated) {
        this.gated.delete(key);
        this.pushActive(gated);
      }
      return;
    }
    this.add(podInfo);
  }

  /** The pod is gone (deleted, or bound by someone): forget it wherever it waits. */
  delete(key: string): void {
    this.activeQ.remove(key);
    this.backoffQ.remove(key);
    this.unschedulable.delete(key);
    this.gated.delete(key);
  }

  has(key: string): boolean {
    return this.activeQ.has(key) || this.backoffQ.has(key) || this.unschedulable.has(key) || this.gated.has(key);
  }

  /** The next pod to schedule; waits while activeQ is empty; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const qp = this.tryPop();
    if (qp) return Promise.resolve(qp);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The next pod to schedule if one is ready now. Starts a new scheduling cycle. */
  tryPop(): QueuedPodInfo | undefined {
    if (this.closed) return undefined;
    const qp = this.activeQ.pop();
    if (!qp) return undefined;
    this.cycle++;
    qp.attempts++;
    return qp;
  }

  /** The number of the cycle the last popped pod is in. */
  schedulingCycle(): number {
    return this.cycle;
  }

  /**
   * Bring back a pod whose attempt in `podSchedulingCycle` failed: to backoffQ after an error,
   * or when a move request came since that cycle began; to the unschedulable pods otherwise.
   * Does nothing when the pod is already queued again (an update re-added it).
   */
  addUnschedulableIfNotPresent(qp: QueuedPodInfo, podSchedulingCycle: number, kind: FailureKind): void {
    if (this.closed || this.has(qp.podInfo.key)) return;
    qp.timestamp = this.clock.now();
    if (qp.podInfo.gated) this.gated.set(qp.podInfo.key, qp);
    else if (kind === 'error' || this.moveRequestCycle >= podSchedulingCycle) this.backoffQ.push(qp);
    else this.unschedulable.set(qp.podInfo.key, qp);
  }

  /**
   * A cluster event that may make parked pods schedulable (node added or changed, bound pod
   * deleted): every unschedulable pod goes to backoffQ if still backing off, else activeQ.
   * `event` names the cause, for callers' metrics and logs.
   */
  moveAllToActiveOrBackoff(_event: string): void {
    for (const [key, qp] of this.unschedulable) {
      this.unschedulable.delete(key);
      this.requeue(qp);
    }
    this.moveRequestCycle = this.cycle;
  }

  /** Move pods whose backoff is over to activeQ (run every second). */
  flushBackoffCompleted(): void {
    const now = this.clock.now();
    for (;;) {
      const top = this.backoffQ.peek();
      if (!top || this.backoffExpiry(top) > now) break;
      this.backoffQ.pop();
      this.pushActive(top);
    }
  }

  /** Retry pods parked as unschedulable for longer than the limit. */
  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    for (const [key, qp] of this.unschedulable) {
      if (now - qp.timestamp < this.maxUnschedulableMs) continue;
      this.unschedulable.delete(key);
      this.requeue(qp);
    }
  }

  /** Pods waiting in each place (for the pending-pods gauge). */
  counts(): { active: number; backoff: number; unschedulable: number; gated: number } {
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.unschedulable.size, gated: this.gated.size };
  }

  /** The backoff after `attempts` failures: initial, doubled per further attempt, capped. */
  backoffDuration(attempts: number): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < attempts; i++) {
      if (d >= this.maxBackoffMs - d) return this.maxBackoffMs;
      d += d;
    }
    return Math.min(d, this.maxBackoffMs);
  }

  private backoffExpiry(qp: QueuedPodInfo): number {
    return qp.timestamp + this.backoffDuration(qp.attempts);
  }

  private requeue(qp: QueuedPodInfo): void {
    if (qp.podInfo.gated) this.gated.set(qp.podInfo.key, qp);
    else if (qp.attempts > 0 && this.backoffExpiry(qp) > this.clock.now()) this.backoffQ.push(qp);
    else this.pushActive(qp);
  }

  private pushActive(qp: QueuedPodInfo): void {
    this.activeQ.push(qp);
    while (this.waiters.length > 0 && this.activeQ.size > 0) {
      const next = this.tryPop();
      const waiter = this.waiters.shift();
      if (next && waiter) waiter(next);
    }
  }
}

function keyOf(qp: QueuedPodInfo): string {
  return qp.podInfo.key;
}

/** PrioritySort: higher priority first, then the earlier timestamp, then the earlier arrival. */
function activeLess(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
  if (a.podInfo.priority !== b.podInfo.priority) return a.podInfo.priority > b.podInfo.priority;
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp;
  return a.seq < b.seq;
}

/**
 * Whether a pod changed in a way that may change where it fits: anything but its status,
 * resourceVersion, generation and managedFields (kube-scheduler's isPodUpdated).
 */
export function podSchedulingSpecChanged(oldPod: Pod, newPod: Pod): boolean {
  const strip = (p: Pod): string => {
    const { resourceVersion: _rv, generation: _g, managedFields: _mf, ...meta } = p.metadata;
    return JSON.stringify([meta, p.spec]);
  };
  return strip(oldPod) !== strip(newPod);
}
