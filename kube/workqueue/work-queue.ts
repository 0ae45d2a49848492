/**
 * `RateLimitingQueue`: client-go's rate-limited, delaying work queue on an injected Clock.
 *
 * Contract (kube/workqueue/types.ts states it for every implementation):
 * - de-duplication: a key added while it waits is queued once (the `dirty` set);
 * - one worker per key: a key being processed (the `processing` set) that is added again is
 *   queued only when its worker calls `done(key)`;
 * - `addAfter(key, ms)` queues the key once the delay has passed, an earlier deadline for the
 *   same key wins; `addRateLimited` delays by max(per-key exponential backoff, overall token
 *   bucket), client-go's DefaultControllerRateLimiter;
 * - `get()` resolves with the next key, waiting while the queue is empty; waiting callers are
 *   served in the order they called;
 * - after `shutDown()` adds are ignored, delayed keys are dropped, and `get()` keeps handing out
 *   what is already queued, then resolves `undefined` (drain); `shutDownWithDrain()` also waits
 *   until every key handed out is `done`.
 */
import { type Clock, realClock } from '../clock.js';
import { MinHeap } from './min-heap.js';
import type { WorkQueueMetrics } from './queue-metrics.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';
import type { WorkQueue } from './types.js';

export interface RateLimitingQueueOptions<K> {
  readonly clock?: Clock;
  /** Per-key backoff start; default 5 ms. */
  readonly baseDelayMs?: number;
  /** Per-key backoff cap; default 1000 s. */
  readonly maxDelayMs?: number;
  /** Overall token bucket; default 10 qps, burst 100. */
  readonly qps?: number;
  readonly burst?: number;
  /** Replaces the default limiter built from the four numbers above. */
  readonly rateLimiter?: RateLimiter<K>;
  /** Name for metrics (`workqueue_*{name}`). */
  readonly name?: string;
  readonly metrics?: WorkQueueMetrics;
}

interface Delayed<K> {
  readonly key: K;
  readonly at: number;
  readonly seq: number;
}

export class RateLimitingQueue<K = string> implements WorkQueue<K> {
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<K>;
  private readonly name: string;
  private readonly metrics: WorkQueueMetrics | undefined;

  /** FIFO of keys ready to be handed out; `head` avoids O(n) shifts. */
  private queue: K[] = [];
  private head = 0;
  /** Keys that need processing (queued, or re-added while processing). */
  private readonly dirty = new Set<K>();
  /** Keys handed out and not yet `done`. */
  private readonly processing = new Set<K>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private shutting = false;
  private drainWaiters: (() => void)[] = [];

  /** Delayed keys: the earliest deadline per key, and a heap of deadlines (stale entries skipped). */
  private readonly readyAt = new Map<K, number>();
  private readonly heap = new MinHeap<Delayed<K>>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private seq = 0;
  private timerAt = Number.POSITIVE_INFINITY;
  private cancelTimer: (() => void) | undefined;

  /** For metrics: when a key was queued and when its processing started. */
  private readonly queuedAt = new Map<K, number>();
  private readonly startedAt = new Map<K, number>();

  constructor(options: RateLimitingQueueOptions<K> = {}) {
    this.clock = options.clock ?? realClock;
    this.limiter =
      options.rateLimiter ??
      defaultControllerRateLimiter<K>({
        clock: this.clock,
        ...(options.baseDelayMs === undefined ? {} : { baseDelayMs: options.baseDelayMs }),
        ...(options.maxDelayMs === undefined ? {} : { maxDelayMs: options.maxDelayMs }),
        ...(options.qps === undefined ? {} : { qps: options.qps }),
        ...(options.burst === undefined ? {} : { burst: options.burst }),
      });
    this.name = options.name ?? '';
    this.metrics = options.metrics;
  }

  add(key: K): void {
    if (this.shutting) return;
    if (this.dirty.has(key)) return;
    this.metrics?.added(this.name);
    this.dirty.add(key);
    if (this.processing.has(key)) return; // queued again by done()
    this.enqueue(key);
  }

  addAfter(key: K, delayMs: number): void {
    if (this.shutting) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + delayMs;
    const current = this.readyAt.get(key);
    if (current !== undefined && current <= at) return; // an earlier deadline is already set
    this.readyAt.set(key, at);
    this.heap.push({ key, at, seq: this.seq++ });
    this.armTimer();
  }

  addRateLimited(key: K): void {
    if (this.shutting) return;
    this.metrics?.retried(this.name);
    this.addAfter(key, this.limiter.when(key));
  }

  forget(key: K): void {
    this.limiter.forget(key);
  }

  retries(key: K): number {
    return this.limiter.retries(key);
  }

  get(): Promise<K | undefined> {
    const key = this.take();
    if (key !== undefined || this.shutting) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: K): void {
    if (!this.processing.delete(key)) return;
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.metrics?.workDone(this.name, (this.clock.now() - started) / 1000);
    if (this.dirty.has(key)) this.enqueue(key);
    else if (this.processing.size === 0) this.notifyDrained();
  }

  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys waiting for their delay (addAfter, addRateLimited). */
  delayedLen(): number {
    return this.readyAt.size;
  }

  shutDown(): void {
    if (this.shutting) return;
    this.shutting = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.readyAt.clear();
    this.heap.clear();
    // Waiters exist only while the queue is empty: nothing left to hand them.
    for (const w of this.waiters.splice(0)) w(undefined);
    if (this.processing.size === 0) this.notifyDrained();
  }

  /** Shut down, then resolve once every key handed out has been `done` (client-go's ShutDownWithDrain). */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  shuttingDown(): boolean {
    return this.shutting;
  }

  private enqueue(key: K): void {
    this.queue.push(key);
    this.queuedAt.set(key, this.clock.now());
    this.metrics?.depth(this.name, this.len());
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.take());
  }

  private take(): K | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head] as K;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    const now = this.clock.now();
    const queued = this.queuedAt.get(key);
    this.queuedAt.delete(key);
    this.startedAt.set(key, now);
    if (this.metrics) {
      this.metrics.depth(this.name, this.len());
      if (queued !== undefined) this.metrics.waited(this.name, (now - queued) / 1000);
    }
    return key;
  }

  /** One clock timer, for the earliest deadline. */
  private armTimer(): void {
    const top = this.heap.peek();
    if (!top || top.at >= this.timerAt) return;
    this.cancelTimer?.();
    this.timerAt = top.at;
    this.cancelTimer = this.clock.setTimeout(() => this.onTimer(), Math.max(0, top.at - this.clock.now()));
  }

  private onTimer(): void {
    this.cancelTimer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.shutting) return;
    const now = this.clock.now();
    for (let top = this.heap.peek(); top && top.at <= now; top = this.heap.peek()) {
      this.heap.pop();
      if (this.readyAt.get(top.key) !== top.at) continue; // superseded by an earlier deadline
      this.readyAt.delete(top.key);
      this.add(top.key);
    }
    this.armTimer();
  }

  private notifyDrained(): void {
    if (!this.shutting) return;
    for (const w of this.drainWaiters.splice(0)) w();
  }
}
