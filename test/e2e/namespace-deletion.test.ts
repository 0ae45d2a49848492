import t from 'tap';
import { ApiStatusError } from '../../kube/client/api-client.js';
import { RestClient } from '../../kube/client/rest-client.js';
import { Resources } from '../../kube/client/resource.js';
import type { KubeObject } from '../../kube/object.js';
import { KubeCluster } from '../helpers/kube-cluster.js';
import { pollUntil } from '../helpers/store-cluster.js';

/**
 * Deleting a namespace on the real cluster (store, apiserver, scheduler, controller-manager, one
 * simulated node agent): it goes Terminating, the apiserver refuses new content in it with kube's
 * 403, the namespace controller deletes its pods, Deployment and Service, and once nothing is left
 * (a ConfigMap held by a test finalizer keeps it Terminating until the test lets go) the namespace
 * itself disappears. The system namespaces cannot be deleted.
 */

const DEADLINE_MS = 90_000;
const NS = 'doomed';
const HOLD = 'example.com/hold';
const cluster = await KubeCluster.start();
t.teardown(() => cluster.stop(!t.passing()));
const client = new RestClient({ server: cluster.url });
t.teardown(() => client.close());

await Promise.all([
  cluster.startComponent('scheduler', ['scheduler', '--leader-elect=false']),
  cluster.startComponent('controller-manager', ['controller-manager', '--leader-elect=false']),
  cluster.startComponent('node-1', ['node', '--name', 'node-1', '--fast']),
]);

const container = { name: 'main', image: 'nginx' };
await client.create(Resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
await client.create(Resources.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'solo', namespace: NS }, spec: { containers: [container] } });
await client.create(Resources.deployments, {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: NS },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } } },
});
await client.create(Resources.services, {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: NS },
  spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
});
await client.create(Resources.configmaps, {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'held', namespace: NS, finalizers: [HOLD] },
  data: { a: 'b' },
});

const countIn = async (r: (typeof Resources)[keyof typeof Resources]): Promise<number> => (await client.list(r, { namespace: NS })).items.length;

await pollUntil(
  'three pods Running in the namespace',
  async () => {
    const pods = (await client.list(Resources.pods, { namespace: NS })).items;
    return pods.length === 3 && pods.every((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running') ? true : undefined;
  },
  DEADLINE_MS,
);

t.test('a deleted namespace goes Terminating and refuses new content with 403 Forbidden', async (t) => {
  const r = await cluster.kubectl(['delete', 'namespace', NS, '--wait=false']);
  t.equal(r.code, 0, r.stderr);
  const ns = await client.get(Resources.namespaces, NS);
  t.equal((ns.status as { phase?: string }).phase, 'Terminating');
  t.ok(ns.metadata.deletionTimestamp);
  const refused = await client.create(Resources.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late', namespace: NS } }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(refused instanceof ApiStatusError);
  t.equal((refused as ApiStatusError).code, 403);
  t.equal(
    (refused as ApiStatusError).message,
    `configmaps "late" is forbidden: unable to create new content in namespace ${NS} because it is being terminated`,
  );
  const k = await cluster.kubectl(['create', 'configmap', 'late2', '-n', NS, '--from-literal=a=b']);
  t.not(k.code, 0);
  t.match(k.stderr, `unable to create new content in namespace ${NS} because it is being terminated`);
});

t.test('its pods, Deployment and Service are deleted while a finalizer holds the namespace', async (t) => {
  await pollUntil(
    'the namespace emptied but for the held ConfigMap',
    async () => {
      const counts = await Promise.all([Resources.pods, Resources.deployments, Resources.replicasets, Resources.services].map(countIn));
      const held = await client.get(Resources.configmaps, 'held', NS);
      return counts.every((c) => c === 0) && held.metadata.deletionTimestamp !== undefined ? true : undefined;
    },
    DEADLINE_MS,
  );
  const held = await client.get(Resources.configmaps, 'held', NS);
  t.ok(held.metadata.deletionTimestamp, 'the held ConfigMap is marked for deletion');
  const ns = await client.get(Resources.namespaces, NS);
  t.same((ns.spec as { finalizers?: string[] }).finalizers, ['kubernetes'], 'not finalized while content is left');
});

t.test('once the last object goes, the namespace disappears', async (t) => {
  await client.patch(Resources.configmaps, 'held', { metadata: { finalizers: null } }, { namespace: NS });
  await pollUntil(
    'the namespace gone',
    async () =>
      client.get(Resources.namespaces, NS).then(
        () => undefined,
        (e: unknown) => (e instanceof ApiStatusError && e.code === 404 ? true : undefined),
      ),
    DEADLINE_MS,
  );
  t.equal(await countIn(Resources.configmaps), 0);
  const r = await cluster.kubectl(['get', 'namespace', NS]);
  t.not(r.code, 0);
  t.match(r.stderr, `namespaces "${NS}" not found`);
});

t.test('the system namespaces cannot be deleted', async (t) => {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    const r = await cluster.kubectl(['delete', 'namespace', name, '--wait=false']);
    t.not(r.code, 0, name);
    t.match(r.stderr, `namespaces "${name}" is forbidden: this namespace may not be deleted`);
    const ns: KubeObject = await client.get(Resources.namespaces, name);
    t.equal(ns.metadata.deletionTimestamp, undefined, `${name} is not marked`);
  }
});
