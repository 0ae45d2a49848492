import t from 'tap';
import type { KubeObject } from '../../../kube/object.js';
import { computePodStatus } from '../../../nodeagent/pod-status.js';
import type { RuntimePodState } from '../../../nodeagent/runtime/container-runtime.js';

const T0 = Date.UTC(2026, 0, 1);

function pod(annotations: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u', annotations },
    spec: { containers: [{ name: 'main', image: 'x' }] },
  };
}

const runtime: RuntimePodState = {
  uid: 'u',
  namespace: 'default',
  name: 'p',
  nodeName: 'n',
  podIP: '10.244.0.2',
  initContainers: [],
  containers: [{ name: 'main', image: 'x', imageID: 'x', state: { kind: 'running', startedAtMs: T0, containerID: 'simulated://1' }, restartCount: 0 }],
  stopping: false,
  finished: false,
};

function condition(status: Record<string, unknown>, type: string): unknown {
  return (status.conditions as { type: string; status: string }[]).find((c) => c.type === type)?.status;
}

t.test('the simulated-ready annotation set to "false" makes a running pod not Ready, and removing it makes it Ready again', async (t) => {
  const notReady = computePodStatus({ pod: pod({ 'picokube.io/simulated-ready': 'false' }), runtime, hostIP: '127.0.0.1', nowMs: T0 });
  t.equal(notReady.phase, 'Running');
  t.equal(condition(notReady, 'Ready'), 'False');
  t.equal(condition(notReady, 'ContainersReady'), 'False');
  const ready = computePodStatus({ pod: pod({}), runtime, hostIP: '127.0.0.1', nowMs: T0 });
  t.equal(condition(ready, 'Ready'), 'True');
  t.equal(condition(computePodStatus({ pod: pod({ 'picokube.io/simulated-ready': 'true' }), runtime, hostIP: '127.0.0.1', nowMs: T0 }), 'Ready'), 'True');
});
