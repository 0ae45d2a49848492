import t from 'tap';
import { startApiserver } from '../../../helpers/apiserver-harness.js';

t.test('/version reports a v1.32 gitVersion so the kubectl dispatcher runs its own 1.32', async (t) => {
  const { request } = await startApiserver(t);
  const res = await request('GET', '/version?timeout=5s');
  t.match(res.json, { major: '1', minor: '32', gitVersion: /^v1\.32\./ });
});

t.test('legacy discovery lists the core and named groups with short names and categories', async (t) => {
  const { request } = await startApiserver(t);
  const api = await request('GET', '/api');
  t.match(api.json, { kind: 'APIVersions', versions: ['v1'] });
  const v1 = await request('GET', '/api/v1');
  t.equal(v1.json.kind, 'APIResourceList');
  const pods = v1.json.resources.find((r: { name: string }) => r.name === 'pods');
  t.match(pods, { namespaced: true, kind: 'Pod', shortNames: ['po'], categories: ['all'] });
  t.ok(
    v1.json.resources.some((r: { name: string }) => r.name === 'pods/log'),
    'subresources are listed',
  );
  const apis = await request('GET', '/apis');
  const groups = apis.json.groups.map((g: { name: string }) => g.name);
  for (const g of ['apps', 'batch', 'coordination.k8s.io', 'discovery.k8s.io', 'storage.k8s.io']) t.ok(groups.includes(g), `group ${g}`);
  const apps = await request('GET', '/apis/apps/v1');
  const deploy = apps.json.resources.find((r: { name: string }) => r.name === 'deployments');
  t.match(deploy, { kind: 'Deployment', shortNames: ['deploy'] });
});

t.test('aggregated discovery answers with the content type kubectl requires', async (t) => {
  const { request } = await startApiserver(t);
  const accept =
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
  const res = await request('GET', '/apis', undefined, { accept });
  t.match(res.headers['content-type'], /^application\/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList/);
  t.equal(res.json.kind, 'APIGroupDiscoveryList');
  t.ok(res.json.items.some((i: { metadata: { name?: string } }) => i.metadata.name === 'apps'));
  const core = await request('GET', '/api', undefined, { accept });
  const resources = core.json.items[0].versions[0].resources.map((r: { resource: string }) => r.resource);
  t.ok(resources.includes('pods') && resources.includes('namespaces'));
});

t.test('the OpenAPI v3 index points at documents whose PATCH operations carry fieldValidation', async (t) => {
  const { request } = await startApiserver(t);
  const index = await request('GET', '/openapi/v3');
  const url: string = index.json.paths['api/v1'].serverRelativeURL;
  t.match(url, /^\/openapi\/v3\/api\/v1\?hash=/);
  const doc = await request('GET', url);
  const patch = doc.json.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
  t.match(patch['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Pod' });
  t.ok(patch.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));
});

t.test('health endpoints answer, and /readyz says ready once the caches are in sync', async (t) => {
  const { request } = await startApiserver(t);
  t.equal((await request('GET', '/healthz')).text, 'ok');
  t.equal((await request('GET', '/livez')).text, 'ok');
  const ready = await request('GET', '/readyz');
  t.equal(ready.status, 200);
  const metrics = await request('GET', '/metrics');
  t.match(metrics.text, /apiserver_request_total/);
});
