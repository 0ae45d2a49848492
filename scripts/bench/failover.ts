import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { BenchCluster } from './bench-cluster.js';
import { randomKey, VALUE_BYTES } from './workload.js';
import { pollUntil, sleep } from './processes.js';

export interface FailoverSpec {
  readonly writers: number;
  /** Writes before the kill, so the clients have settled on the leader. */
  readonly beforeKillMs: number;
  /** Writes after the first success that follows the kill. */
  readonly afterRecoveryMs: number;
  /** Give up on a trial when no write succeeds for this long after the kill. */
  readonly giveUpMs: number;
  /** One attempt on one member may take this long before the client tries elsewhere. */
  readonly attemptTimeoutMs: number;
}

export interface FailoverResult {
  /**
   * Longest stretch without a successful write, from the last success before the kill until
   * writes flow again (ms). Writes in flight at the kill may still be acknowledged just after
   * it; the gap that counts is the one that follows them.
   */
  readonly gapMs: number;
  /** From the kill to the first success of a write sent after it (ms). */
  readonly killToRecoveryMs: number;
  readonly errors: number;
  readonly killedMember: number;
}

/**
 * One failover trial: `writers` closed-loop writers on a fresh client, kill -9 of the member that
 * leads, writes until they have flowed again for a while; then the killed member is started
 * again on its data and the cluster is left healthy for the next trial.
 */
export async function runFailover(cluster: BenchCluster, spec: FailoverSpec): Promise<FailoverResult> {
  const adapter = cluster.adapter({ attemptTimeoutMs: spec.attemptTimeoutMs });
  /** Completion times of successful writes, and for each the time it was sent. */
  const successes: number[] = [];
  const sentAt: number[] = [];
  let errors = 0;
  let running = true;
  const worker = async (): Promise<void> => {
    const value = new Uint8Array(randomBytes(VALUE_BYTES));
    while (running) {
      const t0 = performance.now();
      try {
        await adapter.put(randomKey(), value);
        successes.push(performance.now());
        sentAt.push(t0);
      } catch {
        errors++;
        await sleep(5);
      }
    }
  };
  const workers = Array.from({ length: spec.writers }, () => worker());
  try {
    await sleep(spec.beforeKillMs);
    const leader = await pollUntil('a leader to kill', async () => {
      const i = await cluster.leaderIndex();
      return i >= 0 ? i : undefined;
    });
    const killAt = performance.now();
    await cluster.killMember(leader);
    const recovery = await pollUntil(
      'a write sent after the kill to succeed',
      async () => successes.find((_, i) => (sentAt[i] ?? 0) > killAt),
      spec.giveUpMs,
      5,
    ).catch(() => undefined);
    if (recovery !== undefined) await sleep(spec.afterRecoveryMs);
    running = false;
    await Promise.all(workers);

    const sorted = [...successes].sort((a, b) => a - b);
    const lastBefore = [...sorted].reverse().find((t) => t <= killAt) ?? killAt;
    let gapMs = recovery === undefined ? performance.now() - lastBefore : 0;
    let prev = lastBefore;
    for (const t of sorted) {
      if (t <= lastBefore) continue;
      gapMs = Math.max(gapMs, t - prev);
      prev = t;
    }
    await cluster.restartMember(leader);
    await cluster.waitHealthy(60_000);
    return { gapMs, killToRecoveryMs: recovery === undefined ? Number.NaN : recovery - killAt, errors, killedMember: leader };
  } finally {
    running = false;
    await Promise.all(workers);
    await adapter.close();
  }
}
