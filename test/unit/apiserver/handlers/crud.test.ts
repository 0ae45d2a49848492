import t from 'tap';
import { pod, startApiserver } from '../../../helpers/apiserver-harness.js';

const PODS = '/api/v1/namespaces/default/pods';

t.test('a created pod comes back with the fields the server owns', async (t) => {
  const { request } = await startApiserver(t);
  const res = await request('POST', PODS, pod('web', { app: 'web' }));
  t.equal(res.status, 201);
  const meta = res.json.metadata;
  t.match(meta.uid, /^[0-9a-f-]{36}$/);
  t.match(meta.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.match(meta.resourceVersion, /^\d+$/);
  t.equal(meta.namespace, 'default', 'the namespace comes from the URL');
  t.equal(res.json.status.phase, 'Pending');
  t.equal(res.json.spec.restartPolicy, 'Always', 'defaults are applied');
  const got = await request('GET', `${PODS}/web`);
  t.equal(got.status, 200);
  t.same(got.json, res.json, 'a get returns what the create answered');
});

t.test("creating a name that exists is 409 AlreadyExists with kube's message", async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', PODS, pod('web'));
  const res = await request('POST', PODS, pod('web'));
  t.equal(res.status, 409);
  t.match(res.json, {
    kind: 'Status',
    status: 'Failure',
    reason: 'AlreadyExists',
    message: 'pods "web" already exists',
    details: { name: 'web', kind: 'pods' },
    code: 409,
  });
});

t.test('a get of a missing object is 404 NotFound; apps kinds name their group', async (t) => {
  const { request } = await startApiserver(t);
  const res = await request('GET', `${PODS}/nothere`);
  t.equal(res.status, 404);
  t.match(res.json, { reason: 'NotFound', message: 'pods "nothere" not found' });
  const dep = await request('GET', '/apis/apps/v1/namespaces/default/deployments/nothere');
  t.match(dep.json, { reason: 'NotFound', message: 'deployments.apps "nothere" not found', details: { group: 'apps' } });
});

t.test('an update with a stale resourceVersion is 409 Conflict; with the current one it applies', async (t) => {
  const { request } = await startApiserver(t);
  const created = (await request('POST', PODS, pod('web'))).json;
  const fresh = { ...created, metadata: { ...created.metadata, labels: { a: '1' } } };
  const ok = await request('PUT', `${PODS}/web`, fresh);
  t.equal(ok.status, 200);
  t.not(ok.json.metadata.resourceVersion, created.metadata.resourceVersion);
  const stale = await request('PUT', `${PODS}/web`, { ...created, metadata: { ...created.metadata, labels: { b: '2' } } });
  t.equal(stale.status, 409);
  t.match(stale.json, {
    reason: 'Conflict',
    message: 'Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again',
  });
});

t.test('merge, JSON and strategic merge patches each change the object', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', PODS, pod('web', { app: 'web' }));
  const merge = await request('PATCH', `${PODS}/web`, { metadata: { labels: { test: 'foo' } } }, { 'content-type': 'application/merge-patch+json' });
  t.same(merge.json.metadata.labels, { app: 'web', test: 'foo' });
  const unlabel = await request('PATCH', `${PODS}/web`, { metadata: { labels: { test: null } } }, { 'content-type': 'application/merge-patch+json' });
  t.same(unlabel.json.metadata.labels, { app: 'web' }, 'null deletes');
  const json = await request('PATCH', `${PODS}/web`, [{ op: 'add', path: '/metadata/annotations', value: { note: 'hi' } }], {
    'content-type': 'application/json-patch+json',
  });
  t.same(json.json.metadata.annotations, { note: 'hi' });
  const smp = await request(
    'PATCH',
    `${PODS}/web`,
    { spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } },
    { 'content-type': 'application/strategic-merge-patch+json' },
  );
  t.equal(smp.status, 200);
  t.equal(smp.json.spec.containers.length, 1, 'containers merge by name');
  t.equal(smp.json.spec.containers[0].image, 'busybox:1.36');
});

t.test('a patch naming a stale resourceVersion is a 409, and an unknown patch type 415', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', PODS, pod('web'));
  const res = await request(
    'PATCH',
    `${PODS}/web`,
    { metadata: { resourceVersion: '1', labels: { a: 'b' } } },
    { 'content-type': 'application/merge-patch+json' },
  );
  t.equal(res.status, 409);
  const bad = await request('PATCH', `${PODS}/web`, { a: 1 }, { 'content-type': 'text/plain' });
  t.equal(bad.status, 415);
  t.equal(bad.json.reason, 'UnsupportedMediaType');
});

t.test('lists filter by label and field selectors and page with continue tokens', async (t) => {
  const { request } = await startApiserver(t);
  for (const [name, env] of [
    ['a', 'production'],
    ['b', 'staging'],
    ['c', 'production'],
    ['d', 'qa'],
  ] as const) {
    await request('POST', PODS, pod(name, { environment: env, app: name === 'c' ? 'foo' : 'bar' }));
  }
  const sel = await request('GET', `${PODS}?labelSelector=${encodeURIComponent('environment in (production),app!=foo')}`);
  t.same(
    sel.json.items.map((p: { metadata: { name: string } }) => p.metadata.name),
    ['a'],
  );
  t.equal(sel.json.kind, 'PodList');
  const byName = await request('GET', `${PODS}?fieldSelector=metadata.name%3Db`);
  t.same(
    byName.json.items.map((p: { metadata: { name: string } }) => p.metadata.name),
    ['b'],
  );
  const badField = await request('GET', `${PODS}?fieldSelector=spec.bogus%3Dx`);
  t.equal(badField.status, 400);
  t.match(badField.json.message, /field label not supported: spec.bogus/);
  const page1 = await request('GET', `${PODS}?limit=3`);
  t.equal(page1.json.items.length, 3);
  t.ok(page1.json.metadata.continue, 'a continue token');
  t.equal(page1.json.metadata.remainingItemCount, 1);
  await request('POST', PODS, pod('e'));
  const page2 = await request('GET', `${PODS}?limit=3&continue=${encodeURIComponent(page1.json.metadata.continue)}`);
  t.same(
    page2.json.items.map((p: { metadata: { name: string } }) => p.metadata.name),
    ['d'],
    "the second page reads the first page's snapshot",
  );
  t.equal(page2.json.metadata.resourceVersion, page1.json.metadata.resourceVersion);
  const all = await request('GET', '/api/v1/pods');
  t.equal(all.json.items.length, 5, 'a list across all namespaces');
});

t.test('kubectl get asks for a Table and gets the pod columns and PartialObjectMetadata rows', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', PODS, pod('web', { app: 'web' }));
  const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
  const res = await request('GET', `${PODS}?limit=500`, undefined, { accept });
  t.equal(res.status, 200);
  t.match(res.headers['content-type'], /as=Table/);
  t.equal(res.json.kind, 'Table');
  t.same(
    res.json.columnDefinitions.map((c: { name: string }) => c.name),
    ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates'],
  );
  const row = res.json.rows[0];
  t.equal(row.cells[0], 'web');
  t.equal(row.cells[1], '0/1');
  t.equal(row.cells[2], 'Pending');
  t.match(row.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } } });
  const one = await request('GET', `${PODS}/web`, undefined, { accept });
  t.equal(one.json.kind, 'Table', 'a single get is a one-row Table too');
  t.equal(one.json.rows.length, 1);
});

t.test('delete removes an unscheduled pod at once and answers with it', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', PODS, pod('web'));
  const res = await request('DELETE', `${PODS}/web`, { propagationPolicy: 'Background' });
  t.equal(res.status, 200);
  t.equal(res.json.metadata.name, 'web');
  t.equal((await request('GET', `${PODS}/web`)).status, 404);
  const again = await request('DELETE', `${PODS}/web`);
  t.equal(again.status, 404);
});

t.test("client-node's DELETE with an empty JSON body is accepted", async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', PODS, pod('web'));
  const res = await request('DELETE', `${PODS}/web`, '', { 'content-type': 'application/json' });
  t.equal(res.status, 200);
});

t.test('an object with finalizers is only marked, and goes when the last finalizer is removed', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', '/api/v1/namespaces/default/configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', finalizers: ['example.com/hold'] },
  });
  const del = await request('DELETE', '/api/v1/namespaces/default/configmaps/c');
  t.equal(del.status, 200);
  t.ok(del.json.metadata.deletionTimestamp, 'marked for deletion');
  const still = await request('GET', '/api/v1/namespaces/default/configmaps/c');
  t.equal(still.status, 200, 'still there while a finalizer remains');
  const cleared = await request(
    'PATCH',
    '/api/v1/namespaces/default/configmaps/c',
    { metadata: { finalizers: null } },
    { 'content-type': 'application/merge-patch+json' },
  );
  t.equal(cleared.status, 200);
  t.equal((await request('GET', '/api/v1/namespaces/default/configmaps/c')).status, 404, 'gone with its last finalizer');
});

t.test('a pod in its grace period outlives its last finalizer until its node agent deletes it with grace 0', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', PODS, { ...pod('job-pod'), metadata: { name: 'job-pod', finalizers: ['batch.kubernetes.io/job-tracking'] } });
  await request('POST', `${PODS}/job-pod/binding`, {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'job-pod' },
    target: { kind: 'Node', name: 'node-1' },
  });
  const del = await request('DELETE', `${PODS}/job-pod`);
  t.equal(del.json.metadata.deletionGracePeriodSeconds, 30);
  const cleared = await request('PATCH', `${PODS}/job-pod`, { metadata: { finalizers: null } }, { 'content-type': 'application/merge-patch+json' });
  t.equal(cleared.status, 200);
  t.equal((await request('GET', `${PODS}/job-pod`)).status, 200, 'still there: its containers may still run');
  const final = await request('DELETE', `${PODS}/job-pod`, { gracePeriodSeconds: 0 });
  t.equal(final.status, 200);
  t.equal((await request('GET', `${PODS}/job-pod`)).status, 404, 'gone once the node agent says it stopped');
});

t.test('delete preconditions on uid and resourceVersion are enforced', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', PODS, pod('web'));
  const res = await request('DELETE', `${PODS}/web`, { preconditions: { uid: 'not-it' } });
  t.equal(res.status, 409);
  t.match(res.json.message, /Precondition failed: UID in precondition: not-it/);
  const rv = await request('DELETE', `${PODS}/web`, { preconditions: { resourceVersion: '1' } });
  t.equal(rv.status, 409);
});

t.test('generation starts at 1 and moves only on spec changes', async (t) => {
  const { request } = await startApiserver(t);
  const deploy = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    },
  };
  const url = '/apis/apps/v1/namespaces/default/deployments';
  const created = await request('POST', url, deploy);
  t.equal(created.status, 201);
  t.equal(created.json.metadata.generation, 1);
  const labelled = await request('PATCH', `${url}/web`, { metadata: { labels: { x: 'y' } } }, { 'content-type': 'application/merge-patch+json' });
  t.equal(labelled.json.metadata.generation, 1, 'a label change keeps the generation');
  const scaled = await request('PATCH', `${url}/web`, { spec: { replicas: 3 } }, { 'content-type': 'application/merge-patch+json' });
  t.equal(scaled.json.metadata.generation, 2, 'a spec change bumps it');
  const status = await request('PUT', `${url}/web/status`, { ...scaled.json, status: { observedGeneration: 2, replicas: 3 } });
  t.equal(status.status, 200);
  t.equal(status.json.metadata.generation, 2, 'a status write keeps it');
  t.equal(status.json.status.replicas, 3);
  const scale = await request('GET', `${url}/web/scale`);
  t.match(scale.json, { kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { replicas: 3, selector: 'app=web' } });
});

t.test('dryRun=All validates and answers but writes nothing', async (t) => {
  const { request } = await startApiserver(t);
  const res = await request('POST', `${PODS}?dryRun=All`, pod('web'));
  t.equal(res.status, 201);
  t.equal((await request('GET', `${PODS}/web`)).status, 404);
});

t.test('generateName makes a unique name', async (t) => {
  const { request } = await startApiserver(t);
  const a = await request('POST', PODS, { ...pod(''), metadata: { generateName: 'web-' } });
  const b = await request('POST', PODS, { ...pod(''), metadata: { generateName: 'web-' } });
  t.match(a.json.metadata.name, /^web-[a-z0-9]{5}$/);
  t.not(a.json.metadata.name, b.json.metadata.name);
});

t.test('binding sets the node once; a second binding is a conflict', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', PODS, pod('web'));
  const bind = await request('POST', `${PODS}/web/binding`, {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'web' },
    target: { kind: 'Node', name: 'node-1' },
  });
  t.equal(bind.status, 201);
  const got = await request('GET', `${PODS}/web`);
  t.equal(got.json.spec.nodeName, 'node-1');
  t.match(got.json.status.conditions, [{ type: 'PodScheduled', status: 'True' }]);
  const again = await request('POST', `${PODS}/web/binding`, {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'web' },
    target: { kind: 'Node', name: 'node-2' },
  });
  t.equal(again.status, 409);
  t.match(again.json.message, /already assigned to node "node-1"/);
});

t.test('a namespaced object in a missing namespace is 404 for the namespace', async (t) => {
  const { request } = await startApiserver(t);
  const res = await request('POST', '/api/v1/namespaces/dev/pods', pod('web'));
  t.equal(res.status, 404);
  t.equal(res.json.message, 'namespaces "dev" not found');
});

t.test('deleting a namespace marks it Terminating and refuses new content in it', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'qa' } });
  const del = await request('DELETE', '/api/v1/namespaces/qa');
  t.equal(del.status, 200);
  t.equal(del.json.status.phase, 'Terminating');
  const res = await request('POST', '/api/v1/namespaces/qa/pods', pod('web'));
  t.equal(res.status, 403);
  t.match(res.json.message, /unable to create new content in namespace qa because it is being terminated/);
  const fin = await request('PUT', '/api/v1/namespaces/qa/finalize', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'qa' },
    spec: { finalizers: [] },
  });
  t.equal(fin.status, 200);
  t.equal((await request('GET', '/api/v1/namespaces/qa')).status, 404, 'finalized: gone');
});

t.test('a continue token whose revision was compacted away is 410 Expired', async (t) => {
  const { request, store } = await startApiserver(t);
  for (const name of ['a', 'b', 'c']) await request('POST', PODS, pod(name));
  const page1 = await request('GET', `${PODS}?limit=1`);
  t.ok(page1.json.metadata.continue);
  await request('POST', PODS, pod('d'));
  await store.compact((await store.status()).revision);
  const page2 = await request('GET', `${PODS}?limit=1&continue=${encodeURIComponent(page1.json.metadata.continue)}`);
  t.equal(page2.status, 410);
  t.match(page2.json, { kind: 'Status', reason: 'Expired', code: 410, message: /continue parameter is too old/ });
});
