import t from 'tap';
import { RestClient } from '../../kube/client/rest-client.js';
import { Resources } from '../../kube/client/resource.js';
import type { KubeObject } from '../../kube/object.js';
import { KubeCluster } from '../helpers/kube-cluster.js';
import { pollUntil } from '../helpers/store-cluster.js';

/**
 * A node agent killed with SIGKILL (the real cluster: store, apiserver, scheduler,
 * controller-manager with a 5 s grace period, three simulated node agents renewing their Lease
 * every second): its node goes Unknown and is tainted unreachable; its pods, which tolerate that
 * for 2 s, are evicted and their Deployment recreates them on the other nodes; restarted, the
 * agent makes the node Ready again and the controller lifts the taints.
 */

const DEADLINE_MS = 90_000;
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const cluster = await KubeCluster.start();
t.teardown(() => cluster.stop(!t.passing()));
const client = new RestClient({ server: cluster.url });
t.teardown(() => client.close());

const agentArgs = (name: string): string[] => ['node', '--name', name, '--fast', '--lease-renew-seconds', '1'];
await Promise.all([
  cluster.startComponent('scheduler', ['scheduler', '--leader-elect=false']),
  cluster.startComponent('controller-manager', ['controller-manager', '--leader-elect=false', '--node-monitor-grace-period', '5s']),
  ...['node-1', 'node-2', 'node-3'].map((n) => cluster.startComponent(n, agentArgs(n))),
]);

interface Pod extends KubeObject {
  spec: { nodeName?: string; tolerations?: Record<string, unknown>[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}
interface Node extends KubeObject {
  spec: { taints?: { key: string; effect: string; timeAdded?: string }[] };
  status: { conditions: { type: string; status: string; reason?: string; message?: string }[] };
}

const readyOf = (n: Node): string | undefined => n.status.conditions.find((c) => c.type === 'Ready')?.status;
const webPods = async (): Promise<Pod[]> => (await client.list<Pod>(Resources.pods, { namespace: 'default', labelSelector: 'app=web' })).items;

await client.create(Resources.deployments, {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'main', image: 'nginx' }],
        tolerations: [{ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }],
      },
    },
  },
});

const running = await pollUntil(
  'three web pods Running',
  async () => {
    const pods = (await webPods()).filter((p) => p.status?.phase === 'Running' && p.spec.nodeName);
    return pods.length === 3 ? pods : undefined;
  },
  DEADLINE_MS,
);
const victim = running[0]?.spec.nodeName ?? '';

t.test('the apiserver adds the default not-ready toleration, and keeps the pod’s own unreachable one', async (t) => {
  const tolerations = running[0]?.spec.tolerations ?? [];
  t.match(tolerations, [
    { key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  t.equal(tolerations.length, 2);
});

t.test('a killed node agent: its node goes Unknown and is tainted unreachable', async (t) => {
  await cluster.stopComponent(victim, 'SIGKILL');
  const node = await pollUntil(
    `${victim} Unknown and tainted`,
    async () => {
      const n = await client.get<Node>(Resources.nodes, victim);
      const keys = (n.spec.taints ?? []).map((x) => `${x.key}:${x.effect}`);
      return readyOf(n) === 'Unknown' && keys.includes(`${UNREACHABLE}:NoExecute`) && keys.includes(`${UNREACHABLE}:NoSchedule`) ? n : undefined;
    },
    DEADLINE_MS,
  );
  t.match(
    node.status.conditions.find((c) => c.type === 'Ready'),
    { reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' },
  );
  t.ok((node.spec.taints ?? []).find((x) => x.effect === 'NoExecute')?.timeAdded, 'the NoExecute taint carries timeAdded');
});

t.test('its pods are evicted after their 2 s toleration and recreated on the other nodes', async (t) => {
  const replaced = await pollUntil(
    'three live web pods Running elsewhere',
    async () => {
      const live = (await webPods()).filter((p) => p.metadata.deletionTimestamp === undefined);
      const ok = live.length === 3 && live.every((p) => p.status?.phase === 'Running' && p.spec.nodeName && p.spec.nodeName !== victim);
      return ok ? live : undefined;
    },
    DEADLINE_MS,
  );
  t.equal(replaced.length, 3);
  const evicted = (await webPods()).filter((p) => p.spec.nodeName === victim);
  t.ok(evicted.length >= 1, 'the old pods wait, terminating, for their node');
  for (const p of evicted) {
    t.ok(p.metadata.deletionTimestamp, `${p.metadata.name} is being deleted`);
    t.match(
      p.status?.conditions?.find((c) => c.type === 'Ready'),
      { status: 'False' },
      `${p.metadata.name} is not Ready`,
    );
  }
});

t.test('the restarted agent makes its node Ready and untainted, and finishes the evicted pods', async (t) => {
  await cluster.startComponent(victim, agentArgs(victim));
  const node = await pollUntil(
    `${victim} Ready and untainted`,
    async () => {
      const n = await client.get<Node>(Resources.nodes, victim);
      return readyOf(n) === 'True' && (n.spec.taints ?? []).every((x) => x.key !== UNREACHABLE) ? n : undefined;
    },
    DEADLINE_MS,
  );
  t.same(node.spec.taints ?? [], []);
  await pollUntil('no pod left on the restarted node', async () => ((await webPods()).some((p) => p.spec.nodeName === victim) ? undefined : true), DEADLINE_MS);
  t.equal((await webPods()).length, 3);
});
