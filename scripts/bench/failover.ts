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
  /** Longest stretch without a successful write, from the last success before the kill on (ms). */
  readonly gapMs: number;
  /** From the kill to the first success after it (ms). */
  readonly killToFirstSuccessMs: number;
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
  const successes: number[] = [];
  let errors = 0;
  let running = true;
  const worker = async (): Promise<void> => {
    const value = new Uint8Array(randomBytes(VALUE_BYTES));
    while (running) {
      try {
        await adapter.put(randomKey(), value);
        successes.push(performance.now());
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
    const firstAfter = await pollUntil('a successful write after the kill', async () => successes.find((t) => t > killAt), spec.giveUpMs, 5).catch(() => undefined);
    if (firstAfter !== undefined) await sleep(spec.afterRecoveryMs);
    running = false;
    await Promise.all(workers);

    const sorted = [...successes].sort((a, b) => a - b);
    const lastBefore = [...sorted].reverse().find((t) => t <= killAt) ?? killAt;
    let gapMs = firstAfter === undefined ? performance.now() - lastBefore : 0;
    let prev = lastBefore;
    for (const t of sorted) {
      if (t <= lastBefore) continue;
      gapMs = Math.max(gapMs, t - prev);
      prev = t;
    }
    await cluster.restartMember(leader);
    await cluster.waitHealthy(60_000);
    return { gapMs, killToFirstSuccessMs: firstAfter === undefined ? Number.NaN : firstAfter - killAt, errors, killedMember: leader };
  } finally {
    running = false;
    await Promise.all(workers);
    await adapter.close();
  }
}
