/**
 * Exponential backoff with jitter for redialing a peer: the n-th consecutive failure waits a
 * random delay in [d/2, d], where d = min(maxMs, minMs · 2^n). The jitter keeps replicas that
 * lost a peer at the same moment from redialing it in lockstep; the floor of d/2 keeps a replica
 * from hammering a peer that is down. A successful handshake resets it.
 */
export class Backoff {
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  private failures = 0;

  /** `random` returns a number in [0, 1); injected so tests can fix it. */
  constructor(minMs: number, maxMs: number, random: () => number = Math.random) {
    if (!(minMs > 0 && maxMs >= minMs)) throw new RangeError(`backoff needs 0 < minMs <= maxMs, got ${minMs}, ${maxMs}`);
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.random = random;
  }

  /** The delay before the next attempt, counting one more failure. */
  nextDelayMs(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  reset(): void {
    this.failures = 0;
  }
}
