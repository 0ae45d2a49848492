import { execFileSync } from 'node:child_process';
import t from 'tap';
import { RestClient } from '../../kube/client/rest-client.js';
import { Resources } from '../../kube/client/resource.js';
import type { KubeObject } from '../../kube/object.js';
import { KubeCluster } from '../helpers/kube-cluster.js';
import { pollUntil } from '../helpers/store-cluster.js';

/**
 * The whole cluster as separate processes: 3 store replicas, the apiserver, two schedulers (one
 * active through the Lease) and three node agents with the process runtime (node-3 tainted).
 * Pods are bound, spread, run as real processes, show their logs through `kubectl logs`, end
 * on delete; a pod that fits nowhere says why; killing the active scheduler hands over. A watch
 * over every pod, open from the start, checks that no pod is ever bound twice.
 */

const DEADLINE_MS = 120_000;
const cluster = await KubeCluster.start();
t.teardown(() => cluster.stop(!t.passing()));
const client = new RestClient({ server: cluster.url });

// Every pod's nodeName as the watch saw it: a pod bound twice would show two different names.
const boundTo = new Map<string, string>();
const doubleBindings: string[] = [];
const podWatch = client.watch(Resources.pods, { resourceVersion: '0' }, (e) => {
  const spec = e.object.spec as { nodeName?: string } | undefined;
  const uid = e.object.metadata.uid ?? '';
  if (!spec?.nodeName) return;
  const before = boundTo.get(uid);
  if (before !== undefined && before !== spec.nodeName) doubleBindings.push(`${e.object.metadata.name}: ${before} then ${spec.nodeName}`);
  boundTo.set(uid, spec.nodeName);
});
t.teardown(() => podWatch.stop());

await Promise.all([
  cluster.startComponent('scheduler-a', ['scheduler']),
  cluster.startComponent('scheduler-b', ['scheduler']),
  cluster.startComponent('node-1', ['node', '--name', 'node-1', '--cpu', '2', '--memory', '4Gi', '--runtime', 'process']),
  cluster.startComponent('node-2', ['node', '--name', 'node-2', '--cpu', '2', '--memory', '4Gi', '--runtime', 'process']),
  cluster.startComponent('node-3', [
    'node',
    '--name',
    'node-3',
    '--cpu',
    '2',
    '--memory',
    '4Gi',
    '--runtime',
    'process',
    '--taints',
    'dedicated=infra:NoSchedule',
    '--labels',
    'role=infra',
  ]),
]);

interface Pod extends KubeObject {
  spec: { nodeName?: string; containers: unknown[] };
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

function sleeper(name: string, extra: Record<string, unknown> = {}, seconds = 3600): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'sleeper' } },
    spec: {
      containers: [{ name: 'main', image: 'busybox', command: ['sleep', String(seconds)], resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
      terminationGracePeriodSeconds: 5,
      ...extra,
    },
  };
}

async function pods(selector?: string): Promise<Pod[]> {
  return (await client.list<Pod>(Resources.pods, { namespace: 'default', ...(selector ? { labelSelector: selector } : {}) })).items;
}

t.test('three node agents register Ready nodes that kubectl lists', async (t) => {
  const names = await pollUntil(
    'three Ready nodes',
    async () => {
      const r = await cluster.kubectl([
        'get',
        'nodes',
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
      ]);
      const ready = r.stdout.split('\n').filter((l) => l.endsWith('=True'));
      return ready.length === 3 ? ready.map((l) => l.split('=')[0]).sort() : undefined;
    },
    DEADLINE_MS,
  );
  t.strictSame(names, ['node-1', 'node-2', 'node-3']);
  const lease = await client.get(Resources.leases, 'node-1', 'kube-node-lease');
  t.equal((lease.spec as { holderIdentity?: string }).holderIdentity, 'node-1', 'node-1 renews its Lease in kube-node-lease');
});

t.test('twelve equal pods are bound to the untainted nodes, evenly, and reach Running', async (t) => {
  for (let i = 0; i < 12; i++) await client.create(Resources.pods, sleeper(`sleeper-${i}`));
  const running = await pollUntil(
    'twelve Running pods',
    async () => {
      const all = await pods('app=sleeper');
      return all.length === 12 && all.every((p) => p.status?.phase === 'Running') ? all : undefined;
    },
    DEADLINE_MS,
  );
  const perNode = new Map<string, number>();
  for (const p of running) perNode.set(p.spec.nodeName ?? '', (perNode.get(p.spec.nodeName ?? '') ?? 0) + 1);
  t.notOk(perNode.has('node-3'), 'no pod without a toleration lands on the tainted node');
  t.strictSame([...perNode.keys()].sort(), ['node-1', 'node-2']);
  const counts = [...perNode.values()];
  t.ok(Math.max(...counts) - Math.min(...counts) <= 1, `spread evenly: ${JSON.stringify(Object.fromEntries(perNode))}`);
  const first = running[0];
  t.match(first?.status, { podIP: /^\d+\.\d+\.\d+\.\d+$/, hostIP: '127.0.0.1', startTime: /Z$/ });
});

t.test('a pod that tolerates the taint may land on the tainted node', async (t) => {
  await client.create(
    Resources.pods,
    sleeper('infra-pod', { nodeSelector: { role: 'infra' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }] }),
  );
  const pod = await pollUntil(
    'infra-pod Running',
    async () => {
      const p = await client.get<Pod>(Resources.pods, 'infra-pod', 'default');
      return p.status?.phase === 'Running' ? p : undefined;
    },
    DEADLINE_MS,
  );
  t.equal(pod.spec.nodeName, 'node-3');
});

t.test('a pod that fits nowhere stays Pending and says why, in its condition and an Event', async (t) => {
  await client.create(Resources.pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'too-big', namespace: 'default' },
    spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '64' } } }] },
  });
  const condition = await pollUntil(
    'PodScheduled=False on too-big',
    async () => {
      const p = await client.get<Pod>(Resources.pods, 'too-big', 'default');
      return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    },
    DEADLINE_MS,
  );
  t.equal(condition.reason, 'Unschedulable');
  t.match(condition.message, /^0\/3 nodes are available: /);
  t.match(condition.message, /2 Insufficient cpu/);
  t.match(condition.message, /1 node\(s\) had untolerated taint \{dedicated: infra\}/);
  const events = await pollUntil(
    'a FailedScheduling event',
    async () => {
      const r = await cluster.kubectl([
        'get',
        'events',
        '--field-selector',
        'involvedObject.name=too-big,reason=FailedScheduling',
        '-o',
        'jsonpath={.items[*].message}',
      ]);
      return r.stdout.includes('0/3 nodes are available') ? r.stdout : undefined;
    },
    DEADLINE_MS,
  );
  t.match(events, /Insufficient cpu/);
  const pod = await client.get<Pod>(Resources.pods, 'too-big', 'default');
  t.equal(pod.spec.nodeName, undefined, 'still unbound');
  t.equal(pod.status?.phase, 'Pending');
});

t.test('the seed pod runs its shell command and kubectl logs prints its output', async (t) => {
  const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: myapp-pod
  labels:
    app.kubernetes.io/name: MyApp
spec:
  containers:
  - name: myapp-container
    image: busybox:1.28
    command: ['sh', '-c', 'echo Hello Kubernetes! && sleep 3600']
`;
  const applied = await cluster.kubectl(['apply', '-f', '-'], { input: manifest });
  t.equal(applied.code, 0, applied.stderr);
  const logs = await pollUntil(
    'myapp-pod logs',
    async () => {
      const r = await cluster.kubectl(['logs', 'myapp-pod']);
      return r.code === 0 && r.stdout.includes('Hello Kubernetes!') ? r.stdout : undefined;
    },
    DEADLINE_MS,
  );
  t.equal(logs, 'Hello Kubernetes!\n');
});

t.test('deleting a pod ends its process on the node and then removes the object', async (t) => {
  await client.create(Resources.pods, sleeper('short-lived', {}, 3671));
  await pollUntil(
    'short-lived Running',
    async () => ((await client.get<Pod>(Resources.pods, 'short-lived', 'default')).status?.phase === 'Running' ? true : undefined),
    DEADLINE_MS,
  );
  t.ok(processesRunning('sleep 3671') > 0, 'the container runs as a local process');
  const r = await cluster.kubectl(['delete', 'pod', 'short-lived', '--wait=true']);
  t.equal(r.code, 0, r.stderr);
  const gone = await cluster.kubectl(['get', 'pod', 'short-lived']);
  t.match(gone.stderr, /NotFound/);
  await pollUntil('the sleep process ended', async () => (processesRunning('sleep 3671') === 0 ? true : undefined), DEADLINE_MS);
  t.pass('no process of the pod is left');
});

t.test('killing the active scheduler hands over to the standby, and scheduling goes on', async (t) => {
  const holder = async (): Promise<string> =>
    ((await client.get(Resources.leases, 'kube-scheduler', 'kube-system')).spec as { holderIdentity?: string }).holderIdentity ?? '';
  const leader = await holder();
  const active = [...cluster.components.values()].find((c) => c.name.startsWith('scheduler-') && leader.includes(String(c.proc.pid)));
  t.ok(active, `the lease holder ${leader} is one of our schedulers`);
  if (!active) return;
  await cluster.stopComponent(active.name, 'SIGKILL');
  await client.create(Resources.pods, sleeper('after-failover'));
  const pod = await pollUntil(
    'after-failover bound',
    async () => {
      const p = await client.get<Pod>(Resources.pods, 'after-failover', 'default');
      return p.spec.nodeName ? p : undefined;
    },
    DEADLINE_MS,
  );
  t.match(pod.spec.nodeName, /^node-[12]$/);
  t.not(await holder(), leader, 'the standby holds the lease now');
});

t.test('no pod was ever bound twice', async (t) => {
  t.ok(boundTo.size >= 15, `the watch saw ${boundTo.size} bound pods`);
  t.strictSame(doubleBindings, []);
});

function processesRunning(pattern: string): number {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}
