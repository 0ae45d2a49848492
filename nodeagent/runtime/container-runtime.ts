import type { KubeObject } from '../../kube/object.js';
import type { LogBuffer } from './log-buffer.js';

/**
 * The node agent's view of a container runtime (the kubelet's CRI, pod-level): it runs a pod's
 * containers (init containers first, one at a time, then the regular ones together), restarts
 * them by the pod's restartPolicy with CrashLoopBackOff, stops them with a grace period, and
 * keeps their output. The agent reads states and turns them into the pod's status; it never
 * decides restarts itself. Two implementations share one supervisor (pod-supervisor.ts) over a
 * `ContainerLauncher`: simulated (kwok-like, nothing runs) and process (local processes).
 */

/** When a container instance ended (metav1.Time fields are rendered from these in pod-status.ts). */
export interface TerminatedState {
  readonly kind: 'terminated';
  readonly exitCode: number;
  /** `Completed` (exit 0), `Error`, `StartError` (the command could not be started), `Unknown` (lost). */
  readonly reason: string;
  readonly message?: string;
  /** The signal number when the process was killed by one. */
  readonly signal?: number;
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  readonly containerID: string;
}

export type ContainerState =
  /** `ContainerCreating`, `PodInitializing` (waits for init containers) or `CrashLoopBackOff`. */
  | { readonly kind: 'waiting'; readonly reason: string; readonly message?: string }
  | { readonly kind: 'running'; readonly startedAtMs: number; readonly containerID: string }
  | TerminatedState;

/** One container of a running pod as the runtime sees it. */
export interface ContainerRecord {
  readonly name: string;
  /** The image as reported back (`docker.io/library/busybox:latest`); the process runtime ignores it. */
  readonly image: string;
  readonly imageID: string;
  readonly state: ContainerState;
  /** The previous instance, once the container has been restarted or is waiting to be. */
  readonly lastTerminated?: TerminatedState;
  readonly restartCount: number;
}

/** What the runtime holds for one pod. Arrays follow the order of the pod's spec. */
export interface RuntimePodState {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
  readonly podIP: string;
  readonly initContainers: readonly ContainerRecord[];
  readonly containers: readonly ContainerRecord[];
  /** `stopPod` was called: nothing will be started or restarted any more. */
  readonly stopping: boolean;
  /** Nothing runs and nothing will: stopped, or finished by its restart policy. */
  readonly finished: boolean;
}

/** Where a pod runs, as decided by the agent before it asks the runtime to start it. */
export interface PodPlacement {
  readonly nodeName: string;
  readonly podIP: string;
  readonly hostIP: string;
}

/** Why a log request cannot be answered; the log server turns it into an HTTP status. */
export type LogLookup = { readonly ok: true; readonly buffer: LogBuffer } | { readonly ok: false; readonly code: 400 | 404; readonly message: string };

/** Which pod changed: enough for the agent to find its work-queue key and its node. */
export interface PodRef {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
}

export type PodChangeListener = (pod: PodRef) => void;

export interface ContainerRuntime {
  /** `simulated` or `process`: shown in the Node's `containerRuntimeVersion` as `picokube://<name>`. */
  readonly name: 'simulated' | 'process';
  /**
   * Start the pod's containers. Idempotent by uid: a pod already known is left alone. A pod whose
   * status says its containers already run may be adopted as running (the simulated runtime does,
   * so that restarting an agent rewrites no status); the process runtime starts them again.
   */
  startPod(pod: KubeObject, placement: PodPlacement): void;
  podState(uid: string): RuntimePodState | undefined;
  /** The uid the runtime holds for `namespace/name`, if any (a pod may be replaced by a new uid). */
  uidOf(namespace: string, name: string): string | undefined;
  /** Every pod the runtime holds. */
  pods(): RuntimePodState[];
  /**
   * Stop every container: SIGTERM, then SIGKILL once `graceMs` has passed. Resolves when nothing
   * of the pod runs. Idempotent; a second call with a shorter grace shortens it.
   */
  stopPod(uid: string, graceMs: number): Promise<void>;
  /** Forget a finished pod: its logs and working directory go. */
  removePod(uid: string): void;
  /** Called after every change of a pod's containers (start, exit, restart, back-off). */
  onChange(listener: PodChangeListener): void;
  /** The output of a container of the pod `namespace/name` (`previous`: of the instance before). */
  logs(namespace: string, name: string, container: string, previous: boolean): LogLookup;
  /** Stop everything (agent shutdown) within `graceMs`. */
  shutdown(graceMs: number): Promise<void>;
}
