import { isPlainObject, type KubeObject } from '../kube/object.js';
import { isTerminalPhase, podSpecOf, podStatusOf, type RestartPolicy } from './pod-view.js';
import type { ContainerRecord, RuntimePodState, TerminatedState } from './runtime/container-runtime.js';
import { simulatedReadinessFails } from './runtime/simulated-runtime.js';
import { rfc3339 } from './time-format.js';

/**
 * The pod status the node agent reports, computed from the pod and what the runtime holds (the
 * kubelet's generateAPIPodStatus + getPhase + the condition generators of pkg/kubelet/status).
 * Pure and deterministic: the same inputs give the same status, so the agent writes only when
 * something really changed. Times come from the runtime's records; only a condition whose status
 * flips takes `nowMs` as its lastTransitionTime.
 *
 * Readiness: a container is ready while it runs; readinessProbe, livenessProbe and startupProbe
 * are not run (picokube runs no probes), so `started` and `ready` follow `running`; the
 * `picokube.io/simulated-ready: "false"` annotation plays a failing readiness probe (pod not Ready).
 */

export interface PodStatusInput {
  readonly pod: KubeObject;
  readonly runtime: RuntimePodState;
  readonly hostIP: string;
  readonly nowMs: number;
  /** The pod outlived `spec.activeDeadlineSeconds`: it fails, whatever its containers do. */
  readonly deadlineExceeded?: boolean;
}

export const DEADLINE_EXCEEDED = { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' } as const;

export type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** kubelet's reason for a container that vanished while its pod was terminated. */
const STATUS_UNKNOWN: Omit<TerminatedState, 'startedAtMs' | 'finishedAtMs' | 'containerID'> = {
  kind: 'terminated',
  exitCode: 137,
  reason: 'ContainerStatusUnknown',
  message: 'The container could not be located when the pod was terminated',
};

/**
 * The phase (kubelet's getPhase). `podIsTerminal`: the pod was stopped for good (deleted), so
 * a container that ended will not be restarted whatever the policy says.
 */
export function podPhase(restartPolicy: RestartPolicy, init: readonly ContainerRecord[], main: readonly ContainerRecord[], podIsTerminal: boolean): Phase {
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of init) {
    const s = c.state;
    if (s.kind === 'running') pendingInit++;
    else if (s.kind === 'terminated') failedInit += s.exitCode !== 0 ? 1 : 0;
    else if (c.lastTerminated) failedInit += c.lastTerminated.exitCode !== 0 ? 1 : 0;
    else pendingInit++;
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of main) {
    const s = c.state;
    if (s.kind === 'running') running++;
    else if (s.kind === 'terminated') {
      stopped++;
      if (s.exitCode === 0) succeeded++;
    } else if (c.lastTerminated) stopped++;
    else waiting++;
  }
  const anyRegularStarted = main.some((c) => c.state.kind !== 'waiting' || c.lastTerminated !== undefined);
  if (failedInit > 0 && restartPolicy === 'Never') return 'Failed';
  if ((pendingInit > 0 && !anyRegularStarted) || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function terminatedJson(t: TerminatedState): Record<string, unknown> {
  return {
    exitCode: t.exitCode,
    ...(t.signal !== undefined ? { signal: t.signal } : {}),
    reason: t.reason,
    ...(t.message !== undefined ? { message: t.message } : {}),
    // A container that never started has no times (Go's zero metav1.Time is null).
    startedAt: t.startedAtMs > 0 ? rfc3339(t.startedAtMs) : null,
    finishedAt: t.finishedAtMs > 0 ? rfc3339(t.finishedAtMs) : null,
    containerID: t.containerID,
  };
}

/** One entry of `containerStatuses` / `initContainerStatuses`, in the field order of the Go struct. */
export function containerStatusJson(c: ContainerRecord, isInit: boolean): Record<string, unknown> {
  const s = c.state;
  const state =
    s.kind === 'waiting'
      ? { waiting: { reason: s.reason, ...(s.message !== undefined ? { message: s.message } : {}) } }
      : s.kind === 'running'
        ? { running: { startedAt: rfc3339(s.startedAtMs) } }
        : { terminated: terminatedJson(s) };
  const containerID = s.kind === 'waiting' ? c.lastTerminated?.containerID : s.containerID;
  const hasRun = s.kind !== 'waiting' || c.lastTerminated !== undefined;
  // An init container is "ready" once it completed; a regular one while it runs (no probes).
  const ready = isInit ? s.kind === 'terminated' && s.exitCode === 0 : s.kind === 'running';
  return {
    name: c.name,
    state,
    lastState: c.lastTerminated ? { terminated: terminatedJson(c.lastTerminated) } : {},
    ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: hasRun ? c.imageID : '',
    ...(containerID !== undefined ? { containerID } : {}),
    started: s.kind === 'running',
  };
}

interface Condition {
  readonly type: string;
  readonly status: 'True' | 'False';
  readonly reason?: string;
  readonly message?: string;
}

function notReady(names: readonly string[], phase: Phase): Condition {
  if (phase === 'Succeeded') return { type: '', status: 'False', reason: 'PodCompleted' };
  return { type: '', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${names.join(' ')}]` };
}

/** The conditions the kubelet owns, in the order it writes them. */
function agentConditions(
  pod: KubeObject,
  init: readonly ContainerRecord[],
  main: readonly ContainerRecord[],
  phase: Phase,
  sandboxReady: boolean,
  existing: readonly Record<string, unknown>[],
): Condition[] {
  const initPending = init.filter((c) => !(c.state.kind === 'terminated' && c.state.exitCode === 0)).map((c) => c.name);
  const initialized: Condition =
    phase === 'Succeeded'
      ? { type: 'Initialized', status: 'True', ...(init.length > 0 ? { reason: 'PodCompleted' } : {}) }
      : initPending.length === 0
        ? { type: 'Initialized', status: 'True' }
        : {
            type: 'Initialized',
            status: 'False',
            reason: 'ContainersNotInitialized',
            message: `containers with incomplete status: [${initPending.join(' ')}]`,
          };
  // A failing readiness probe, simulated: running containers that are not ready.
  const probeFails = simulatedReadinessFails(pod.metadata.annotations ?? {});
  const unready = main.filter((c) => probeFails || c.state.kind !== 'running').map((c) => c.name);
  const containersReady: Condition =
    unready.length === 0 && main.length > 0 ? { type: 'ContainersReady', status: 'True' } : { ...notReady(unready, phase), type: 'ContainersReady' };
  let ready: Condition = { ...containersReady, type: 'Ready' };
  if (ready.status === 'True') {
    // readinessGates: every named condition must be True (set by someone else).
    const gates = (isPlainObject(pod.spec) && Array.isArray(pod.spec.readinessGates) ? pod.spec.readinessGates : []).filter(isPlainObject);
    for (const g of gates) {
      const type = typeof g.conditionType === 'string' ? g.conditionType : '';
      const found = existing.find((c) => c.type === type);
      if (found?.status !== 'True') {
        const message = found
          ? `the status of pod readiness gate "${type}" is not "True", but ${String(found.status)}`
          : `corresponding condition of pod readiness gate "${type}" does not exist.`;
        ready = { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message };
        break;
      }
    }
  }
  const scheduled = existing.find((c) => c.type === 'PodScheduled');
  return [
    { type: 'PodReadyToStartContainers', status: sandboxReady ? 'True' : 'False' },
    initialized,
    ready,
    containersReady,
    scheduled && (scheduled.status === 'True' || scheduled.status === 'False')
      ? { type: 'PodScheduled', status: scheduled.status, ...(typeof scheduled.reason === 'string' ? { reason: scheduled.reason } : {}) }
      : { type: 'PodScheduled', status: 'True' },
  ];
}

/** Conditions with kube's timestamps: a condition whose status did not change keeps its lastTransitionTime. */
function withTimes(conditions: readonly Condition[], existing: readonly Record<string, unknown>[], nowMs: number): Record<string, unknown>[] {
  return conditions.map((c) => {
    const before = existing.find((e) => e.type === c.type);
    const lastTransitionTime =
      before && before.status === c.status && typeof before.lastTransitionTime === 'string' ? before.lastTransitionTime : rfc3339(nowMs);
    return {
      type: c.type,
      status: c.status,
      lastProbeTime: null,
      lastTransitionTime,
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      ...(c.message !== undefined ? { message: c.message } : {}),
    };
  });
}

/** Containers that never ended on their own when the pod was terminated: kubelet's TerminatePod marks them unknown. */
function terminalRecords(records: readonly ContainerRecord[]): ContainerRecord[] {
  return records.map((c) =>
    c.state.kind === 'terminated'
      ? c
      : { ...c, state: { ...STATUS_UNKNOWN, startedAtMs: 0, finishedAtMs: 0, containerID: c.lastTerminated?.containerID ?? '' } },
  );
}

export function computePodStatus(input: PodStatusInput): Record<string, unknown> {
  const { pod, runtime, hostIP, nowMs } = input;
  const existing = podStatusOf(pod);
  const existingConditions = Array.isArray(existing.conditions) ? existing.conditions.filter(isPlainObject) : [];
  const spec = podSpecOf(pod);
  const stoppedForGood = runtime.stopping && runtime.finished;
  const init = stoppedForGood ? terminalRecords(runtime.initContainers) : runtime.initContainers;
  const main = stoppedForGood ? terminalRecords(runtime.containers) : runtime.containers;
  let phase = podPhase(spec.restartPolicy, init, main, stoppedForGood);
  if (stoppedForGood && !isTerminalPhase(phase)) phase = 'Failed';
  // A terminal phase is final (kubelet forces back the phase the API server shows).
  const apiPhase = typeof existing.phase === 'string' ? existing.phase : '';
  if (isTerminalPhase(apiPhase)) phase = apiPhase as Phase;
  else if (input.deadlineExceeded) phase = 'Failed';
  const ours = agentConditions(pod, init, main, phase, !runtime.finished, existingConditions);
  const ourTypes = new Set(ours.map((c) => c.type));
  const conditions = [...withTimes(ours, existingConditions, nowMs), ...existingConditions.filter((c) => !ourTypes.has(String(c.type)))];
  const status: Record<string, unknown> = { ...existing, phase, conditions };
  if (input.deadlineExceeded && !isTerminalPhase(apiPhase)) Object.assign(status, DEADLINE_EXCEEDED);
  status.hostIP = hostIP;
  status.hostIPs = [{ ip: hostIP }];
  if (runtime.podIP !== '') {
    status.podIP = runtime.podIP;
    status.podIPs = [{ ip: runtime.podIP }];
  }
  status.startTime = typeof existing.startTime === 'string' ? existing.startTime : rfc3339(nowMs);
  if (init.length > 0) status.initContainerStatuses = init.map((c) => containerStatusJson(c, true));
  status.containerStatuses = main.map((c) => containerStatusJson(c, false));
  return status;
}
