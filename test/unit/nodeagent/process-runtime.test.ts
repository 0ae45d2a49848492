import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { type Clock, FakeClock, realClock } from '../../../kube/clock.js';
import type { KubeObject } from '../../../kube/object.js';
import { computePodStatus } from '../../../nodeagent/pod-status.js';
import { commandLine, containerEnv, expandVars } from '../../../nodeagent/runtime/container-env.js';
import { createProcessRuntime } from '../../../nodeagent/runtime/process-runtime.js';
import { pollUntil } from '../../helpers/store-cluster.js';

const placement = { nodeName: 'node-1', podIP: '10.244.1.7', hostIP: '127.0.0.1' };

function pod(name: string, container: Record<string, unknown>, restartPolicy = 'Always'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { nodeName: 'node-1', restartPolicy, containers: [{ name: 'main', image: 'busybox', ...container }] },
    status: { phase: 'Pending' },
  };
}

function setup(t: Test, clock: Clock = realClock) {
  const workRoot = mkdtempSync(join(tmpdir(), 'picokube-nodeagent-test-'));
  const warnings: string[] = [];
  const { runtime, launcher } = createProcessRuntime({
    clock,
    workRoot,
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    warn: (m) => warnings.push(m),
  });
  t.teardown(async () => {
    launcher.killAll();
    await runtime.shutdown(0);
    rmSync(workRoot, { recursive: true, force: true });
  });
  return { runtime, launcher, workRoot, warnings };
}

const logText = (lookup: ReturnType<ReturnType<typeof setup>['runtime']['logs']>): string =>
  lookup.ok
    ? lookup.buffer
        .lines()
        .map((l) => l.text)
        .join('\n')
    : `<${lookup.message}>`;

t.test("the seed pod's shell command runs and its output is kept", async (t) => {
  const { runtime } = setup(t);
  const p = pod('myapp-pod', { command: ['sh', '-c', 'echo Hello Kubernetes! && sleep 3600'] });
  runtime.startPod(p, placement);
  await pollUntil('the greeting in the log', () => logText(runtime.logs('default', 'myapp-pod', 'main', false)).includes('Hello Kubernetes!'));
  const state = runtime.podState('uid-myapp-pod');
  t.equal(state?.containers[0]?.state.kind, 'running');
  const lookup = runtime.logs('default', 'myapp-pod', 'main', false);
  t.same(lookup.ok && lookup.buffer.lines().map((l) => l.text), ['Hello Kubernetes!']);
  await runtime.stopPod('uid-myapp-pod', 10_000);
  const stopped = runtime.podState('uid-myapp-pod')?.containers[0]?.state;
  t.match(stopped, { kind: 'terminated', exitCode: 143, signal: 15, reason: 'Error' }, 'SIGTERM ended it');
  t.ok(lookup.ok && lookup.buffer.closed, 'the log of the ended instance is closed (followers end)');
});

t.test('a process that ignores SIGTERM is killed with SIGKILL when the grace period is over', async (t) => {
  const { runtime, launcher } = setup(t);
  const script = "trap 'echo got TERM' TERM; echo ready; while true; do sleep 0.05; done";
  runtime.startPod(pod('stubborn', { command: ['sh', '-c', script] }), placement);
  await pollUntil('the process to be ready', () => logText(runtime.logs('default', 'stubborn', 'main', false)).includes('ready'));
  await runtime.stopPod('uid-stubborn', 300);
  const state = runtime.podState('uid-stubborn')?.containers[0]?.state;
  t.match(state, { kind: 'terminated', exitCode: 137, signal: 9 }, 'SIGKILL ended it');
  t.match(logText(runtime.logs('default', 'stubborn', 'main', false)), /got TERM/, 'SIGTERM came first and was ignored');
  t.equal(launcher.liveCount, 0, 'no process group is left');
});

t.test('a failing container restarts at once, then waits in CrashLoopBackOff; --previous shows the last run', async (t) => {
  const clock = new FakeClock();
  const { runtime } = setup(t, clock);
  const p = pod('crash', { command: ['sh', '-c', 'echo run $(RUN_ID); exit 3'], env: [{ name: 'RUN_ID', value: 'x' }] }, 'OnFailure');
  runtime.startPod(p, placement);
  clock.advance(0);
  const c = () => runtime.podState('uid-crash')?.containers[0];
  await pollUntil('the back-off', () => c()?.state.kind === 'waiting' && c()?.state);
  t.match(c(), { restartCount: 1, state: { reason: 'CrashLoopBackOff' }, lastTerminated: { exitCode: 3, reason: 'Error' } });
  t.equal(logText(runtime.logs('default', 'crash', 'main', false)), 'run x', 'the current log is the last instance');
  t.equal(logText(runtime.logs('default', 'crash', 'main', true)), 'run x', 'and --previous the one before it');
  const state = runtime.podState('uid-crash');
  if (!state) throw new Error('pod gone');
  t.equal(computePodStatus({ pod: p, runtime: state, hostIP: '127.0.0.1', nowMs: clock.now() }).phase, 'Running', 'OnFailure restarting: still Running');
  clock.advance(10_000);
  await pollUntil('the second back-off', () => c()?.restartCount === 2 && c()?.state.kind === 'waiting');
  t.match(c()?.state, { kind: 'waiting', message: /^back-off 20s/ });
});

t.test('Never: a container that exits 0 completes the pod', async (t) => {
  const { runtime } = setup(t);
  const p = pod('once', { command: ['sh', '-c', 'echo done'] }, 'Never');
  runtime.startPod(p, placement);
  await pollUntil('the pod to finish', () => runtime.podState('uid-once')?.finished);
  const state = runtime.podState('uid-once');
  if (!state) throw new Error('pod gone');
  t.match(state.containers[0]?.state, { kind: 'terminated', exitCode: 0, reason: 'Completed' });
  t.equal(computePodStatus({ pod: p, runtime: state, hostIP: '127.0.0.1', nowMs: Date.now() }).phase, 'Succeeded');
});

t.test('env, downward-API fields and $(VAR) expansion reach the process; the pod gets its own working directory', async (t) => {
  const { runtime, workRoot, warnings } = setup(t);
  const p = pod('envy', {
    command: ['sh', '-c'],
    args: ['echo "$GREETING $(GREETING) $MY_POD $MY_IP"; pwd; sleep 3600'],
    env: [
      { name: 'GREETING', value: 'hi' },
      { name: 'MY_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
    ],
  });
  runtime.startPod(p, placement);
  await pollUntil('the output', () => logText(runtime.logs('default', 'envy', 'main', false)).split('\n').length >= 2);
  const [first, cwd] = logText(runtime.logs('default', 'envy', 'main', false)).split('\n');
  t.equal(first, 'hi hi envy 10.244.1.7');
  t.equal(cwd, join(workRoot, 'uid-envy'));
  t.match(warnings, [/SECRET: valueFrom secretKeyRef is not supported/]);
  await runtime.stopPod('uid-envy', 0);
  runtime.removePod('uid-envy');
  t.notOk(existsSync(join(workRoot, 'uid-envy')), 'the working directory goes with the pod');
});

t.test('a command that does not exist ends with StartError', async (t) => {
  const clock = new FakeClock();
  const { runtime } = setup(t, clock);
  runtime.startPod(pod('bad', { command: ['/no/such/binary'] }, 'Never'), placement);
  clock.advance(0);
  await pollUntil('the start error', () => runtime.podState('uid-bad')?.finished);
  t.match(runtime.podState('uid-bad')?.containers[0]?.state, { kind: 'terminated', exitCode: 128, reason: 'StartError', message: /no\/such\/binary/ });
});

t.test('a container with no command idles until stopped', async (t) => {
  const clock = new FakeClock();
  const { runtime } = setup(t, clock);
  runtime.startPod(pod('idle', {}), placement);
  clock.advance(0);
  t.equal(runtime.podState('uid-idle')?.containers[0]?.state.kind, 'running');
  await runtime.stopPod('uid-idle', 1000);
  t.match(runtime.podState('uid-idle')?.containers[0]?.state, { kind: 'terminated', exitCode: 0 });
});

t.test('expansion: $(VAR) of known names, $$ escapes, unknown names stay; args alone are the command', async (t) => {
  t.equal(expandVars('$(A)-$$(A)-$(B)-$', { A: '1' }), '1-$(A)-$(B)-$');
  const info = {
    uid: 'u',
    namespace: 'ns',
    name: 'p',
    nodeName: 'n',
    podIP: '1.2.3.4',
    hostIP: '127.0.0.1',
    serviceAccountName: 'default',
    annotations: { a: 'b' },
  };
  const { env } = containerEnv(
    {
      name: 'c',
      env: [
        { name: 'X', value: 'x' },
        { name: 'Y', value: '$(X)y' },
        { name: 'ANN', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['a']" } } },
      ],
    },
    info,
    { PATH: '/bin' },
  );
  t.same(env, { PATH: '/bin', X: 'x', Y: 'xy', ANN: 'b' });
  t.same(commandLine({ name: 'c', args: ['echo', '$(X)'] }, env), ['echo', 'x']);
  t.same(commandLine({ name: 'c' }, env), []);
});
