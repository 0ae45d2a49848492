import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { EventRecorder } from '../../kube/client/event-recorder.js';
import type { Clock } from '../../kube/clock.js';
import { commandLine, containerEnv } from './container-env.js';
import type { ContainerExit, ContainerLauncher, LaunchedContainer, LaunchRequest } from './container-launcher.js';
import { PodSupervisor } from './pod-supervisor.js';

/**
 * The process runtime: each container's `command` + `args` runs as a local process (the image is
 * ignored), in its own process group so that a stop reaches everything it started: SIGTERM to the
 * group, SIGKILL once the grace period is over, as the kubelet asks containerd to. The working
 * directory is the container's `workingDir` when that directory exists here, else a directory per
 * pod under `workRoot`, removed with the pod. stdout and stderr go to the instance's log buffer.
 * A container with neither command nor args runs nothing and idles until stopped (its image's
 * default command is unknown here). A command that cannot be started ends with exit code 128 and
 * reason StartError, as containerd reports it.
 */

export interface ProcessLauncherOptions {
  readonly clock: Clock;
  /** Per-pod working directories go under it. */
  readonly workRoot: string;
  /** The environment every container starts from (PATH at least). */
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly warn?: (message: string) => void;
}

/** How long to wait for the output pipes to close after the process exited before reporting the exit anyway. */
const PIPE_DRAIN_MS = 2000;

function signalNumber(signal: NodeJS.Signals | null): number | undefined {
  return signal ? constants.signals[signal] : undefined;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

export class ProcessLauncher implements ContainerLauncher {
  readonly runtimeName = 'process' as const;
  readonly canResume = false;
  readonly keepsLogs = true;
  /** Live process groups, so that an agent exit can kill them all at once. */
  private readonly live = new Set<number>();

  constructor(private readonly options: ProcessLauncherOptions) {}

  launch(req: LaunchRequest, onExit: (exit: ContainerExit) => void): LaunchedContainer {
    const clock = this.options.clock;
    const startedAtMs = clock.now();
    const { env, skipped } = containerEnv(req.container, req.pod, { ...this.options.baseEnv, HOSTNAME: req.pod.name });
    for (const s of skipped) this.options.warn?.(`pod ${req.pod.namespace}/${req.pod.name} container ${req.container.name}: ${s}`);
    const argv = commandLine(req.container, env);
    let ended = false;
    const finish = (exit: Omit<ContainerExit, 'finishedAtMs'>): void => {
      if (ended) return;
      ended = true;
      cancelKill?.();
      onExit({ ...exit, finishedAtMs: clock.now() });
    };
    let cancelKill: (() => void) | undefined;
    let killAtMs = Number.POSITIVE_INFINITY;

    const [file, ...rest] = argv;
    if (file === undefined) {
      // Nothing to run: idle until stopped, then end as a process that exits on SIGTERM would.
      return { startedAtMs, stop: () => queueMicrotask(() => finish({ exitCode: 0 })) };
    }
    let cwd: string;
    try {
      cwd = this.workingDir(req);
    } catch (err) {
      queueMicrotask(() => finish({ exitCode: 128, startError: `failed to prepare the working directory: ${(err as Error).message}` }));
      return { startedAtMs, stop: () => {} };
    }
    let child: ChildProcess;
    try {
      child = spawn(file, rest, { cwd, env: { ...env, HOME: cwd }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      queueMicrotask(() => finish({ exitCode: 128, startError: `failed to start the container process: ${(err as Error).message}` }));
      return { startedAtMs, stop: () => {} };
    }
    const pid = child.pid;
    if (pid !== undefined) this.live.add(pid);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => req.log?.write(chunk, 'stdout'));
    child.stderr?.on('data', (chunk: string) => req.log?.write(chunk, 'stderr'));
    let exitCode: number | undefined;
    let exitSignal: number | undefined;
    const report = (): void => {
      if (exitCode === undefined) return;
      finish({ exitCode, ...(exitSignal !== undefined ? { signal: exitSignal } : {}) });
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (pid !== undefined) this.live.delete(pid);
      // Spawn failures (ENOENT, EACCES) come here without an exit.
      if (exitCode === undefined)
        finish({ exitCode: 128, startError: `exec: ${JSON.stringify(file)}: ${err.code === 'ENOENT' ? 'executable file not found in $PATH' : err.message}` });
    });
    child.on('exit', (code, signal) => {
      exitSignal = signalNumber(signal);
      exitCode = code ?? 128 + (exitSignal ?? 0);
      if (pid !== undefined) {
        // Like a container's cgroup: when its main process ends, whatever it left behind goes too.
        killGroup(pid, 'SIGKILL');
        this.live.delete(pid);
      }
      clock.setTimeout(report, PIPE_DRAIN_MS);
    });
    child.on('close', () => report());

    const stop = (graceMs: number): void => {
      if (ended || pid === undefined || exitCode !== undefined) return;
      const at = clock.now() + Math.max(0, graceMs);
      if (at >= killAtMs) return;
      if (killAtMs === Number.POSITIVE_INFINITY) killGroup(pid, 'SIGTERM');
      killAtMs = at;
      cancelKill?.();
      if (graceMs <= 0) {
        killGroup(pid, 'SIGKILL');
        return;
      }
      cancelKill = clock.setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
    };
    return { startedAtMs, stop };
  }

  releasePod(uid: string): void {
    try {
      rmSync(this.podDir(uid), { recursive: true, force: true });
    } catch (err) {
      this.options.warn?.(`could not remove the working directory of pod ${uid}: ${(err as Error).message}`);
    }
  }

  /** SIGKILL every process group still alive, synchronously (for `process.on('exit')`). */
  killAll(): void {
    for (const pid of this.live) killGroup(pid, 'SIGKILL');
    this.live.clear();
  }

  /** How many container processes run. */
  get liveCount(): number {
    return this.live.size;
  }

  private podDir(uid: string): string {
    return join(this.options.workRoot, uid.replace(/[^A-Za-z0-9._-]/g, '_'));
  }

  private workingDir(req: LaunchRequest): string {
    const wanted = req.container.workingDir;
    if (wanted !== undefined) {
      try {
        if (statSync(wanted).isDirectory()) return wanted;
      } catch {
        // Not here: fall back to the pod's own directory.
      }
    }
    const dir = this.podDir(req.pod.uid);
    mkdirSync(dir, { recursive: true });
    return dir;
  }
}

export interface ProcessRuntimeOptions extends ProcessLauncherOptions {
  readonly recorder?: EventRecorder;
  readonly logBytesMax?: number;
}

/** The process runtime: its supervisor, and the launcher (for `killAll` on exit). */
export function createProcessRuntime(options: ProcessRuntimeOptions): { runtime: PodSupervisor; launcher: ProcessLauncher } {
  const launcher = new ProcessLauncher(options);
  const runtime = new PodSupervisor({
    launcher,
    clock: options.clock,
    ...(options.recorder ? { recorder: options.recorder } : {}),
    ...(options.logBytesMax !== undefined ? { logBytesMax: options.logBytesMax } : {}),
  });
  return { runtime, launcher };
}
