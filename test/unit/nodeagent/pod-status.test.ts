import t from 'tap';
import type { KubeObject } from '../../../kube/object.js';
import { computePodStatus, podPhase } from '../../../nodeagent/pod-status.js';
import type { RestartPolicy } from '../../../nodeagent/pod-view.js';
import type { ContainerRecord, ContainerState, RuntimePodState, TerminatedState } from '../../../nodeagent/runtime/container-runtime.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

const term = (exitCode: number, at = T0): TerminatedState => ({
  kind: 'terminated',
  exitCode,
  reason: exitCode === 0 ? 'Completed' : 'Error',
  startedAtMs: at,
  finishedAtMs: at + 5000,
  containerID: 'simulated://abc',
});
const running: ContainerState = { kind: 'running', startedAtMs: T0, containerID: 'simulated://abc' };
const creating: ContainerState = { kind: 'waiting', reason: 'ContainerCreating' };
const backoff: ContainerState = { kind: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 10s' };

function rec(state: ContainerState, extra: Partial<ContainerRecord> = {}): ContainerRecord {
  return { name: 'main', image: 'docker.io/library/busybox:latest', imageID: 'docker.io/library/busybox@sha256:1', state, restartCount: 0, ...extra };
}

t.test('the phase follows the containers and the restart policy (kubelet getPhase)', async (t) => {
  const cases: [string, RestartPolicy, ContainerRecord[], boolean, string][] = [
    ['a container being created', 'Always', [rec(creating)], false, 'Pending'],
    ['a running container', 'Never', [rec(running)], false, 'Running'],
    ['Always: an ended container is restarting', 'Always', [rec(term(0))], false, 'Running'],
    ['OnFailure: exit 0 is success', 'OnFailure', [rec(term(0))], false, 'Succeeded'],
    ['OnFailure: exit 1 waits to restart', 'OnFailure', [rec(backoff, { lastTerminated: term(1), restartCount: 1 })], false, 'Running'],
    ['Never: exit 0 is success', 'Never', [rec(term(0))], false, 'Succeeded'],
    ['Never: exit 1 is failure', 'Never', [rec(term(1))], false, 'Failed'],
    ['Never: one of two failed', 'Never', [rec(term(0)), rec(term(2), { name: 'b' })], false, 'Failed'],
    ['Always, deleted: all exited 0', 'Always', [rec(term(0))], true, 'Succeeded'],
    ['Always, deleted: one killed', 'Always', [rec(term(0)), rec(term(143), { name: 'b' })], true, 'Failed'],
    ['one running, one done', 'OnFailure', [rec(running), rec(term(0), { name: 'b' })], false, 'Running'],
  ];
  for (const [what, policy, main, terminal, phase] of cases) t.equal(podPhase(policy, [], main, terminal), phase, what);
});

t.test('init containers keep the pod Pending, and a failed one under Never fails it', async (t) => {
  const waitingMain = [rec({ kind: 'waiting', reason: 'PodInitializing' })];
  t.equal(podPhase('Always', [rec(running, { name: 'init' })], waitingMain, false), 'Pending');
  t.equal(podPhase('Never', [rec(term(1), { name: 'init' })], waitingMain, false), 'Failed');
  t.equal(podPhase('OnFailure', [rec(backoff, { name: 'init', lastTerminated: term(1) })], waitingMain, false), 'Pending');
  t.equal(podPhase('Always', [rec(term(0), { name: 'init' })], [rec(running)], false), 'Running');
});

function pod(status: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: { nodeName: 'node-1', containers: [{ name: 'main', image: 'busybox' }], ...spec },
    status: {
      phase: 'Pending',
      qosClass: 'BestEffort',
      conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T11:59:00Z' }],
      ...status,
    },
  };
}

function runtime(containers: ContainerRecord[], extra: Partial<RuntimePodState> = {}): RuntimePodState {
  return {
    uid: 'u1',
    namespace: 'default',
    name: 'p',
    nodeName: 'node-1',
    podIP: '10.244.1.2',
    initContainers: [],
    containers,
    stopping: false,
    finished: false,
    ...extra,
  };
}

const conditionsOf = (status: Json): string[] => status.conditions.map((c: Json) => `${c.type}=${c.status}${c.reason ? `(${c.reason})` : ''}`);

t.test('ContainerCreating: Pending, sandbox ready, not ready, with addresses and start time', async (t) => {
  const status: Json = computePodStatus({ pod: pod(), runtime: runtime([rec(creating)]), hostIP: '127.0.0.1', nowMs: T0 });
  t.equal(status.phase, 'Pending');
  t.same(conditionsOf(status), [
    'PodReadyToStartContainers=True',
    'Initialized=True',
    'Ready=False(ContainersNotReady)',
    'ContainersReady=False(ContainersNotReady)',
    'PodScheduled=True',
  ]);
  t.equal(status.conditions[2].message, 'containers with unready status: [main]');
  t.equal(status.podIP, '10.244.1.2');
  t.same(status.podIPs, [{ ip: '10.244.1.2' }]);
  t.equal(status.hostIP, '127.0.0.1');
  t.equal(status.startTime, '2026-01-01T12:00:00Z');
  t.equal(status.qosClass, 'BestEffort', 'fields the agent does not own are kept');
  t.same(status.containerStatuses[0].state, { waiting: { reason: 'ContainerCreating' } });
  t.equal(status.containerStatuses[0].imageID, '', 'no image ID before the first start');
  t.notOk('containerID' in status.containerStatuses[0]);
  t.equal(status.conditions[4].lastTransitionTime, '2026-01-01T11:59:00Z', "the scheduler's condition keeps its time");
});

t.test('Running: ready, started, with the container ID; the same inputs give the same status', async (t) => {
  const before = pod({ startTime: '2026-01-01T11:59:30Z' });
  const status: Json = computePodStatus({ pod: before, runtime: runtime([rec(running)]), hostIP: '127.0.0.1', nowMs: T0 + 1000 });
  t.equal(status.phase, 'Running');
  t.same(conditionsOf(status), ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
  t.same(status.containerStatuses[0], {
    name: 'main',
    state: { running: { startedAt: '2026-01-01T12:00:00Z' } },
    lastState: {},
    ready: true,
    restartCount: 0,
    image: 'docker.io/library/busybox:latest',
    imageID: 'docker.io/library/busybox@sha256:1',
    containerID: 'simulated://abc',
    started: true,
  });
  t.equal(status.startTime, '2026-01-01T11:59:30Z', 'startTime is set once');
  const again = computePodStatus({ pod: { ...before, status }, runtime: runtime([rec(running)]), hostIP: '127.0.0.1', nowMs: T0 + 50_000 });
  t.same(again, status, 'a resync without change computes the very same status (no write)');
});

t.test('Succeeded: completed containers, PodCompleted conditions, sandbox gone', async (t) => {
  const status: Json = computePodStatus({
    pod: pod({}, { restartPolicy: 'Never' }),
    runtime: runtime([rec(term(0))], { finished: true }),
    hostIP: '127.0.0.1',
    nowMs: T0,
  });
  t.equal(status.phase, 'Succeeded');
  t.same(conditionsOf(status), [
    'PodReadyToStartContainers=False',
    'Initialized=True',
    'Ready=False(PodCompleted)',
    'ContainersReady=False(PodCompleted)',
    'PodScheduled=True',
  ]);
  t.same(status.containerStatuses[0].state, {
    terminated: { exitCode: 0, reason: 'Completed', startedAt: '2026-01-01T12:00:00Z', finishedAt: '2026-01-01T12:00:05Z', containerID: 'simulated://abc' },
  });
  t.equal(status.containerStatuses[0].started, false);
});

t.test('CrashLoopBackOff: waiting with the last termination and the restart count', async (t) => {
  const status: Json = computePodStatus({
    pod: pod(),
    runtime: runtime([rec(backoff, { lastTerminated: term(1), restartCount: 2 })]),
    hostIP: '127.0.0.1',
    nowMs: T0,
  });
  t.equal(status.phase, 'Running');
  const cs = status.containerStatuses[0];
  t.same(cs.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } });
  t.equal(cs.lastState.terminated.exitCode, 1);
  t.equal(cs.restartCount, 2);
  t.equal(cs.containerID, 'simulated://abc', 'the ID of the last instance');
});

t.test('a pod stopped for deletion is terminal: never-started containers are unknown, the phase Failed', async (t) => {
  const status: Json = computePodStatus({ pod: pod(), runtime: runtime([rec(creating)], { stopping: true, finished: true }), hostIP: '127.0.0.1', nowMs: T0 });
  t.equal(status.phase, 'Failed');
  t.same(status.containerStatuses[0].state, {
    terminated: {
      exitCode: 137,
      reason: 'ContainerStatusUnknown',
      message: 'The container could not be located when the pod was terminated',
      startedAt: null,
      finishedAt: null,
      containerID: '',
    },
  });
});

t.test('a terminal phase in the API is never left', async (t) => {
  const status: Json = computePodStatus({ pod: pod({ phase: 'Failed' }), runtime: runtime([rec(running)]), hostIP: '127.0.0.1', nowMs: T0 });
  t.equal(status.phase, 'Failed');
});

t.test('init containers: Initialized waits for them, and regular containers wait in PodInitializing', async (t) => {
  const rt = runtime([rec({ kind: 'waiting', reason: 'PodInitializing' })], { initContainers: [rec(running, { name: 'setup' })] });
  const status: Json = computePodStatus({
    pod: pod({}, { initContainers: [{ name: 'setup', image: 'busybox' }] }),
    runtime: rt,
    hostIP: '127.0.0.1',
    nowMs: T0,
  });
  t.equal(status.phase, 'Pending');
  t.equal(status.conditions[1].reason, 'ContainersNotInitialized');
  t.equal(status.conditions[1].message, 'containers with incomplete status: [setup]');
  t.equal(status.initContainerStatuses[0].ready, false);
});

t.test('readiness gates hold Ready back until their condition is True', async (t) => {
  const spec = { readinessGates: [{ conditionType: 'example.com/lb' }] };
  const missing: Json = computePodStatus({ pod: pod({}, spec), runtime: runtime([rec(running)]), hostIP: '127.0.0.1', nowMs: T0 });
  t.same(conditionsOf(missing).slice(2, 4), ['Ready=False(ReadinessGatesNotReady)', 'ContainersReady=True']);
  const gate = { type: 'example.com/lb', status: 'True', lastTransitionTime: '2026-01-01T11:00:00Z' };
  const withGate: Json = computePodStatus({ pod: pod({ conditions: [gate] }, spec), runtime: runtime([rec(running)]), hostIP: '127.0.0.1', nowMs: T0 });
  t.equal(withGate.conditions[2].status, 'True');
  t.same(withGate.conditions.at(-1), gate, "someone else's condition is kept as it is");
});
