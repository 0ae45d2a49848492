/**
 * Rate limiters for the work queue (client-go's `util/workqueue/default_rate_limiters.go`): each
 * answers "how long should this key wait before it is processed again". They read time only
 * through the injected `Clock`, so tests drive them with a `FakeClock`.
 */
import { type Clock, realClock } from '../clock.js';

export interface RateLimiter<K> {
  /** The delay before `key` may be processed again; records one more failure of `key`. */
  when(key: K): number;
  /** The key succeeded: its per-key backoff starts over. */
  forget(key: K): void;
  /** How many times `when` was called for `key` since its last `forget`. */
  retries(key: K): number;
}

/**
 * Per-key exponential backoff: `baseDelayMs * 2^failures`, capped at `maxDelayMs` (client-go's
 * ItemExponentialFailureRateLimiter; the controller default is 5 ms → 1000 s).
 */
export class ItemExponentialRateLimiter<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();

  constructor(
    private readonly baseDelayMs: number,
    private readonly maxDelayMs: number,
  ) {}

  when(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity long before n matters; the cap keeps the answer finite.
    const delay = this.baseDelayMs * 2 ** n;
    return Number.isFinite(delay) ? Math.min(delay, this.maxDelayMs) : this.maxDelayMs;
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * A token bucket shared by all keys (client-go's BucketRateLimiter over golang.org/x/time/rate):
 * `burst` tokens, refilled at `qps` per second. Every call reserves one token; when none is left
 * the reservation goes into debt and the answer is how long until that token exists, so a storm
 * of failures is spread out at `qps` overall.
 */
export class TokenBucketRateLimiter<K> implements RateLimiter<K> {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.lastMs = clock.now();
  }

  when(_key: K): number {
    if (this.qps <= 0) return 0;
    const now = this.clock.now();
    const elapsedMs = Math.max(0, now - this.lastMs);
    this.lastMs = Math.max(this.lastMs, now);
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.qps) / 1000);
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }

  forget(_key: K): void {}

  retries(_key: K): number {
    return 0;
  }
}

/** The longest delay any of its limiters asks for (client-go's MaxOfRateLimiter). */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  private readonly limiters: readonly RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }

  when(key: K): number {
    let delay = 0;
    for (const l of this.limiters) delay = Math.max(delay, l.when(key));
    return delay;
  }

  forget(key: K): void {
    for (const l of this.limiters) l.forget(key);
  }

  retries(key: K): number {
    let n = 0;
    for (const l of this.limiters) n = Math.max(n, l.retries(key));
    return n;
  }
}

export interface ControllerRateLimiterOptions {
  readonly clock?: Clock;
  /** First retry delay of a key; default 5 ms. */
  readonly baseDelayMs?: number;
  /** Cap of a key's delay; default 1000 s. */
  readonly maxDelayMs?: number;
  /** Overall retries per second; default 10 (0 turns the bucket off). */
  readonly qps?: number;
  /** Overall burst; default 100. */
  readonly burst?: number;
}

/** client-go's DefaultControllerRateLimiter: max(per-key 5 ms → 1000 s, bucket 10 qps burst 100). */
export function defaultControllerRateLimiter<K>(options: ControllerRateLimiterOptions = {}): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ItemExponentialRateLimiter<K>(options.baseDelayMs ?? 5, options.maxDelayMs ?? 1_000_000),
    new TokenBucketRateLimiter<K>(options.qps ?? 10, options.burst ?? 100, options.clock ?? realClock),
  );
}
