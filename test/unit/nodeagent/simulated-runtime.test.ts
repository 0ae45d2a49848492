import t from 'tap';
import { RecordingEventRecorder } from '../../../kube/client/event-recorder.js';
import { FakeClock } from '../../../kube/clock.js';
import type { KubeObject } from '../../../kube/object.js';
import { computePodStatus } from '../../../nodeagent/pod-status.js';
import type { RestartPolicy } from '../../../nodeagent/pod-view.js';
import { RestartBackoff } from '../../../nodeagent/runtime/restart-backoff.js';
import { createSimulatedRuntime, simulatedExit } from '../../../nodeagent/runtime/simulated-runtime.js';

const placement = { nodeName: 'node-1', podIP: '10.244.1.2', hostIP: '127.0.0.1' };

function pod(name: string, policy: RestartPolicy = 'Always', annotations: Record<string, string> = {}, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, annotations },
    spec: { nodeName: 'node-1', restartPolicy: policy, containers: [{ name: 'main', image: 'busybox' }], ...extra },
    status: { phase: 'Pending' },
  };
}

t.test('a simulated container is ContainerCreating first, then runs on the next turn of the clock', async (t) => {
  const clock = new FakeClock();
  const rt = createSimulatedRuntime({ clock });
  const changes: string[] = [];
  rt.onChange((p) => changes.push(p.name));
  rt.startPod(pod('web'), placement);
  t.same(rt.podState('uid-web')?.containers[0]?.state, { kind: 'waiting', reason: 'ContainerCreating' });
  clock.advance(0);
  const state = rt.podState('uid-web')?.containers[0]?.state;
  t.equal(state?.kind, 'running');
  t.same(changes, ['web', 'web'], 'the agent hears of both steps');
  t.equal(rt.uidOf('default', 'web'), 'uid-web');
  clock.advance(3_600_000);
  t.equal(rt.podState('uid-web')?.containers[0]?.state.kind, 'running', 'it runs until stopped');
});

t.test('fast mode starts containers at once', async (t) => {
  const rt = createSimulatedRuntime({ clock: new FakeClock(), fast: true });
  rt.startPod(pod('web'), placement);
  t.equal(rt.podState('uid-web')?.containers[0]?.state.kind, 'running');
});

t.test('exit-code annotations end containers, and the restart policy decides what follows', async (t) => {
  const table: [RestartPolicy, string, string, number, boolean][] = [
    // policy, exit code, phase after the exit, restarts, finished
    ['Always', '0', 'Running', 1, false],
    ['Always', '1', 'Running', 1, false],
    ['OnFailure', '0', 'Succeeded', 0, true],
    ['OnFailure', '1', 'Running', 1, false],
    ['Never', '0', 'Succeeded', 0, true],
    ['Never', '1', 'Failed', 0, true],
  ];
  for (const [policy, code, phase, restarts, finished] of table) {
    const clock = new FakeClock();
    const rt = createSimulatedRuntime({ clock, fast: true });
    const p = pod('job', policy, { 'picokube.io/simulated-exit-code': code, 'picokube.io/simulated-run-seconds': '5' });
    rt.startPod(p, placement);
    clock.advance(4999);
    t.equal(rt.podState('uid-job')?.containers[0]?.state.kind, 'running', `${policy}/${code}: runs for the scripted time`);
    clock.advance(1);
    const state = rt.podState('uid-job');
    if (!state) throw new Error('pod gone');
    const status = computePodStatus({ pod: p, runtime: state, hostIP: '127.0.0.1', nowMs: clock.now() });
    t.equal(status.phase, phase, `${policy} + exit ${code} → ${phase}`);
    t.equal(state.containers[0]?.restartCount, restarts, `${policy} + exit ${code}: ${restarts} restarts`);
    t.equal(state.finished, finished);
  }
});

t.test('a crash-looping container backs off 10 s, 20 s, 40 s … and reports CrashLoopBackOff', async (t) => {
  const clock = new FakeClock();
  const rt = createSimulatedRuntime({ clock, fast: true, recorder: new RecordingEventRecorder() });
  rt.startPod(pod('crash', 'Always', { 'picokube.io/simulated-exit-code': '1' }), placement);
  const c = () => rt.podState('uid-crash')?.containers[0];
  t.equal(c()?.state.kind, 'running');
  // The container exits at once; the first restart is immediate, and that instance exits too.
  clock.advance(0);
  t.equal(c()?.restartCount, 1, 'the first restart is immediate');
  t.same(c()?.state, { kind: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=main pod=crash_default(uid-crash)' });
  t.equal(c()?.lastTerminated?.exitCode, 1);
  clock.advance(9_999);
  t.equal(c()?.restartCount, 1, 'nothing restarts before 10 s');
  clock.advance(1);
  t.equal(c()?.restartCount, 2, 'restarted after 10 s');
  t.match(c()?.state, { kind: 'waiting', message: /^back-off 20s/ });
  clock.advance(19_999);
  t.equal(c()?.restartCount, 2, 'the next wait is 20 s');
  clock.advance(1);
  t.equal(c()?.restartCount, 3);
  t.match(c()?.state, { kind: 'waiting', message: /^back-off 40s/ });
});

t.test('the back-off starts over after ten quiet minutes, and is capped at five', async (t) => {
  const b = new RestartBackoff();
  const delays = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => b.delayAfterExit('u', 'c', i));
  t.same(delays, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  const b2 = new RestartBackoff();
  b2.delayAfterExit('u', 'c', 0);
  t.equal(b2.delayAfterExit('u', 'c', 1000), 10_000);
  t.equal(b2.delayAfterExit('u', 'c', 11_000 + 600_001), 0, 'more than 10 min after the last restart: at once again');
});

t.test('init containers run first and in order; then the regular containers start', async (t) => {
  const clock = new FakeClock();
  const rt = createSimulatedRuntime({ clock });
  const p = pod(
    'init',
    'Always',
    {},
    {
      initContainers: [
        { name: 'a', image: 'busybox' },
        { name: 'b', image: 'busybox' },
      ],
    },
  );
  rt.startPod(p, placement);
  t.same(rt.podState('uid-init')?.containers[0]?.state, { kind: 'waiting', reason: 'PodInitializing' });
  clock.advance(0);
  const s = rt.podState('uid-init');
  t.same(
    s?.initContainers.map((c) => c.state.kind),
    ['terminated', 'terminated'],
  );
  t.equal(s?.containers[0]?.state.kind, 'running');
});

t.test('stopping a pod ends its containers with exit 0 and resolves; logs of a silent container are empty', async (t) => {
  const clock = new FakeClock();
  const events = new RecordingEventRecorder();
  const rt = createSimulatedRuntime({ clock, fast: true, recorder: events });
  rt.startPod(pod('web'), placement);
  const logs = rt.logs('default', 'web', 'main', false);
  t.ok(logs.ok && logs.buffer.lines().length === 0);
  await rt.stopPod('uid-web', 30_000);
  const s = rt.podState('uid-web');
  t.equal(s?.finished, true);
  t.equal(s?.stopping, true);
  t.same(s?.containers[0]?.state.kind, 'terminated');
  t.ok(logs.ok && logs.buffer.closed, 'a follower of the stopped container is ended');
  t.same(
    events.events.map((e) => e.reason),
    ['Created', 'Started', 'Killing'],
  );
  rt.removePod('uid-web');
  t.equal(rt.podState('uid-web'), undefined);
  t.equal(rt.uidOf('default', 'web'), undefined);
});

t.test('a pod the API shows running is adopted as it is (agent restart rewrites nothing)', async (t) => {
  const clock = new FakeClock();
  const rt = createSimulatedRuntime({ clock });
  const p = pod('old');
  p.status = {
    phase: 'Running',
    containerStatuses: [{ name: 'main', state: { running: { startedAt: '2025-12-31T00:00:00Z' } }, restartCount: 2 }],
  };
  rt.startPod(p, placement);
  const c = rt.podState('uid-old')?.containers[0];
  t.same(c?.state.kind, 'running');
  t.equal(c?.state.kind === 'running' ? c.state.startedAtMs : 0, Date.UTC(2025, 11, 31));
  t.equal(c?.restartCount, 2);
});

t.test('malformed simulation annotations are ignored', async (t) => {
  t.equal(simulatedExit({ 'picokube.io/simulated-exit-code': 'x' }), undefined);
  t.equal(simulatedExit({ 'picokube.io/simulated-exit-code': '300' }), undefined);
  t.same(simulatedExit({ 'picokube.io/simulated-run-seconds': '3' }), { exitCode: 0, runMs: 3000 });
});

t.test('log lookups: unknown pod 404, unknown container 404, no previous instance 400', async (t) => {
  const rt = createSimulatedRuntime({ clock: new FakeClock() });
  rt.startPod(pod('web'), placement);
  t.match(rt.logs('default', 'nope', 'main', false), { ok: false, code: 404 });
  t.match(rt.logs('default', 'web', 'nope', false), { ok: false, code: 404 });
  t.match(rt.logs('default', 'web', 'main', false), { ok: false, code: 400, message: /waiting to start: ContainerCreating/ });
  t.match(rt.logs('default', 'web', 'main', true), { ok: false, code: 400, message: /previous terminated container "main" in pod "web" not found/ });
});
