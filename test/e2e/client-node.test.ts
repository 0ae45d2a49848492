import * as k8s from '@kubernetes/client-node';
import t from 'tap';
import { KubeCluster } from '../helpers/kube-cluster.js';
import { pollUntil } from '../helpers/store-cluster.js';

/**
 * @kubernetes/client-node 1.4.0 against a real picokube (3 store replicas and an apiserver as
 * processes), through the kubeconfig the harness writes: what an application written for
 * kube-apiserver does with typed clients, KubernetesObjectApi, raw watches and informers must
 * work unchanged (kubectl-protocol.md §13). Each test has a namespace of its own.
 */

/** Small, so that a few dozen writes push a resourceVersion out of the watch cache's window. */
const WATCH_WINDOW_EVENTS = 50;

const cluster = await KubeCluster.start({ apiserverArgs: ['--watch-window-events', String(WATCH_WINDOW_EVENTS)] });
t.teardown(() => cluster.stop(!t.passing()));

const kc = new k8s.KubeConfig();
kc.loadFromFile(cluster.kubeconfigPath);
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);

const patchAs = (strategy: k8s.PatchStrategy) => k8s.setHeaderOptions('Content-Type', strategy);

async function namespace(name: string): Promise<string> {
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

function pod(name: string, labels: Record<string, string> = {}): k8s.V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
  };
}

function configMap(name: string, data: Record<string, string> = {}, labels: Record<string, string> = {}): k8s.V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

function deployment(name: string, replicas: number): k8s.V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    },
  };
}

interface Failure {
  readonly code: number;
  readonly reason: string;
  readonly body: { reason?: string; details?: { name?: string; kind?: string; causes?: { field?: string }[] } };
}

/** The ApiException a call must fail with, its Status body parsed (client-node keeps it as text). */
async function failure(call: Promise<unknown>): Promise<Failure> {
  try {
    await call;
  } catch (e) {
    if (!(e instanceof k8s.ApiException)) throw e;
    const body = JSON.parse(String(e.body)) as Failure['body'];
    return { code: e.code, reason: body.reason ?? '', body };
  }
  throw new Error('the call succeeded but should have failed');
}

const rvOf = (o: { metadata?: { resourceVersion?: string } }): number => Number(o.metadata?.resourceVersion);

t.test('a pod goes through create, read, replace, every patch strategy and delete with client-node', async (t) => {
  const ns = await namespace('cn-pods');
  const created = await core.createNamespacedPod({ namespace: ns, body: pod('web', { app: 'web' }) });
  t.ok(created.metadata?.uid, 'create answers the stored pod with a uid');
  t.ok(created.metadata?.creationTimestamp instanceof Date, 'creationTimestamp is RFC 3339, so client-node makes it a Date');
  t.equal(created.status?.phase, 'Pending', 'a new pod is Pending');

  const read = await core.readNamespacedPod({ name: 'web', namespace: ns });
  t.equal(read.metadata?.uid, created.metadata?.uid, 'read finds the same pod');
  t.equal(read.metadata?.resourceVersion, created.metadata?.resourceVersion, 'read answers the resourceVersion create did');

  read.metadata = { ...read.metadata, labels: { app: 'web', tier: 'front' } };
  const replaced = await core.replaceNamespacedPod({ name: 'web', namespace: ns, body: read });
  t.same(replaced.metadata?.labels, { app: 'web', tier: 'front' }, 'replace stores the new labels');
  t.ok(rvOf(replaced) > rvOf(created), 'replace moves the resourceVersion forward');

  const jsonPatched = await core.patchNamespacedPod({ name: 'web', namespace: ns, body: [{ op: 'add', path: '/metadata/labels/json', value: 'yes' }] });
  t.equal(jsonPatched.metadata?.labels?.json, 'yes', 'a JSON patch (client-node default content type) applies');

  const merged = await core.patchNamespacedPod(
    { name: 'web', namespace: ns, body: { metadata: { labels: { merge: 'yes', json: null } } } },
    patchAs(k8s.PatchStrategy.MergePatch),
  );
  t.same(merged.metadata?.labels, { app: 'web', tier: 'front', merge: 'yes' }, 'a merge patch adds a label and null removes one');

  const strategic = await core.patchNamespacedPod(
    { name: 'web', namespace: ns, body: { spec: { containers: [{ name: 'main', image: 'busybox:1.37' }] } } },
    patchAs(k8s.PatchStrategy.StrategicMergePatch),
  );
  t.same(
    strategic.spec?.containers.map((c) => [c.name, c.image, c.command]),
    [['main', 'busybox:1.37', ['sleep', '3600']]],
    'a strategic merge patch merges containers by name, keeping the fields it does not mention',
  );

  const applied = await core.patchNamespacedPod(
    {
      name: 'web',
      namespace: ns,
      fieldManager: 'cn-test',
      force: true,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', annotations: { owner: 'cn-test' } } },
    },
    patchAs(k8s.PatchStrategy.ServerSideApply),
  );
  t.equal(applied.metadata?.annotations?.owner, 'cn-test', 'a server-side apply patch sets the applied field');

  const deleted = await core.deleteNamespacedPod({ name: 'web', namespace: ns });
  t.equal(deleted.metadata?.name, 'web', 'delete (an empty JSON body) answers the deleted pod');
  const gone = await failure(core.readNamespacedPod({ name: 'web', namespace: ns }));
  t.equal(gone.code, 404, 'the deleted pod is gone');
});

t.test('a configmap and a deployment go through create, read, replace, patch and delete', async (t) => {
  const ns = await namespace('cn-objects');
  const cm = await core.createNamespacedConfigMap({ namespace: ns, body: configMap('settings', { color: 'blue' }) });
  t.same(cm.data, { color: 'blue' }, 'the configmap is created with its data');
  const cmRead = await core.readNamespacedConfigMap({ name: 'settings', namespace: ns });
  cmRead.data = { color: 'green', size: 'L' };
  const cmReplaced = await core.replaceNamespacedConfigMap({ name: 'settings', namespace: ns, body: cmRead });
  t.same(cmReplaced.data, { color: 'green', size: 'L' }, 'replace swaps the data');
  const cmPatched = await core.patchNamespacedConfigMap(
    { name: 'settings', namespace: ns, body: { data: { size: null, shape: 'round' } } },
    patchAs(k8s.PatchStrategy.MergePatch),
  );
  t.same(cmPatched.data, { color: 'green', shape: 'round' }, 'a merge patch edits the data');
  const cmDeleted = (await core.deleteNamespacedConfigMap({ name: 'settings', namespace: ns })) as k8s.V1Status;
  t.equal(cmDeleted.status, 'Success', "deleting a configmap answers kube's Success Status");
  t.equal(cmDeleted.details?.name, 'settings', 'which names the deleted configmap');
  t.equal((await failure(core.readNamespacedConfigMap({ name: 'settings', namespace: ns }))).code, 404, 'the configmap is gone');

  const d = await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 2) });
  t.equal(d.spec?.replicas, 2, 'the deployment is created');
  t.equal(d.metadata?.generation, 1, 'a new deployment is at generation 1');
  t.equal(d.spec?.strategy?.type, 'RollingUpdate', 'defaults are applied (strategy RollingUpdate)');
  const dRead = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
  if (dRead.spec) dRead.spec.replicas = 3;
  const dReplaced = await apps.replaceNamespacedDeployment({ name: 'web', namespace: ns, body: dRead });
  t.equal(dReplaced.spec?.replicas, 3, 'replace scales the deployment');
  t.equal(dReplaced.metadata?.generation, 2, 'a spec change bumps the generation');
  const dPatched = await apps.patchNamespacedDeployment(
    { name: 'web', namespace: ns, body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28' }] } } } } },
    patchAs(k8s.PatchStrategy.StrategicMergePatch),
  );
  t.equal(dPatched.spec?.template.spec?.containers[0]?.image, 'nginx:1.28', 'a strategic merge patch changes the template image');
  const scale = await apps.readNamespacedDeploymentScale({ name: 'web', namespace: ns });
  t.equal(scale.spec?.replicas, 3, 'the scale subresource reads the replicas');
  const dDeleted = (await apps.deleteNamespacedDeployment({ name: 'web', namespace: ns })) as k8s.V1Status;
  t.equal(dDeleted.status, 'Success', "deleting a deployment answers kube's Success Status");
  t.equal((await failure(apps.readNamespacedDeployment({ name: 'web', namespace: ns }))).code, 404, 'the deployment is gone');
});

t.test('errors arrive as ApiException with the code and Status reason kube-apiserver gives', async (t) => {
  const ns = await namespace('cn-errors');
  const first = await core.createNamespacedPod({ namespace: ns, body: pod('taken') });
  await core.patchNamespacedPod({ name: 'taken', namespace: ns, body: { metadata: { labels: { v: '2' } } } }, patchAs(k8s.PatchStrategy.MergePatch));
  const cases: [string, () => Promise<unknown>, number, string][] = [
    ['reading a missing pod', () => core.readNamespacedPod({ name: 'nothere', namespace: ns }), 404, 'NotFound'],
    ['deleting a missing configmap', () => core.deleteNamespacedConfigMap({ name: 'nothere', namespace: ns }), 404, 'NotFound'],
    ['reading a missing deployment', () => apps.readNamespacedDeployment({ name: 'nothere', namespace: ns }), 404, 'NotFound'],
    ['creating in a missing namespace', () => core.createNamespacedPod({ namespace: 'nowhere', body: pod('p') }), 404, 'NotFound'],
    ['creating a pod whose name is taken', () => core.createNamespacedPod({ namespace: ns, body: pod('taken') }), 409, 'AlreadyExists'],
    ['replacing with a stale resourceVersion', () => core.replaceNamespacedPod({ name: 'taken', namespace: ns, body: first }), 409, 'Conflict'],
    [
      'creating a pod without containers',
      () => core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'empty' }, spec: { containers: [] } } }),
      422,
      'Invalid',
    ],
    ['creating a pod with an invalid name', () => core.createNamespacedPod({ namespace: ns, body: pod('Not_A_Name') }), 422, 'Invalid'],
  ];
  for (const [what, call, code, reason] of cases) {
    const f = await failure(call());
    t.equal(f.code, code, `${what}: HTTP ${code}`);
    t.equal(f.reason, reason, `${what}: reason ${reason}`);
  }
  const invalid = await failure(core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'empty' }, spec: { containers: [] } } }));
  t.equal(invalid.body.details?.kind, 'Pod', 'a 422 names the kind');
  t.ok(
    invalid.body.details?.causes?.some((c) => c.field === 'spec.containers'),
    'a 422 lists the offending field among its causes',
  );
});

t.test('lists filter by label and field selectors', async (t) => {
  const ns = await namespace('cn-select');
  const labels: Record<string, Record<string, string>> = {
    a1: { app: 'a', tier: 'front' },
    a2: { app: 'a', tier: 'back' },
    b1: { app: 'b', tier: 'front' },
    c1: { app: 'c' },
    none: {},
  };
  for (const [name, l] of Object.entries(labels)) await core.createNamespacedPod({ namespace: ns, body: pod(name, l) });
  const cases: [string, { labelSelector?: string; fieldSelector?: string }, string[]][] = [
    ['equality', { labelSelector: 'app=a' }, ['a1', 'a2']],
    ['double equals', { labelSelector: 'app==b' }, ['b1']],
    ['inequality (objects without the label match)', { labelSelector: 'app!=a' }, ['b1', 'c1', 'none']],
    ['set membership', { labelSelector: 'app in (a,c)' }, ['a1', 'a2', 'c1']],
    ['set exclusion', { labelSelector: 'app notin (a,c)' }, ['b1', 'none']],
    ['existence', { labelSelector: 'tier' }, ['a1', 'a2', 'b1']],
    ['non-existence', { labelSelector: '!tier' }, ['c1', 'none']],
    ['a conjunction', { labelSelector: 'app=a,tier=front' }, ['a1']],
    ['field metadata.name', { fieldSelector: 'metadata.name=b1' }, ['b1']],
    ['field metadata.name inequality', { fieldSelector: 'metadata.name!=b1' }, ['a1', 'a2', 'c1', 'none']],
    ['field status.phase', { fieldSelector: 'status.phase=Pending' }, ['a1', 'a2', 'b1', 'c1', 'none']],
    ['field and label together', { fieldSelector: 'metadata.name!=a1', labelSelector: 'app=a' }, ['a2']],
  ];
  for (const [what, selectors, names] of cases) {
    const list = await core.listNamespacedPod({ namespace: ns, ...selectors });
    t.same(list.items.map((p) => p.metadata?.name).sort(), names, `${what}: ${JSON.stringify(selectors)}`);
  }
  const all = await core.listPodForAllNamespaces({ labelSelector: 'app=a' });
  t.same(all.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).sort(), [`${ns}/a1`, `${ns}/a2`], 'a label selector works across all namespaces');
  const bad = await failure(core.listNamespacedPod({ namespace: ns, fieldSelector: 'spec.nosuchfield=x' }));
  t.equal(bad.code, 400, 'an unsupported field selector is a 400');
});

t.test('paging with limit and continue returns every configmap exactly once at one resourceVersion', async (t) => {
  const ns = await namespace('cn-paging');
  const names = Array.from({ length: 25 }, (_, i) => `cm-${String(i).padStart(2, '0')}`);
  for (const name of names) await core.createNamespacedConfigMap({ namespace: ns, body: configMap(name, { i: name }) });
  const pages: k8s.V1ConfigMapList[] = [];
  let token: string | undefined;
  do {
    const page = await core.listNamespacedConfigMap({ namespace: ns, limit: 10, ...(token === undefined ? {} : { _continue: token }) });
    pages.push(page);
    // A write between pages must not show: every page is read at the first page's revision.
    if (pages.length === 1) await core.createNamespacedConfigMap({ namespace: ns, body: configMap('cm-late') });
    token = page.metadata?._continue || undefined;
  } while (token !== undefined && pages.length < 10);
  t.same(
    pages.map((p) => p.items.length),
    [10, 10, 5],
    'three pages of 10, 10 and 5',
  );
  t.same(
    pages.flatMap((p) => p.items.map((c) => c.metadata?.name)),
    names,
    'every configmap exactly once, in name order',
  );
  t.same(new Set(pages.map((p) => p.metadata?.resourceVersion)).size, 1, 'every page carries the resourceVersion of the first');
  t.equal(pages[0]?.metadata?.remainingItemCount, 15, 'the first page counts the items left');
  t.notOk(pages[2]?.metadata?._continue, 'the last page has no continue token');
});

t.test('KubernetesObjectApi creates, patches, lists and deletes by apiVersion and kind', async (t) => {
  const ns = await namespace('cn-generic');
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const cm = { ...configMap('generic', { a: '1' }), metadata: { name: 'generic', namespace: ns, labels: { via: 'generic' } } };
  const created = await objects.create(cm);
  t.ok((created as k8s.V1ConfigMap).metadata?.uid, 'a configmap is created through resource discovery of /api/v1');
  const d = { ...deployment('generic-web', 1), metadata: { name: 'generic-web', namespace: ns, labels: { via: 'generic' } } };
  const dCreated = await objects.create(d);
  t.equal((dCreated as k8s.V1Deployment).spec?.replicas, 1, 'a deployment is created through discovery of /apis/apps/v1');

  const patched = (await objects.patch({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'generic', namespace: ns },
    data: { b: '2' },
  } as k8s.V1ConfigMap)) as k8s.V1ConfigMap;
  t.same(patched.data, { a: '1', b: '2' }, 'patch (strategic merge by default) merges the data');
  const applied = (await objects.patch(
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'generic-web', namespace: ns }, spec: { replicas: 4 } } as k8s.V1Deployment,
    undefined,
    undefined,
    'cn-generic',
    true,
    k8s.PatchStrategy.ServerSideApply,
  )) as k8s.V1Deployment;
  t.equal(applied.spec?.replicas, 4, 'a server-side apply patch with force scales the deployment');

  const read = (await objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic', namespace: ns } })) as k8s.V1ConfigMap;
  t.same(read.data, { a: '1', b: '2' }, 'read finds the patched configmap');
  const cms = await objects.list('v1', 'ConfigMap', ns, undefined, undefined, undefined, undefined, 'via=generic');
  t.same(
    cms.items.map((o) => o.metadata?.name),
    ['generic'],
    'list by kind with a label selector',
  );
  const deps = await objects.list('apps/v1', 'Deployment', ns);
  t.same(
    deps.items.map((o) => o.metadata?.name),
    ['generic-web'],
    'list deployments by apiVersion and kind',
  );

  await objects.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic', namespace: ns } });
  await objects.delete({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'generic-web', namespace: ns } });
  t.same(
    (await objects.list('v1', 'ConfigMap', ns, undefined, undefined, undefined, undefined, 'via=generic')).items,
    [],
    'delete (no body) removed the configmap',
  );
  t.same((await objects.list('apps/v1', 'Deployment', ns)).items, [], 'and the deployment');
});

interface Seen {
  readonly type: string;
  readonly name: string;
  readonly rv: number;
  readonly object: k8s.V1Pod;
}

/** Starts a raw client-node watch and collects what it delivers; `ended` resolves with done's argument. */
async function rawWatch(path: string, query: Record<string, string>): Promise<{ events: Seen[]; ended: Promise<unknown>; abort: () => void }> {
  const events: Seen[] = [];
  let settle: (err: unknown) => void = () => {};
  const ended = new Promise<unknown>((resolve) => {
    settle = resolve;
  });
  const controller = await new k8s.Watch(kc).watch(
    path,
    query,
    (type, object: k8s.V1Pod) => events.push({ type, name: object.metadata?.name ?? '', rv: rvOf(object), object }),
    (err) => settle(err),
  );
  return { events, ended, abort: () => controller.abort() };
}

t.test('a raw Watch sees ADDED, MODIFIED and DELETED with the objects and resourceVersions of the writes', async (t) => {
  const ns = await namespace('cn-watch');
  const start = await core.listNamespacedPod({ namespace: ns });
  const w = await rawWatch(`/api/v1/namespaces/${ns}/pods`, { resourceVersion: start.metadata?.resourceVersion ?? '' });
  t.teardown(w.abort);
  const created = await core.createNamespacedPod({ namespace: ns, body: pod('watched', { step: '1' }) });
  const modified = await core.patchNamespacedPod(
    { name: 'watched', namespace: ns, body: { metadata: { labels: { step: '2' } } } },
    patchAs(k8s.PatchStrategy.MergePatch),
  );
  const deleted = await core.deleteNamespacedPod({ name: 'watched', namespace: ns });
  await pollUntil('three watch events', () => w.events.length >= 3, 20_000);
  t.same(
    w.events.map((e) => [e.type, e.name, e.rv]),
    [
      ['ADDED', 'watched', rvOf(created)],
      ['MODIFIED', 'watched', rvOf(modified)],
      ['DELETED', 'watched', rvOf(deleted)],
    ],
    'one event per write, in order, each at the resourceVersion its write answered',
  );
  t.equal(w.events[0]?.object.metadata?.uid, created.metadata?.uid, 'ADDED carries the created pod');
  t.equal(w.events[1]?.object.metadata?.labels?.step, '2', 'MODIFIED carries the new state');
  t.equal(w.events[2]?.object.metadata?.labels?.step, '2', 'DELETED carries the last state');
  t.equal(w.events[0]?.object.kind, 'Pod', 'event objects carry their kind');
});

t.test('a watch from a resourceVersion the cache no longer holds ends with a 410 Expired ERROR event', async (t) => {
  const ns = await namespace('cn-expired');
  const start = await core.listNamespacedConfigMap({ namespace: ns });
  const oldRv = start.metadata?.resourceVersion ?? '';
  for (let i = 0; i <= WATCH_WINDOW_EVENTS; i++) await core.createNamespacedConfigMap({ namespace: ns, body: configMap(`fill-${i}`) });
  for (const [what, rv] of [
    ['a list resourceVersion older than the last window of changes', oldRv],
    ['resourceVersion 1', '1'],
  ] as const) {
    const w = await rawWatch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: rv });
    const err = await w.ended;
    t.equal(err, null, `${what}: the server ends the stream itself`);
    t.same(
      w.events.map((e) => [e.type, (e.object as unknown as k8s.V1Status).code, (e.object as unknown as k8s.V1Status).reason]),
      [['ERROR', 410, 'Expired']],
      `${what}: the only event is an ERROR carrying a 410 Expired Status`,
    );
  }
});

t.test('an informer sees every create, update and delete, and its cache ends equal to a fresh list', async (t) => {
  const ns = await namespace('cn-informer');
  const listFn = () => core.listNamespacedPod({ namespace: ns });
  const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns}/pods`, listFn);
  const seen = { add: [] as string[], update: [] as string[], delete: [] as string[], error: [] as unknown[] };
  informer.on('add', (p) => seen.add.push(p.metadata?.name ?? ''));
  informer.on('update', (p) => seen.update.push(`${p.metadata?.name}:${p.metadata?.labels?.round}`));
  informer.on('delete', (p) => seen.delete.push(p.metadata?.name ?? ''));
  informer.on('error', (e) => seen.error.push(e));
  await informer.start();
  t.teardown(() => informer.stop());

  const names = Array.from({ length: 20 }, (_, i) => `inf-${String(i).padStart(2, '0')}`);
  for (const name of names) await core.createNamespacedPod({ namespace: ns, body: pod(name, { round: '0' }) });
  const updated = names.slice(0, 10);
  for (const name of updated)
    await core.patchNamespacedPod({ name, namespace: ns, body: { metadata: { labels: { round: '1' } } } }, patchAs(k8s.PatchStrategy.MergePatch));
  const deleted = names.slice(15);
  for (const name of deleted) await core.deleteNamespacedPod({ name, namespace: ns });

  await pollUntil(
    'the informer has seen all 35 changes',
    () => seen.add.length + seen.update.length + seen.delete.length >= 35 || seen.error.length > 0,
    30_000,
  );
  t.same(seen.error, [], 'the informer reported no error');
  t.same(seen.add, names, 'an add callback for each created pod, in order');
  t.same(
    seen.update,
    updated.map((n) => `${n}:1`),
    'an update callback for each updated pod, with the new labels',
  );
  t.same(seen.delete, deleted, 'a delete callback for each deleted pod');

  const fresh = await listFn();
  const summary = (pods: readonly k8s.V1Pod[]) => pods.map((p) => `${p.metadata?.name}@${p.metadata?.resourceVersion}:${p.metadata?.labels?.round}`).sort();
  t.same(summary(informer.list(ns)), summary(fresh.items), 'the cache holds exactly what a fresh list holds, at the same resourceVersions');
  t.equal(fresh.items.length, 15, 'fifteen pods remain');
});
