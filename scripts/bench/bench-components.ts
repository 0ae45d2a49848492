import { picokubeCommand } from '../launcher/start-component.js';
import { httpStatus } from '../launcher/http-probe.js';
import type { ApiClient } from '../../kube/client/api-client.js';
import { Resources } from '../../kube/client/resource.js';
import { type ApiserverCluster, rssBytes } from './apiserver-cluster.js';
import { freePort, isRunning, type ProcessRegistry, pollUntil } from './processes.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * Starts `picokube <args>` (scheduler, controller-manager, node agents) against the benchmark's
 * apiserver, logging into the run folder, and resolves with its PID once /readyz answers 200.
 */
export async function startBenchComponent(processes: ProcessRegistry, cluster: ApiserverCluster, name: string, args: readonly string[]): Promise<number> {
  const port = await freePort();
  const [node, ...rest] = picokubeCommand([...args, '--apiserver', cluster.url, '--port', String(port), '--log-level', 'warn']);
  const logFile = `${cluster.directory}/${name}.log`;
  const proc = processes.spawn(node as string, rest, logFile, ROOT);
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
      const ready = list.items.filter((n) => ((n.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
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
