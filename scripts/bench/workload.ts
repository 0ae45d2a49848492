import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { KvAdapter } from './kv-adapter.js';
import { machineBusyCpuSeconds, processCpuSeconds, sleep } from './processes.js';

export const KEY_COUNT = 10_000;
export const VALUE_BYTES = 256;

export function benchKey(n: number): string {
  return `bench/k${String(n).padStart(5, '0')}`;
}

export function randomKey(): string {
  return benchKey(Math.floor(Math.random() * KEY_COUNT));
}

export type Operation = 'put' | 'get';

export interface WorkloadSpec {
  readonly op: Operation;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface WorkloadResult {
  readonly ops: number;
  readonly errors: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The benchmark process's CPU (client library, harness) in the measured window, % of one core. */
  readonly clientCpuPct: number;
  /** All server processes together in the measured window, % of one core. */
  readonly serverCpuPct: number;
  /**
   * Every other process on the machine in the measured window, % of one core: the machine is
   * shared, and CPU taken by others is CPU neither system had.
   */
  readonly otherCpuPct: number;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

/**
 * `concurrency` closed-loop clients on one adapter: each sends its next operation as soon as the
 * last one returns. After the warm-up, operations that start and end inside the measured window
 * count; CPU is read at the window's two edges.
 */
export async function runClosedLoop(adapter: KvAdapter, spec: WorkloadSpec, serverPids: () => number[]): Promise<WorkloadResult> {
  let phase: 'warmup' | 'measure' | 'done' = 'warmup';
  let windowStart = 0;
  let windowEnd = 0;
  const latencies: number[] = [];
  let errors = 0;

  const worker = async (): Promise<void> => {
    const value = new Uint8Array(randomBytes(VALUE_BYTES));
    while (phase !== 'done') {
      const key = randomKey();
      const t0 = performance.now();
      try {
        if (spec.op === 'put') await adapter.put(key, value);
        else await adapter.get(key);
        const t1 = performance.now();
        if (phase === 'measure' && t0 >= windowStart) latencies.push(t1 - t0);
      } catch {
        if (phase === 'measure') errors++;
        await sleep(10);
      }
    }
  };

  const workers = Array.from({ length: spec.concurrency }, () => worker());
  await sleep(spec.warmupMs);
  const pids = serverPids();
  const serverCpu0 = pids.reduce((s, pid) => s + processCpuSeconds(pid), 0);
  const clientCpu0 = process.cpuUsage();
  const machineCpu0 = machineBusyCpuSeconds();
  windowStart = performance.now();
  phase = 'measure';
  await sleep(spec.durationMs);
  phase = 'done';
  windowEnd = performance.now();
  const clientCpu = process.cpuUsage(clientCpu0);
  const serverCpu1 = pids.reduce((s, pid) => s + processCpuSeconds(pid), 0);
  const machineCpu1 = machineBusyCpuSeconds();
  await Promise.all(workers);

  const seconds = (windowEnd - windowStart) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length,
    errors,
    opsPerSec: latencies.length / seconds,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
    clientCpuPct: ((clientCpu.user + clientCpu.system) / 1e6 / seconds) * 100,
    serverCpuPct: ((serverCpu1 - serverCpu0) / seconds) * 100,
    otherCpuPct: Math.max(0, ((machineCpu1 - machineCpu0 - (serverCpu1 - serverCpu0) - (clientCpu.user + clientCpu.system) / 1e6) / seconds) * 100),
  };
}
