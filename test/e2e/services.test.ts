import t from 'tap';
import { RestClient } from '../../kube/client/rest-client.js';
import { Resources } from '../../kube/client/resource.js';
import type { KubeObject } from '../../kube/object.js';
import { KubeCluster } from '../helpers/kube-cluster.js';
import { pollUntil } from '../helpers/store-cluster.js';

/**
 * Services on the whole cluster: the store, two apiservers, the scheduler, the controller-manager
 * and two simulated node agents. A Service selecting a Deployment's pods lists exactly the ready
 * pods' IPs in its Endpoints and EndpointSlice, following a scale-up, a scale-down and a pod
 * turning not ready (the simulated runtime's `picokube.io/simulated-ready: "false"`); kubectl
 * shows them; Services created concurrently through both apiservers never share a cluster IP; a
 * LoadBalancer Service gets an address from the controller-manager's pool.
 */

const DEADLINE_MS = 120_000;
const cluster = await KubeCluster.start({ apiservers: 2, apiserverArgs: ['--service-cluster-ip-range', '10.100.0.0/24'] });
t.teardown(() => cluster.stop(!t.passing()));
const clients = cluster.urls.map((server) => new RestClient({ server }));
const client = clients[0] as RestClient;
const EndpointSlices = Resources.endpointslices;

await Promise.all([
  cluster.startComponent('scheduler', ['scheduler']),
  cluster.startComponent('cm', ['controller-manager', '--load-balancer-ip-pool', '172.18.255.200-172.18.255.201']),
  cluster.startComponent('node-1', ['node', '--name', 'node-1', '--fast']),
  cluster.startComponent('node-2', ['node', '--name', 'node-2', '--fast']),
]);

interface Pod extends KubeObject {
  status?: { podIP?: string; conditions?: { type: string; status: string }[] };
}

const isReady = (p: Pod): boolean =>
  p.metadata.deletionTimestamp === undefined && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

async function webPods(): Promise<Pod[]> {
  return (await client.list<Pod>(Resources.pods, { namespace: 'default', labelSelector: 'app=web' })).items;
}

/** Endpoints' ready and not-ready IPs, sorted. */
async function endpointIPs(): Promise<{ ready: string[]; notReady: string[]; ports: number[] }> {
  const ep = await client.get(Resources.endpoints, 'web', 'default');
  const subsets = (ep.subsets ?? []) as { addresses?: { ip: string }[]; notReadyAddresses?: { ip: string }[]; ports?: { port: number }[] }[];
  return {
    ready: subsets.flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort(),
    notReady: subsets.flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip)).sort(),
    ports: [...new Set(subsets.flatMap((s) => (s.ports ?? []).map((p) => p.port)))],
  };
}

async function sliceReadyIPs(): Promise<string[]> {
  const { items } = await client.list(EndpointSlices, { namespace: 'default', labelSelector: 'kubernetes.io/service-name=web' });
  const eps = items.flatMap((s) => (s.endpoints ?? []) as { addresses: string[]; conditions: { ready?: boolean } }[]);
  return eps
    .filter((e) => e.conditions.ready === true)
    .flatMap((e) => e.addresses)
    .sort();
}

/** Waits until the Endpoints and the slices list exactly the IPs of the ready pods, `want` of them. */
async function converge(want: number, wantNotReady = 0): Promise<string[]> {
  return pollUntil(
    `endpoints list ${want} ready pods`,
    async () => {
      const pods = await webPods();
      const ready = pods
        .filter((p) => isReady(p) && p.status?.podIP)
        .map((p) => p.status?.podIP as string)
        .sort();
      const notReady = pods
        .filter((p) => !isReady(p) && p.metadata.deletionTimestamp === undefined && p.status?.podIP)
        .map((p) => p.status?.podIP as string)
        .sort();
      if (ready.length !== want || notReady.length !== wantNotReady) return undefined;
      const ep = await endpointIPs().catch(() => undefined);
      if (!ep || JSON.stringify(ep.ready) !== JSON.stringify(ready) || JSON.stringify(ep.notReady) !== JSON.stringify(notReady)) return undefined;
      return JSON.stringify(await sliceReadyIPs()) === JSON.stringify(ready) ? ready : undefined;
    },
    DEADLINE_MS,
  );
}

async function scale(replicas: number): Promise<void> {
  await client.patch(Resources.deployments, 'web', { spec: { replicas } }, { namespace: 'default', type: 'merge' });
}

t.test("a Service follows its Deployment's ready pods through scale-up, scale-down and a pod turning not ready", async (t) => {
  await client.create(Resources.deployments, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'main', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }], terminationGracePeriodSeconds: 0 },
      },
    },
  });
  const svc = await client.create<KubeObject>(Resources.services, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] },
  });
  t.match((svc.spec as { clusterIP: string }).clusterIP, /^10\.100\.0\.\d+$/, 'a cluster IP from the configured range');
  const two = await converge(2);
  t.equal(two.length, 2);
  t.same((await endpointIPs()).ports, [8080], 'the named targetPort resolved');
  await scale(3);
  const three = await converge(3);
  t.ok(
    two.every((ip) => three.includes(ip)),
    'scale-up adds one',
  );
  await scale(1);
  const one = await converge(1);
  t.equal(one.length, 1);
  const [last] = await webPods().then((ps) => ps.filter((p) => p.metadata.deletionTimestamp === undefined));
  await client.patch(
    Resources.pods,
    last?.metadata.name ?? '',
    { metadata: { annotations: { 'picokube.io/simulated-ready': 'false' } } },
    { namespace: 'default', type: 'merge' },
  );
  await converge(0, 1);
  t.same((await endpointIPs()).notReady, one, 'the not-ready pod is under notReadyAddresses');
  const get = await cluster.kubectl(['get', 'endpoints', 'web', '--no-headers']);
  t.equal(get.code, 0, get.stderr);
  await client.patch(
    Resources.pods,
    last?.metadata.name ?? '',
    { metadata: { annotations: { 'picokube.io/simulated-ready': 'true' } } },
    { namespace: 'default', type: 'merge' },
  );
  await converge(1);
  const shown = await cluster.kubectl(['get', 'endpoints', 'web', '--no-headers']);
  t.match(shown.stdout, `${one[0]}:8080`, 'kubectl get endpoints shows the IP and port');
  const describe = await cluster.kubectl(['describe', 'service', 'web']);
  t.equal(describe.code, 0, describe.stderr);
  t.match(describe.stdout, new RegExp(`Endpoints:\\s+${(one[0] as string).replaceAll('.', '\\.')}:8080`), 'kubectl describe service prints the Endpoints line');
});

t.test('Services created concurrently through two apiservers never share a cluster IP', async (t) => {
  const creates = Array.from({ length: 30 }, (_, i) =>
    (clients[i % 2] as RestClient).create<KubeObject>(Resources.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `c${i}`, namespace: 'default' },
      spec: { ports: [{ port: 80 }] },
    }),
  );
  const made = await Promise.all(creates);
  const ips = made.map((s) => (s.spec as { clusterIP: string }).clusterIP);
  t.equal(new Set(ips).size, 30, 'all distinct');
  t.ok(ips.every((ip) => /^10\.100\.0\.\d+$/.test(ip)));
});

t.test('LoadBalancer Services get pool addresses, given back when the Service goes', async (t) => {
  const lb = (name: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] },
  });
  const ingressOf = async (name: string): Promise<string | undefined> => {
    const s = await client.get(Resources.services, name, 'default');
    return ((s.status as { loadBalancer?: { ingress?: { ip: string }[] } }).loadBalancer?.ingress ?? [])[0]?.ip;
  };
  const created = await client.create(Resources.services, lb('lb-a'));
  t.ok(((created.spec as { ports: { nodePort?: number }[] }).ports[0]?.nodePort ?? 0) >= 30000, 'a node port');
  await client.create(Resources.services, lb('lb-b'));
  const a = await pollUntil('lb-a address', () => ingressOf('lb-a'), DEADLINE_MS);
  const b = await pollUntil('lb-b address', () => ingressOf('lb-b'), DEADLINE_MS);
  t.same([a, b].sort(), ['172.18.255.200', '172.18.255.201']);
  const get = await cluster.kubectl(['get', 'svc', 'lb-a', '--no-headers']);
  t.match(get.stdout, a as string, 'EXTERNAL-IP shows it');
  await client.delete(Resources.services, 'lb-a', { namespace: 'default' });
  await client.create(Resources.services, lb('lb-c'));
  t.equal(await pollUntil('lb-c address', () => ingressOf('lb-c'), DEADLINE_MS), a, 'the freed address');
});
