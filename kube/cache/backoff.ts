/**
 * Exponential backoff for reconnecting (client-go's reflector backoff manager: 800 ms doubling to
 * 30 s). `next()` answers the next delay and doubles it; `reset()` after a healthy stretch starts
 * over. Up to `jitter` (a fraction) is added from the injected rng so that many clients cut off
 * together do not come back in lockstep.
 */
export class Backoff {
  private currentMs: number;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly rng: () => number = Math.random,
    private readonly jitter = 0,
  ) {
    this.currentMs = initialMs;
  }

  next(): number {
    const base = this.currentMs;
    this.currentMs = Math.min(this.maxMs, this.currentMs * 2);
    return Math.min(this.maxMs, base * (1 + this.jitter * this.rng()));
  }

  reset(): void {
    this.currentMs = this.initialMs;
  }
}
