import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { apiserverArgs } from '../launcher/components.js';
import { httpStatus } from '../launcher/http-probe.js';
import { picokubeCommand } from '../launcher/start-component.js';
import { PicokubeCluster } from './picokube-cluster.js';
import { freePort, isRunning, type ProcessRegistry, pollUntil } from './processes.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const READY_TIMEOUT_MS = 120_000;

export interface ApiserverClusterOptions {
  /** Run the apiserver under `node --cpu-prof`, the profile written into the run folder when it stops gracefully. */
  readonly cpuProfile?: boolean;
  readonly logLevel?: string;
  /** Keep the run folder even when the benchmark is interrupted (Ctrl-C). */
  readonly keepDir?: boolean;
}

/**
 * The full stack for the apiserver benchmark: 3 store replicas and 1 apiserver, each a real
 * `picokube` process on a free loopback port, under one temporary folder. Every process is
 * registered with the ProcessRegistry, which ends it by PID at exit, on an error or on Ctrl-C.
 */
export class ApiserverCluster {
  readonly stores: PicokubeCluster;
  private proc: ChildProcess | undefined;
  private port = 0;
  private keepDir: boolean;

  constructor(
    private readonly processes: ProcessRegistry,
    private readonly options: ApiserverClusterOptions = {},
  ) {
    this.stores = new PicokubeCluster(processes);
    this.keepDir = options.keepDir === true;
    // On Ctrl-C the ProcessRegistry kills every process and exits at once; the folder goes too.
    // Registered after the registry's own handler, so the processes are signalled first.
    process.once('exit', () => {
      if (this.keepDir) return;
      try {
        rmSync(this.directory, { recursive: true, force: true, maxRetries: 5 });
      } catch {
        /* a process still writing; nothing more to do on the way out */
      }
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get directory(): string {
    return this.stores.directory;
  }

  get logFile(): string {
    return join(this.directory, 'apiserver.log');
  }

  get apiserverPid(): number {
    const pid = this.proc?.pid;
    if (pid === undefined) throw new Error('apiserver not started');
    return pid;
  }

  get storePids(): number[] {
    return this.stores.serverPids();
  }

  /** Starts the stores, then the apiserver; resolves once its /readyz answers 200. */
  async start(): Promise<void> {
    await this.stores.start();
    this.port = await freePort();
    const [node, ...rest] = picokubeCommand(
      apiserverArgs({ storeEndpoints: this.stores.endpoints, port: this.port, logLevel: this.options.logLevel ?? 'warn' }),
    );
    const profile = this.options.cpuProfile ? ['--cpu-prof', '--cpu-prof-dir', this.directory] : [];
    const proc = this.processes.spawn(node as string, [...profile, ...rest], this.logFile, ROOT);
    this.proc = proc;
    const outcome = await pollUntil(
      'apiserver /readyz',
      async () => {
        if (!isRunning(proc)) return 'exited' as const;
        return (await httpStatus(`${this.url}/readyz`, 2000)) === 200 ? ('ready' as const) : undefined;
      },
      READY_TIMEOUT_MS,
      100,
    );
    if (outcome === 'exited') throw new Error(`the apiserver exited before it was ready; see ${this.logFile}`);
  }

  /** SIGTERM to the apiserver (so a `--cpu-prof` profile gets written), SIGKILL after `graceMs`. */
  async stopApiserverGracefully(graceMs = 15_000): Promise<void> {
    const p = this.proc;
    if (!isRunning(p)) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  async stop(keepDir: boolean): Promise<void> {
    this.keepDir = keepDir;
    if (this.proc) await this.processes.kill(this.proc);
    await this.stores.stop(keepDir);
  }
}

/** VmRSS of a process from /proc/PID/status, in bytes; NaN once it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The value of one unlabelled sample in a Prometheus text exposition, NaN if absent. */
export function metricValue(exposition: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{\\})? (\\S+)`, 'm').exec(exposition);
  return m ? Number(m[1]) : Number.NaN;
}
