import type { LogBuffer } from './log-buffer.js';

/**
 * The small port under the pod supervisor: start one instance of one container, tell when it
 * ended, stop it. Restart policy, back-off, init ordering and bookkeeping live above it
 * (pod-supervisor.ts), so the simulated and the process runtime behave alike.
 */

/** A container of a pod spec, as far as the runtimes read it. */
export interface ContainerSpec {
  readonly name: string;
  readonly image?: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly workingDir?: string;
  readonly env?: readonly EnvVar[];
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: unknown;
}

/** The pod around a container, for the launcher: identity, annotations, addresses. */
export interface PodInfo {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
  readonly podIP: string;
  readonly hostIP: string;
  readonly serviceAccountName: string;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface LaunchRequest {
  readonly pod: PodInfo;
  readonly container: ContainerSpec;
  readonly isInit: boolean;
  /** Where the instance's output goes (stdout and stderr together); given when the launcher `keepsLogs`. */
  readonly log?: LogBuffer;
  /** Set when adopting a container the API says runs since then (only when `canResume`). */
  readonly resumeStartedAtMs?: number;
}

export interface ContainerExit {
  readonly exitCode: number;
  readonly signal?: number;
  /** Set when the instance never started (`StartError`), with why. */
  readonly startError?: string;
  readonly finishedAtMs: number;
}

export interface LaunchedContainer {
  readonly startedAtMs: number;
  /**
   * SIGTERM now, SIGKILL once `graceMs` passed; a later call with a shorter grace wins. Idempotent.
   * `onExit` may be called synchronously from here.
   */
  stop(graceMs: number): void;
}

export interface ContainerLauncher {
  readonly runtimeName: 'simulated' | 'process';
  /** Whether a container the API reports as running can be adopted without starting anything. */
  readonly canResume: boolean;
  /** Whether instances write output (the simulated runtime's are silent: no buffer is kept for them). */
  readonly keepsLogs: boolean;
  /** Start one instance; `onExit` is called exactly once, never synchronously from `launch`. */
  launch(req: LaunchRequest, onExit: (exit: ContainerExit) => void): LaunchedContainer;
  /** Free what the launcher keeps for a pod (the process runtime's working directory). */
  releasePod(uid: string): void;
}
