import t from 'tap';
import { RestClient } from '../../kube/client/rest-client.js';
import { Resources } from '../../kube/client/resource.js';
import type { KubeObject } from '../../kube/object.js';
import { KubeCluster } from '../helpers/kube-cluster.js';
import { pollUntil } from '../helpers/store-cluster.js';

/**
 * The controller-manager on the whole cluster: 3 store replicas, the apiserver, the scheduler,
 * two controller-managers (one active through the Lease) and three node agents running pods as
 * local processes. Deployments roll out, roll back and scale; Jobs complete or fail; a DaemonSet
 * follows nodes; a StatefulSet starts in order with its claims; the garbage collector removes
 * what a deleted Deployment owned; killing the active controller-manager mid-rollout hands the
 * rollout over without surging past maxSurge.
 */

const DEADLINE_MS = 180_000;
const cluster = await KubeCluster.start();
t.teardown(() => cluster.stop(!t.passing()));
const client = new RestClient({ server: cluster.url });
const node = (name: string): string[] => ['node', '--name', name, '--cpu', '8', '--memory', '16Gi', '--runtime', 'process'];

await Promise.all([
  cluster.startComponent('scheduler', ['scheduler']),
  cluster.startComponent('cm-a', ['controller-manager']),
  cluster.startComponent('cm-b', ['controller-manager']),
  cluster.startComponent('node-1', node('node-1')),
  cluster.startComponent('node-2', node('node-2')),
  cluster.startComponent('node-3', node('node-3')),
]);

interface Workload extends KubeObject {
  spec: Record<string, unknown> & {
    replicas?: number;
    template?: { metadata?: unknown; spec: { containers: { name: string; image: string; [field: string]: unknown }[]; [field: string]: unknown } };
  };
  status?: Record<string, unknown> & {
    availableReplicas?: number;
    updatedReplicas?: number;
    replicas?: number;
    readyReplicas?: number;
    conditions?: { type: string; status: string; reason?: string }[];
  };
}

interface Pod extends KubeObject {
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

function deployment(name: string, replicas: number, image: string): Workload {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'main', image, command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
          terminationGracePeriodSeconds: 2,
        },
      },
    },
  };
}

const imageOf = (p: Pod): string | undefined => (p.spec as { containers?: { image?: string }[] }).containers?.[0]?.image;
const ready = (p: Pod): boolean =>
  p.metadata.deletionTimestamp === undefined &&
  p.status?.phase === 'Running' &&
  (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

async function podsOf(selector: string, namespace = 'default'): Promise<Pod[]> {
  return (await client.list<Pod>(Resources.pods, { namespace, labelSelector: selector })).items;
}

async function deploymentSettled(name: string, replicas: number, image: string): Promise<Workload> {
  return pollUntil(
    `deployment ${name}: ${replicas} available on ${image}`,
    async () => {
      const d = await client.get<Workload>(Resources.deployments, name, 'default');
      const s = d.status ?? {};
      const live = (await podsOf(`app=${name}`)).filter((p) => p.metadata.deletionTimestamp === undefined);
      const settled =
        s.observedGeneration === d.metadata.generation &&
        (s.availableReplicas ?? 0) === replicas &&
        (s.updatedReplicas ?? 0) === replicas &&
        (s.replicas ?? 0) === replicas &&
        live.length === replicas &&
        live.every((p) => imageOf(p) === image);
      return settled ? d : undefined;
    },
    DEADLINE_MS,
  );
}

t.test('a Deployment of 10 replicas reaches 10 available pods', async (t) => {
  await client.create(Resources.deployments, deployment('web', 10, 'nginx:1.27'));
  const d = await deploymentSettled('web', 10, 'nginx:1.27');
  t.equal(d.status?.availableReplicas, 10);
  const pods = await podsOf('app=web');
  t.equal(pods.filter(ready).length, 10, 'ten Ready pods');
  t.ok(
    pods.every((p) => p.metadata.ownerReferences?.[0]?.kind === 'ReplicaSet'),
    'every pod is owned by a ReplicaSet',
  );
  const status = await cluster.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  t.equal(status.code, 0, status.stderr);
  t.match(status.stdout, /successfully rolled out/);
});

t.test('an image change rolls out without dropping below replicas - maxUnavailable available pods', async (t) => {
  let lowest = Number.POSITIVE_INFINITY;
  let highest = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const pods = await podsOf('app=web');
      lowest = Math.min(lowest, pods.filter(ready).length);
      highest = Math.max(highest, pods.filter((p) => p.metadata.deletionTimestamp === undefined).length);
    }
  })();
  const set = await cluster.kubectl(['set', 'image', 'deployment/web', 'main=nginx:1.28']);
  t.equal(set.code, 0, set.stderr);
  await deploymentSettled('web', 10, 'nginx:1.28');
  sampling = false;
  await sampler;
  // maxUnavailable 25% of 10 rounds down to 2; maxSurge 25% rounds up to 3.
  t.ok(lowest >= 8, `at least 8 Ready pods throughout (lowest seen ${lowest})`);
  t.ok(highest <= 13, `at most 13 pods at once (highest seen ${highest})`);
  const images = new Set(
    (await client.list<Workload>(Resources.replicasets, { namespace: 'default', labelSelector: 'app=web' })).items
      .filter((rs) => (rs.spec.replicas ?? 0) > 0)
      .map((rs) => rs.spec.template?.spec.containers[0]?.image),
  );
  t.strictSame([...images], ['nginx:1.28'], 'only the new ReplicaSet has replicas');
  const history = await cluster.kubectl(['rollout', 'history', 'deployment/web']);
  t.equal(history.code, 0, history.stderr);
  t.match(history.stdout, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
});

t.test('kubectl rollout undo restores the previous template', async (t) => {
  const undo = await cluster.kubectl(['rollout', 'undo', 'deployment/web']);
  t.equal(undo.code, 0, undo.stderr);
  const d = await deploymentSettled('web', 10, 'nginx:1.27');
  t.equal(d.spec.template?.spec.containers[0]?.image, 'nginx:1.27');
  t.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '3', 'the restored template is revision 3');
});

t.test('scaling to 0 and back', async (t) => {
  t.equal((await cluster.kubectl(['scale', 'deployment/web', '--replicas=0'])).code, 0);
  await pollUntil('no web pods', async () => ((await podsOf('app=web')).length === 0 ? true : undefined), DEADLINE_MS);
  t.equal((await cluster.kubectl(['scale', 'deployment/web', '--replicas=4'])).code, 0);
  const d = await deploymentSettled('web', 4, 'nginx:1.27');
  t.equal(d.status?.availableReplicas, 4);
});

t.test('deleting a Deployment removes its ReplicaSets and pods', async (t) => {
  const r = await cluster.kubectl(['delete', 'deployment', 'web']);
  t.equal(r.code, 0, r.stderr);
  await pollUntil(
    'no web ReplicaSets or pods',
    async () => {
      const rs = await client.list(Resources.replicasets, { namespace: 'default', labelSelector: 'app=web' });
      return rs.items.length === 0 && (await podsOf('app=web')).length === 0 ? true : undefined;
    },
    DEADLINE_MS,
  );
  t.pass('the garbage collector removed the dependents');
});

function job(name: string, script: string, extra: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      ...extra,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }] } },
    },
  };
}

async function jobCondition(name: string): Promise<Workload> {
  return pollUntil(
    `job ${name} finished`,
    async () => {
      const j = await client.get<Workload>(Resources.jobs, name, 'default');
      return (j.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') ? j : undefined;
    },
    DEADLINE_MS,
  );
}

t.test('a Job with completions 5 and parallelism 2 completes', async (t) => {
  let mostActive = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const active = (await podsOf('batch.kubernetes.io/job-name=count')).filter((p) => p.status?.phase === 'Running' || p.status?.phase === 'Pending');
      mostActive = Math.max(mostActive, active.filter((p) => p.metadata.deletionTimestamp === undefined).length);
    }
  })();
  await client.create(Resources.jobs, job('count', 'echo done', { completions: 5, parallelism: 2 }));
  const j = await jobCondition('count');
  sampling = false;
  await sampler;
  t.equal(j.status?.succeeded, 5);
  t.ok(
    (j.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True'),
    'Complete',
  );
  t.ok(mostActive <= 2, `never more than 2 pods at once (saw ${mostActive})`);
});

t.test('a Job whose command fails hits its backoffLimit and fails', async (t) => {
  await client.create(Resources.jobs, job('broken', 'exit 3', { backoffLimit: 1 }));
  const j = await jobCondition('broken');
  const failed = (j.status?.conditions ?? []).find((c) => c.type === 'Failed');
  t.equal(failed?.status, 'True');
  t.equal(failed?.reason, 'BackoffLimitExceeded');
  t.equal(j.status?.failed, 2);
});

t.test('a DaemonSet runs one pod per node and follows nodes joining and leaving', async (t) => {
  await client.create(Resources.daemonsets, {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }], terminationGracePeriodSeconds: 1 },
      },
    },
  });
  const onNodes = async (n: number): Promise<string[]> =>
    pollUntil(
      `agent pods Running on ${n} nodes`,
      async () => {
        const pods = (await podsOf('app=agent')).filter((p) => p.metadata.deletionTimestamp === undefined);
        const nodes = pods.filter((p) => p.status?.phase === 'Running').map((p) => p.spec.nodeName ?? '');
        return pods.length === n && nodes.length === n ? nodes.sort() : undefined;
      },
      DEADLINE_MS,
    );
  t.strictSame(await onNodes(3), ['node-1', 'node-2', 'node-3']);
  await cluster.startComponent('node-4', node('node-4'));
  t.strictSame(await onNodes(4), ['node-1', 'node-2', 'node-3', 'node-4']);
  await cluster.stopComponent('node-4');
  await client.delete(Resources.nodes, 'node-4');
  t.strictSame(await onNodes(3), ['node-1', 'node-2', 'node-3']);
});

t.test('a StatefulSet creates its pods in order, each with its claim', async (t) => {
  await client.create(Resources.services, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'db', namespace: 'default' },
    spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] },
  });
  // OrderedReady: each pod is created only once the one before it is Running and Ready.
  const readyWhenAdded: string[] = [];
  const readyNow = new Set<string>();
  const watch = client.watch<Pod>(Resources.pods, { namespace: 'default', labelSelector: 'app=db', resourceVersion: '0' }, (e) => {
    const name = e.object.metadata.name ?? '';
    if (e.type === 'ADDED') readyWhenAdded.push(`${name} after [${[...readyNow].sort().join(',')}]`);
    if (ready(e.object)) readyNow.add(name);
  });
  t.teardown(() => watch.stop());
  await client.create(Resources.statefulsets, {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'default' },
    spec: {
      serviceName: 'db',
      replicas: 3,
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: { containers: [{ name: 'main', image: 'postgres', command: ['sleep', '3600'] }], terminationGracePeriodSeconds: 1 },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  });
  const pods = await pollUntil(
    'db-0..2 Ready',
    async () => {
      const all = await podsOf('app=db');
      return all.length === 3 && all.every(ready) ? all : undefined;
    },
    DEADLINE_MS,
  );
  t.strictSame(pods.map((p) => p.metadata.name).sort(), ['db-0', 'db-1', 'db-2']);
  t.strictSame(readyWhenAdded, ['db-0 after []', 'db-1 after [db-0]', 'db-2 after [db-0,db-1]'], 'created in order, each after the one before was Ready');
  const claims = (await client.list(Resources.persistentvolumeclaims, { namespace: 'default' })).items.map((c) => c.metadata.name).sort();
  t.strictSame(claims, ['data-db-0', 'data-db-1', 'data-db-2']);
});

t.test('killing the active controller-manager mid-rollout: the standby finishes it without surging past maxSurge', async (t) => {
  await client.create(Resources.deployments, deployment('api', 8, 'app:v1'));
  await deploymentSettled('api', 8, 'app:v1');
  let highest = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) highest = Math.max(highest, (await podsOf('app=api')).filter((p) => p.metadata.deletionTimestamp === undefined).length);
  })();
  const leader = ((await client.get(Resources.leases, 'kube-controller-manager', 'kube-system')).spec as { holderIdentity?: string }).holderIdentity ?? '';
  const active = [...cluster.components.values()].find((c) => c.name.startsWith('cm-') && leader.includes(String(c.proc.pid)));
  t.ok(active, `the lease holder ${leader} is one of our controller-managers`);
  await cluster.kubectl(['set', 'image', 'deployment/api', 'main=app:v2']);
  await pollUntil(
    'the rollout started',
    async () => ((await client.get<Workload>(Resources.deployments, 'api', 'default')).status?.updatedReplicas ?? 0) > 0 || undefined,
    DEADLINE_MS,
  );
  if (active) await cluster.stopComponent(active.name, 'SIGKILL');
  await deploymentSettled('api', 8, 'app:v2');
  sampling = false;
  await sampler;
  t.ok(highest <= 10, `at most 8 + maxSurge 2 pods at once (highest seen ${highest})`);
});
