import { readFileSync } from 'node:fs';
import { picokubeCommand } from '../launcher/start-component.js';
import { httpStatus } from '../launcher/http-probe.js';
import type { ApiClient } from '../../kube/client/api-client.js';
import { Resources } from '../../kube/client/resource.js';
import { type ApiserverCluster, rssBytes } from './apiserver-cluster.js';
import { freePort, isRunning, type ProcessRegistry, pollUntil } from './processes.js';

const ROOT = new URL('../..', import.meta.url).pathname;

export interface BenchComponentOptions {
  /**
   * Run under `node --cpu-prof`, the profiles (one per thread; the largest is the main thread's)
   * written into `<run folder>/<name>-profiles` when the component exits gracefully (see
   * `stopComponentGracefully`).
   */
  readonly cpuProfile?: boolean;
}

/**
 * Starts `picokube <args>` (scheduler, controller-manager, node agents) against the benchmark's
 * apiserver, logging into the run folder, and resolves with its PID once /readyz answers 200.
 */
export async function startBenchComponent(
  processes: ProcessRegistry,
  cluster: ApiserverCluster,
  name: string,
  args: readonly string[],
  options: BenchComponentOptions = {},
): Promise<number> {
  const port = await freePort();
  const [node, ...rest] = picokubeCommand([...args, '--apiserver', cluster.url, '--port', String(port), '--log-level', 'warn']);
  const logFile = `${cluster.directory}/${name}.log`;
  const profile = options.cpuProfile ? ['--cpu-prof', '--cpu-prof-dir', `${cluster.directory}/${name}-profiles`] : [];
  const proc = processes.spawn(node as string, [...profile, ...rest], logFile, ROOT);
  await pollUntil(
    `${name} /readyz`,
    async () => {
      if (!isRunning(proc)) throw new Error(`${name} exited; see ${logFile}`);
      return (await httpStatus(`http://127.0.0.1:${port}/readyz`, 2000)) === 200 ? true : undefined;
    },
    300_000,
    200,
  );
  return proc.pid ?? 0;
}

/** Waits until `count` Nodes report Ready=True. */
export async function waitForReadyNodes(client: ApiClient, count: number): Promise<void> {
  await pollUntil(
    `${count} Ready nodes`,
    async () => {
      const list = await client.list(Resources.nodes);
      const ready = list.items.filter((n) =>
        ((n.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready.length >= count ? true : undefined;
    },
    600_000,
    1000,
  );
}

/** Samples the RSS of named processes every 250 ms and keeps each one's peak. */
export class PeakMemory {
  private readonly peaks = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: ReadonlyMap<string, () => readonly number[]>) {
    this.timer = setInterval(() => this.sample(), 250);
  }

  sample(): void {
    for (const [name, pids] of this.pids) for (const pid of pids()) this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, rssBytes(pid) || 0));
  }

  stop(): Map<string, number> {
    clearInterval(this.timer);
    this.sample();
    return this.peaks;
  }
}

/**
 * SIGTERM to a component (so a `--cpu-prof` profile gets written), SIGKILL after `graceMs`;
 * resolves once the PID is gone.
 */
export async function stopComponentGracefully(pid: number, graceMs = 15_000): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive()) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** User + system CPU seconds a process has used (from /proc/PID/stat); NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** USER_HZ: 100 on every Linux the benchmark runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
