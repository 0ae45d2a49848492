/**
 * The rate at which the node lifecycle controller may start evictions, as a token bucket with a
 * burst of one (kube's RateLimitedTimedQueue over flowcontrol.NewTokenBucketRateLimiter(qps, 1)).
 * The rate can be swapped when the cluster's disruption state changes; 0 stops everything.
 * Time comes in as milliseconds, so tests drive it with a FakeClock.
 */
export class EvictionLimiter {
  private tokens = 1;
  private lastMs: number;

  constructor(
    private qps: number,
    nowMs: number,
  ) {
    this.lastMs = nowMs;
  }

  get rate(): number {
    return this.qps;
  }

  /** Changes the rate; the bucket starts over full (kube's SwapLimiter makes a new limiter). */
  setRate(qps: number, nowMs: number): void {
    if (qps === this.qps) return;
    this.qps = qps;
    this.tokens = 1;
    this.lastMs = nowMs;
  }

  /**
   * Takes a token if there is one: 0 means go ahead; otherwise how many ms until one exists
   * (Infinity at rate 0).
   */
  tryTake(nowMs: number): number {
    if (this.qps <= 0) return Number.POSITIVE_INFINITY;
    const elapsed = Math.max(0, nowMs - this.lastMs);
    this.lastMs = Math.max(this.lastMs, nowMs);
    this.tokens = Math.min(1, this.tokens + (elapsed * this.qps) / 1000);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.qps);
  }
}
