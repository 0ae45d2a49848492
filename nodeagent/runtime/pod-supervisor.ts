import type { EventRecorder } from '../../kube/client/event-recorder.js';
import type { Clock } from '../../kube/clock.js';
import type { KubeObject } from '../../kube/object.js';
import { apiContainerStatuses, podPhaseOf, podSpecOf, type RestartPolicy } from '../pod-view.js';
import { containerIdFor, imageIdFor, normalizeImage } from './container-identity.js';
import type { ContainerExit, ContainerLauncher, ContainerSpec, LaunchedContainer, PodInfo } from './container-launcher.js';
import type {
  ContainerRecord,
  ContainerRuntime,
  ContainerState,
  LogLookup,
  PodChangeListener,
  PodPlacement,
  RuntimePodState,
  TerminatedState,
} from './container-runtime.js';
import { DEFAULT_LOG_BYTES_MAX, LogBuffer } from './log-buffer.js';
import { RestartBackoff } from './restart-backoff.js';

/**
 * The pod-level runtime over a `ContainerLauncher` (what the kubelet's kuberuntime manager does
 * over CRI): init containers run one at a time, in order, each to a successful end, before the
 * regular containers start together; a container that ends is restarted by the pod's
 * restartPolicy (Always: always; OnFailure: on a non-zero exit; Never: not), the first restart at
 * once and later ones after a CrashLoopBackOff wait (restart-backoff.ts); an init container that
 * fails under Never fails the pod. Each instance keeps its output; the one before is kept too for
 * `kubectl logs --previous`.
 */

export interface PodSupervisorOptions {
  readonly launcher: ContainerLauncher;
  readonly clock: Clock;
  /**
   * Report `ContainerCreating` until the containers start on the next turn of the clock (the
   * default); false starts them at once, so a simulated pod goes Pending → Running in one write.
   */
  readonly showCreating?: boolean;
  readonly logBytesMax?: number;
  readonly backoff?: RestartBackoff;
  /** Created/Started/Killing/BackOff events, as the kubelet records them. */
  readonly recorder?: EventRecorder;
}

interface Slot {
  readonly spec: ContainerSpec;
  readonly isInit: boolean;
  readonly image: string;
  readonly imageID: string;
  state: ContainerState;
  lastTerminated: TerminatedState | undefined;
  restartCount: number;
  /** Instances launched so far: names each container ID. */
  instances: number;
  handle: LaunchedContainer | undefined;
  logs: LogBuffer | undefined;
  previousLogs: LogBuffer | undefined;
  cancelTimer: (() => void) | undefined;
  /** Adopt this start time instead of launching anew (simulated runtime after an agent restart). */
  resumeStartedAtMs: number | undefined;
}

interface PodRun {
  readonly info: PodInfo;
  readonly pod: KubeObject;
  readonly restartPolicy: RestartPolicy;
  readonly init: Slot[];
  readonly main: Slot[];
  stage: 'creating' | 'init' | 'main';
  stopping: boolean;
  finished: boolean;
  cancelCreating: (() => void) | undefined;
  stopWaiters: (() => void)[];
}

export class PodSupervisor implements ContainerRuntime {
  readonly name: 'simulated' | 'process';
  private readonly runs = new Map<string, PodRun>();
  private readonly byKey = new Map<string, string>();
  private readonly listeners: PodChangeListener[] = [];
  private readonly backoff: RestartBackoff;

  constructor(private readonly options: PodSupervisorOptions) {
    this.name = options.launcher.runtimeName;
    this.backoff = options.backoff ?? new RestartBackoff();
  }

  onChange(listener: PodChangeListener): void {
    this.listeners.push(listener);
  }

  startPod(pod: KubeObject, placement: PodPlacement): void {
    const uid = pod.metadata.uid ?? '';
    if (uid === '' || this.runs.has(uid)) return;
    const spec = podSpecOf(pod);
    const info: PodInfo = {
      uid,
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      nodeName: placement.nodeName,
      podIP: placement.podIP,
      hostIP: placement.hostIP,
      serviceAccountName: spec.serviceAccountName,
      annotations: pod.metadata.annotations ?? {},
    };
    const waitingReason = spec.initContainers.length > 0 ? 'PodInitializing' : 'ContainerCreating';
    const slot = (c: ContainerSpec, isInit: boolean): Slot => ({
      spec: c,
      isInit,
      image: normalizeImage(c.image ?? ''),
      imageID: imageIdFor(c.image ?? ''),
      state: { kind: 'waiting', reason: waitingReason },
      lastTerminated: undefined,
      restartCount: 0,
      instances: 0,
      handle: undefined,
      logs: undefined,
      previousLogs: undefined,
      cancelTimer: undefined,
      resumeStartedAtMs: undefined,
    });
    const run: PodRun = {
      info,
      pod,
      restartPolicy: spec.restartPolicy,
      init: spec.initContainers.map((c) => slot(c, true)),
      main: spec.containers.map((c) => slot(c, false)),
      stage: 'creating',
      stopping: false,
      finished: false,
      cancelCreating: undefined,
      stopWaiters: [],
    };
    this.runs.set(uid, run);
    this.byKey.set(`${info.namespace}/${info.name}`, uid);
    if (this.adopt(run)) {
      this.advance(run);
    } else if (this.options.showCreating === false) {
      run.stage = 'init';
      this.advance(run);
    } else {
      run.cancelCreating = this.options.clock.setTimeout(() => {
        run.cancelCreating = undefined;
        run.stage = 'init';
        this.advance(run);
        this.notify(run);
      }, 0);
    }
    this.notify(run);
  }

  podState(uid: string): RuntimePodState | undefined {
    const run = this.runs.get(uid);
    return run ? snapshot(run) : undefined;
  }

  uidOf(namespace: string, name: string): string | undefined {
    return this.byKey.get(`${namespace}/${name}`);
  }

  pods(): RuntimePodState[] {
    return [...this.runs.values()].map(snapshot);
  }

  stopPod(uid: string, graceMs: number): Promise<void> {
    const run = this.runs.get(uid);
    if (!run) return Promise.resolve();
    const wasStopping = run.stopping;
    run.stopping = true;
    run.cancelCreating?.();
    run.cancelCreating = undefined;
    for (const s of [...run.init, ...run.main]) {
      s.cancelTimer?.();
      s.cancelTimer = undefined;
    }
    const done = new Promise<void>((resolve) => run.stopWaiters.push(resolve));
    const running = [...run.init, ...run.main].filter((s) => s.handle !== undefined);
    for (const s of running) {
      if (!wasStopping) this.event(run, 'Normal', 'Killing', `Stopping container ${s.spec.name}`);
      s.handle?.stop(graceMs);
    }
    this.settleStop(run);
    if (!wasStopping) this.notify(run);
    return done;
  }

  removePod(uid: string): void {
    const run = this.runs.get(uid);
    if (!run) return;
    run.stopping = true;
    run.cancelCreating?.();
    for (const s of [...run.init, ...run.main]) {
      s.cancelTimer?.();
      s.handle?.stop(0);
      s.logs?.close();
    }
    this.runs.delete(uid);
    const key = `${run.info.namespace}/${run.info.name}`;
    if (this.byKey.get(key) === uid) this.byKey.delete(key);
    this.backoff.forgetPod(uid);
    this.options.launcher.releasePod(uid);
  }

  logs(namespace: string, name: string, container: string, previous: boolean): LogLookup {
    const uid = this.byKey.get(`${namespace}/${name}`);
    const run = uid === undefined ? undefined : this.runs.get(uid);
    if (!run) return { ok: false, code: 404, message: `pod "${namespace}/${name}" is not known on this node` };
    const slot = [...run.main, ...run.init].find((s) => s.spec.name === container);
    if (!slot) return { ok: false, code: 404, message: `container "${container}" in pod "${name}" is not available` };
    if (previous) {
      if (slot.previousLogs) return { ok: true, buffer: slot.previousLogs };
      if (slot.instances > 1) return { ok: true, buffer: closedBuffer(this.options.clock) };
      return { ok: false, code: 400, message: `previous terminated container "${container}" in pod "${name}" not found` };
    }
    if (slot.instances === 0) {
      const reason = slot.state.kind === 'waiting' ? slot.state.reason : 'ContainerCreating';
      return { ok: false, code: 400, message: `container "${container}" in pod "${name}" is waiting to start: ${reason}` };
    }
    if (!slot.logs) {
      // A silent (simulated) container: an empty log that ends when the instance does.
      slot.logs = new LogBuffer(() => this.options.clock.now(), this.options.logBytesMax ?? DEFAULT_LOG_BYTES_MAX);
      if (slot.handle === undefined) slot.logs.close();
    }
    return { ok: true, buffer: slot.logs };
  }

  async shutdown(graceMs: number): Promise<void> {
    await Promise.all([...this.runs.keys()].map((uid) => this.stopPod(uid, graceMs)));
    for (const uid of [...this.runs.keys()]) this.removePod(uid);
  }

  /**
   * A pod the API already shows running (all its containers started) is adopted as it is when the
   * launcher can resume: nothing starts, and the status the agent computes equals the stored one.
   */
  private adopt(run: PodRun): boolean {
    if (!this.options.launcher.canResume || podPhaseOf(run.pod) !== 'Running') return false;
    const statuses = apiContainerStatuses(run.pod, 'containerStatuses');
    const started = new Map<string, { at: number; restarts: number }>();
    for (const s of statuses) {
      const running = (s.state as { running?: { startedAt?: unknown } } | undefined)?.running;
      const at = typeof running?.startedAt === 'string' ? Date.parse(running.startedAt) : Number.NaN;
      if (typeof s.name === 'string' && Number.isFinite(at)) started.set(s.name, { at, restarts: typeof s.restartCount === 'number' ? s.restartCount : 0 });
    }
    if (run.main.some((s) => !started.has(s.spec.name))) return false;
    const initStatuses = apiContainerStatuses(run.pod, 'initContainerStatuses');
    for (const s of run.init) {
      const prior = initStatuses.find((x) => x.name === s.spec.name);
      const term = (prior?.state as { terminated?: { startedAt?: unknown; finishedAt?: unknown; exitCode?: unknown; containerID?: unknown } } | undefined)
        ?.terminated;
      const startedAtMs = typeof term?.startedAt === 'string' ? Date.parse(term.startedAt) : this.options.clock.now();
      const finishedAtMs = typeof term?.finishedAt === 'string' ? Date.parse(term.finishedAt) : startedAtMs;
      s.instances = 1;
      s.state = {
        kind: 'terminated',
        exitCode: 0,
        reason: 'Completed',
        startedAtMs,
        finishedAtMs,
        containerID: typeof term?.containerID === 'string' ? term.containerID : containerIdFor(this.name, run.info.uid, s.spec.name, 0),
      };
    }
    for (const s of run.main) {
      const prior = started.get(s.spec.name);
      s.resumeStartedAtMs = prior?.at;
      s.restartCount = prior?.restarts ?? 0;
      s.instances = s.restartCount;
    }
    run.stage = 'main';
    return true;
  }

  /** Start whatever the pod's stage calls for. */
  private advance(run: PodRun): void {
    if (run.stopping || run.finished || run.stage === 'creating') return;
    if (run.stage === 'init') {
      for (const s of run.init) {
        if (s.state.kind === 'terminated' && s.state.exitCode === 0) continue;
        if (s.handle === undefined && s.cancelTimer === undefined) this.launch(run, s);
        return;
      }
      run.stage = 'main';
    }
    for (const s of run.main) if (s.instances === 0 || s.resumeStartedAtMs !== undefined) this.launch(run, s);
  }

  private launch(run: PodRun, slot: Slot): void {
    const containerID = containerIdFor(this.name, run.info.uid, slot.spec.name, slot.instances);
    const resume = slot.resumeStartedAtMs;
    slot.resumeStartedAtMs = undefined;
    slot.instances += 1;
    if (slot.logs) {
      slot.logs.close();
      slot.previousLogs = slot.logs;
    }
    slot.logs = this.options.launcher.keepsLogs ? new LogBuffer(() => this.options.clock.now(), this.options.logBytesMax ?? DEFAULT_LOG_BYTES_MAX) : undefined;
    let handle: LaunchedContainer | undefined;
    const onExit = (exit: ContainerExit): void => {
      if (slot.handle !== handle && slot.handle !== undefined) return;
      this.exited(run, slot, containerID, handle?.startedAtMs ?? exit.finishedAtMs, exit);
    };
    handle = this.options.launcher.launch(
      {
        pod: run.info,
        container: slot.spec,
        isInit: slot.isInit,
        ...(slot.logs ? { log: slot.logs } : {}),
        ...(resume !== undefined ? { resumeStartedAtMs: resume } : {}),
      },
      onExit,
    );
    slot.handle = handle;
    slot.state = { kind: 'running', startedAtMs: handle.startedAtMs, containerID };
    if (resume === undefined) {
      this.event(run, 'Normal', 'Created', `Created container ${slot.spec.name}`);
      this.event(run, 'Normal', 'Started', `Started container ${slot.spec.name}`);
    }
  }

  private exited(run: PodRun, slot: Slot, containerID: string, startedAtMs: number, exit: ContainerExit): void {
    if (!this.runs.has(run.info.uid)) return;
    slot.handle = undefined;
    slot.logs?.close();
    const reason = exit.startError !== undefined ? 'StartError' : exit.exitCode === 0 ? 'Completed' : 'Error';
    const term: TerminatedState = {
      kind: 'terminated',
      exitCode: exit.exitCode,
      reason,
      ...(exit.startError !== undefined ? { message: exit.startError } : {}),
      ...(exit.signal !== undefined ? { signal: exit.signal } : {}),
      startedAtMs,
      finishedAtMs: exit.finishedAtMs,
      containerID,
    };
    slot.state = term;
    if (run.stopping) {
      this.settleStop(run);
      this.notify(run);
      return;
    }
    if (slot.isInit) {
      if (exit.exitCode === 0) this.advance(run);
      else if (run.restartPolicy === 'Never') run.finished = true;
      else this.restartLater(run, slot, term);
    } else if (run.restartPolicy === 'Always' || (run.restartPolicy === 'OnFailure' && exit.exitCode !== 0)) {
      this.restartLater(run, slot, term);
    } else if (run.main.every((s) => s.state.kind === 'terminated' && s.cancelTimer === undefined)) {
      run.finished = true;
    }
    this.notify(run);
  }

  private restartLater(run: PodRun, slot: Slot, term: TerminatedState): void {
    slot.lastTerminated = term;
    const delayMs = this.backoff.delayAfterExit(run.info.uid, slot.spec.name, term.finishedAtMs);
    const restart = (): void => {
      slot.cancelTimer = undefined;
      if (run.stopping || !this.runs.has(run.info.uid)) return;
      slot.restartCount += 1;
      this.launch(run, slot);
    };
    if (delayMs === 0) {
      restart();
      return;
    }
    const message = `back-off ${formatDuration(delayMs)} restarting failed container=${slot.spec.name} pod=${run.info.name}_${run.info.namespace}(${run.info.uid})`;
    slot.state = { kind: 'waiting', reason: 'CrashLoopBackOff', message };
    this.event(
      run,
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${slot.spec.name} in pod ${run.info.name}_${run.info.namespace}(${run.info.uid})`,
    );
    slot.cancelTimer = this.options.clock.setTimeout(() => {
      restart();
      this.notify(run);
    }, delayMs);
  }

  /** Once nothing of a stopping pod runs, it is finished and its stop waiters are released. */
  private settleStop(run: PodRun): void {
    if ([...run.init, ...run.main].some((s) => s.handle !== undefined)) return;
    run.finished = true;
    const waiters = run.stopWaiters.splice(0);
    for (const w of waiters) w();
  }

  private notify(run: PodRun): void {
    for (const l of this.listeners) l(run.info);
  }

  private event(run: PodRun, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.options.recorder?.event(run.pod, type, reason, message);
  }
}

function record(s: Slot): ContainerRecord {
  return {
    name: s.spec.name,
    image: s.image,
    imageID: s.imageID,
    state: s.state,
    ...(s.lastTerminated ? { lastTerminated: s.lastTerminated } : {}),
    restartCount: s.restartCount,
  };
}

function snapshot(run: PodRun): RuntimePodState {
  return {
    uid: run.info.uid,
    namespace: run.info.namespace,
    name: run.info.name,
    nodeName: run.info.nodeName,
    podIP: run.info.podIP,
    initContainers: run.init.map(record),
    containers: run.main.map(record),
    stopping: run.stopping,
    finished: run.finished,
  };
}

function closedBuffer(clock: Clock): LogBuffer {
  const b = new LogBuffer(() => clock.now());
  b.close();
  return b;
}

/** Go's time.Duration format for whole seconds and minutes: `10s`, `2m40s`, `5m0s`. */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return m > 0 ? `${m}m${s}s` : `${s}s`;
}
