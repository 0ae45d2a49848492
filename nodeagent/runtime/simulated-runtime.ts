import type { EventRecorder } from '../../kube/client/event-recorder.js';
import type { Clock } from '../../kube/clock.js';
import type { ContainerExit, ContainerLauncher, LaunchedContainer, LaunchRequest } from './container-launcher.js';
import { PodSupervisor } from './pod-supervisor.js';

/**
 * The simulated runtime (kwok's way): nothing runs, so one process can hold thousands of nodes.
 * A container starts at once and runs until it is stopped, which it obeys at once with exit
 * code 0. Init containers complete at once. Two pod annotations make regular containers end by
 * themselves, so that Jobs can complete on simulated nodes:
 *
 * - `picokube.io/simulated-exit-code: "N"`: the containers exit with code N (0..255);
 * - `picokube.io/simulated-run-seconds: "S"`: after running S seconds (default 0 when only the
 *   exit code is given; with only run-seconds the exit code is 0).
 *
 * The pod's restartPolicy then applies as for real containers (an exiting container of an
 * `Always` pod restarts, with CrashLoopBackOff). Simulated containers write no output.
 */

export const SIMULATED_EXIT_CODE_ANNOTATION = 'picokube.io/simulated-exit-code';
/**
 * `picokube.io/simulated-ready: "false"` plays a failing readiness probe: the containers keep
 * running but the pod is not Ready (ContainersReady and Ready False) until the annotation goes.
 * The agent re-syncs a pod on every change, so it can be set and removed on a live pod.
 */
export const SIMULATED_READY_ANNOTATION = 'picokube.io/simulated-ready';

export function simulatedReadinessFails(annotations: Readonly<Record<string, string>>): boolean {
  return annotations[SIMULATED_READY_ANNOTATION] === 'false';
}
export const SIMULATED_RUN_SECONDS_ANNOTATION = 'picokube.io/simulated-run-seconds';

/** The pod's scripted end, if its annotations ask for one (malformed values are ignored). */
export function simulatedExit(annotations: Readonly<Record<string, string>>): { exitCode: number; runMs: number } | undefined {
  const code = parseWhole(annotations[SIMULATED_EXIT_CODE_ANNOTATION], 255);
  const seconds = parseWhole(annotations[SIMULATED_RUN_SECONDS_ANNOTATION], 365 * 24 * 3600);
  if (code === undefined && seconds === undefined) return undefined;
  return { exitCode: code ?? 0, runMs: (seconds ?? 0) * 1000 };
}

function parseWhole(text: string | undefined, max: number): number | undefined {
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

export class SimulatedLauncher implements ContainerLauncher {
  readonly runtimeName = 'simulated' as const;
  readonly canResume = true;
  readonly keepsLogs = false;

  constructor(private readonly clock: Clock) {}

  launch(req: LaunchRequest, onExit: (exit: ContainerExit) => void): LaunchedContainer {
    const startedAtMs = req.resumeStartedAtMs ?? this.clock.now();
    let ended = false;
    let cancel: (() => void) | undefined;
    const end = (exitCode: number): void => {
      if (ended) return;
      ended = true;
      cancel?.();
      onExit({ exitCode, finishedAtMs: this.clock.now() });
    };
    const scripted = req.isInit ? { exitCode: 0, runMs: 0 } : simulatedExit(req.pod.annotations);
    if (scripted) cancel = this.clock.setTimeout(() => end(scripted.exitCode), Math.max(0, startedAtMs + scripted.runMs - this.clock.now()));
    return { startedAtMs, stop: () => end(0) };
  }

  releasePod(): void {}
}

export interface SimulatedRuntimeOptions {
  readonly clock: Clock;
  /** Start containers at once, skipping the ContainerCreating report (`--fast`). */
  readonly fast?: boolean;
  readonly recorder?: EventRecorder;
}

export function createSimulatedRuntime(options: SimulatedRuntimeOptions): PodSupervisor {
  return new PodSupervisor({
    launcher: new SimulatedLauncher(options.clock),
    clock: options.clock,
    showCreating: options.fast !== true,
    ...(options.recorder ? { recorder: options.recorder } : {}),
  });
}
