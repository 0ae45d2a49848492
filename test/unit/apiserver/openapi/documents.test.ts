import t from 'tap';
import { definitions } from '../../../../apiserver/openapi/definitions.js';
import { type OpenApiV3Document, openapiV3GroupVersion, openapiV3GroupVersionSerialized, openapiV3Root } from '../../../../apiserver/openapi/documents.js';
import type { Operation, PathItem } from '../../../../apiserver/openapi/operations.js';
import type { ResourceDef } from '../../../../apiserver/registry/types.js';
import type { Schema } from '../../../../kube/schema/types.js';

function resource(partial: Pick<ResourceDef, 'group' | 'version' | 'kind' | 'plural' | 'namespaced' | 'schemaName'> & Partial<ResourceDef>): ResourceDef {
  return { singular: partial.kind.toLowerCase(), shortNames: [], categories: [], subresources: [], nameRule: 'subdomain', ...partial };
}

const pods = resource({
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  namespaced: true,
  schemaName: 'io.k8s.api.core.v1.Pod',
  subresources: ['status', 'binding', 'eviction', 'log'],
});
const nodes = resource({
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  namespaced: false,
  schemaName: 'io.k8s.api.core.v1.Node',
  subresources: ['status'],
});
const deployments = resource({
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
  schemaName: 'io.k8s.api.apps.v1.Deployment',
  subresources: ['status', 'scale'],
});
const defs = [pods, nodes, deployments];

function doc(gv: string): OpenApiV3Document {
  const d = openapiV3GroupVersion(defs, gv);
  if (!d) throw new Error(`no document for ${gv}`);
  return d;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
type Gvk = { group: string; version: string; kind: string };
const sameGvk = (a: Gvk | undefined, b: Gvk) => !!a && a.group === b.group && a.version === b.version && a.kind === b.kind;

/** What kubectl explain does with a v3 document: resource → GVK through the paths, GVK → schema, then the field path. */
function explain(d: OpenApiV3Document, group: string, version: string, plural: string, fieldPath: string[]): Schema | undefined {
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const candidates = [
    `${prefix}/${plural}`,
    `${prefix}/${plural}/{name}`,
    `${prefix}/namespaces/{namespace}/${plural}`,
    `${prefix}/namespaces/{namespace}/${plural}/{name}`,
  ];
  let gvk: Gvk | undefined;
  for (const p of candidates) for (const m of METHODS) gvk ??= d.paths[p]?.[m]?.['x-kubernetes-group-version-kind'];
  if (!gvk) return undefined;
  const found = gvk;
  let schema: Schema | undefined = Object.values(d.components.schemas).find((s) => s['x-kubernetes-group-version-kind']?.some((g) => sameGvk(g, found)));
  for (const field of fieldPath) {
    schema = resolve(d, schema);
    schema = schema?.properties?.[field] ?? resolve(d, schema?.items)?.properties?.[field];
  }
  return schema;
}

function resolve(d: OpenApiV3Document, s: Schema | undefined): Schema | undefined {
  let cur = s;
  while (cur?.$ref || (cur?.allOf?.length === 1 && !cur.properties)) {
    cur = cur.$ref ? d.components.schemas[cur.$ref.replace('#/components/schemas/', '')] : cur.allOf?.[0];
  }
  return cur;
}

/** What kubectl's server-side validation check does: a PATCH with the kind's GVK must take `fieldValidation`. */
function supportsFieldValidation(d: OpenApiV3Document, gvk: Gvk): boolean {
  const patches = Object.values(d.paths).flatMap((p) => (p.patch && sameGvk(p.patch['x-kubernetes-group-version-kind'], gvk) ? [p.patch] : []));
  return patches.length > 0 && patches.every((op) => op.parameters?.some((p) => p.name === 'fieldValidation' && p.in === 'query'));
}

t.test('the index lists each group-version once, at a URL carrying the hash of its document', async (t) => {
  const root = openapiV3Root(defs);
  t.same(Object.keys(root.paths), ['api/v1', 'apis/apps/v1']);
  for (const gv of ['api/v1', 'apis/apps/v1']) {
    const serialized = openapiV3GroupVersionSerialized(defs, gv);
    t.match(serialized?.hash, /^[0-9A-F]{128}$/);
    t.equal(root.paths[gv]?.serverRelativeURL, `/openapi/v3/${gv}?hash=${serialized?.hash}`);
    t.equal(serialized?.json, JSON.stringify(serialized?.document));
  }
});

t.test('the hash is stable for the same resources and changes when they change', async (t) => {
  const again = openapiV3Root([...defs]);
  t.same(again, openapiV3Root(defs), 'a fresh list with the same resources gives the same URLs');
  const withoutNodes = openapiV3Root([pods, deployments]);
  t.not(withoutNodes.paths['api/v1']?.serverRelativeURL, again.paths['api/v1']?.serverRelativeURL);
  t.equal(withoutNodes.paths['apis/apps/v1']?.serverRelativeURL, again.paths['apis/apps/v1']?.serverRelativeURL);
});

t.test('a group-version document is OpenAPI 3.0 with the Kubernetes title and version', async (t) => {
  t.match(doc('api/v1'), { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' } });
  t.equal(openapiV3GroupVersion(defs, 'apis/batch/v1'), undefined, 'no resources, no document');
  t.ok(openapiV3GroupVersion(defs, '/apis/apps/v1'), 'a leading slash is tolerated');
});

t.test('each resource has the paths and methods kube-apiserver serves', async (t) => {
  const methods = (item: PathItem | undefined) => METHODS.filter((m) => item?.[m]);
  const cases: [string, string, string[]][] = [
    ['api/v1', '/api/v1/namespaces/{namespace}/pods', ['get', 'post', 'delete']],
    ['api/v1', '/api/v1/namespaces/{namespace}/pods/{name}', ['get', 'put', 'patch', 'delete']],
    ['api/v1', '/api/v1/pods', ['get']],
    ['api/v1', '/api/v1/namespaces/{namespace}/pods/{name}/status', ['get', 'put', 'patch']],
    ['api/v1', '/api/v1/namespaces/{namespace}/pods/{name}/binding', ['post']],
    ['api/v1', '/api/v1/namespaces/{namespace}/pods/{name}/eviction', ['post']],
    ['api/v1', '/api/v1/namespaces/{namespace}/pods/{name}/log', ['get']],
    ['api/v1', '/api/v1/nodes', ['get', 'post', 'delete']],
    ['api/v1', '/api/v1/nodes/{name}', ['get', 'put', 'patch', 'delete']],
    ['api/v1', '/api/v1/nodes/{name}/status', ['get', 'put', 'patch']],
    ['apis/apps/v1', '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale', ['get', 'put', 'patch']],
    ['apis/apps/v1', '/apis/apps/v1/deployments', ['get']],
  ];
  for (const [gv, path, want] of cases) t.same(methods(doc(gv).paths[path]), want, path);
  t.notOk(doc('api/v1').paths['/api/v1/namespaces/{namespace}/nodes'], 'a cluster-scoped kind has no namespaced paths');
  t.notOk(doc('api/v1').paths['/apis/apps/v1/deployments'], 'each document holds only its own group-version');
});

t.test('operations carry the action and group-version-kind extensions', async (t) => {
  const op = (gv: string, path: string, m: (typeof METHODS)[number]): Operation | undefined => doc(gv).paths[path]?.[m];
  const cases: [string, string, (typeof METHODS)[number], string, Gvk][] = [
    ['api/v1', '/api/v1/pods', 'get', 'list', { group: '', version: 'v1', kind: 'Pod' }],
    ['api/v1', '/api/v1/namespaces/{namespace}/pods', 'delete', 'deletecollection', { group: '', version: 'v1', kind: 'Pod' }],
    ['api/v1', '/api/v1/namespaces/{namespace}/pods/{name}', 'patch', 'patch', { group: '', version: 'v1', kind: 'Pod' }],
    ['api/v1', '/api/v1/namespaces/{namespace}/pods/{name}/binding', 'post', 'post', { group: '', version: 'v1', kind: 'Binding' }],
    ['api/v1', '/api/v1/namespaces/{namespace}/pods/{name}/eviction', 'post', 'post', { group: 'policy', version: 'v1', kind: 'Eviction' }],
    ['apis/apps/v1', '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale', 'put', 'put', { group: 'autoscaling', version: 'v1', kind: 'Scale' }],
  ];
  for (const [gv, path, m, action, gvk] of cases) {
    t.equal(op(gv, path, m)?.['x-kubernetes-action'], action, `${m} ${path}`);
    t.same(op(gv, path, m)?.['x-kubernetes-group-version-kind'], gvk, `${m} ${path}`);
  }
  t.equal(op('api/v1', '/api/v1/namespaces/{namespace}/pods/{name}/status', 'get')?.operationId, 'readCoreV1NamespacedPodStatus');
  t.equal(op('api/v1', '/api/v1/pods', 'get')?.operationId, 'listCoreV1PodForAllNamespaces');
  t.equal(op('apis/apps/v1', '/apis/apps/v1/namespaces/{namespace}/deployments', 'delete')?.operationId, 'deleteAppsV1CollectionNamespacedDeployment');
});

t.test('kubectl would validate server-side: every PATCH of a kind takes fieldValidation', async (t) => {
  t.ok(supportsFieldValidation(doc('api/v1'), { group: '', version: 'v1', kind: 'Pod' }));
  t.ok(supportsFieldValidation(doc('api/v1'), { group: '', version: 'v1', kind: 'Node' }));
  t.ok(supportsFieldValidation(doc('apis/apps/v1'), { group: 'apps', version: 'v1', kind: 'Deployment' }));
  t.notOk(supportsFieldValidation(doc('apis/apps/v1'), { group: '', version: 'v1', kind: 'Pod' }));
  const writes = ['post', 'put', 'patch'] as const;
  for (const [path, item] of Object.entries(doc('api/v1').paths)) {
    for (const m of writes) {
      const names = item[m]?.parameters?.map((p) => p.name) ?? [];
      if (item[m] && !path.endsWith('/log'))
        t.ok(
          ['dryRun', 'fieldManager', 'fieldValidation'].every((n) => names.includes(n)),
          `${m} ${path}`,
        );
    }
  }
});

t.test('bodies and responses refer to the kind by name', async (t) => {
  const item = doc('api/v1').paths['/api/v1/namespaces/{namespace}/pods/{name}'];
  const podRef = { $ref: '#/components/schemas/io.k8s.api.core.v1.Pod' };
  t.same(item?.put?.requestBody?.content['application/json']?.schema, podRef);
  t.same(item?.get?.responses['200']?.content?.['application/json']?.schema, podRef);
  t.same(Object.keys(item?.patch?.requestBody?.content ?? {}).sort(), [
    'application/apply-patch+yaml',
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/strategic-merge-patch+json',
  ]);
  const list = doc('api/v1').paths['/api/v1/namespaces/{namespace}/pods']?.get?.responses['200']?.content?.['application/json']?.schema;
  t.same(list, { $ref: '#/components/schemas/io.k8s.api.core.v1.PodList' });
});

t.test('a document is self-contained: every $ref names one of its own schemas', async (t) => {
  for (const gv of ['api/v1', 'apis/apps/v1']) {
    const d = doc(gv);
    const refs = JSON.stringify(d).match(/"\$ref":"#\/components\/schemas\/[^"]+"/g) ?? [];
    const missing = refs.map((r) => r.slice('"$ref":"#/components/schemas/'.length, -1)).filter((n) => !d.components.schemas[n]);
    t.same(missing, [], gv);
    t.ok(d.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Status'], `${gv} carries Status`);
  }
  t.ok(doc('apis/apps/v1').components.schemas['io.k8s.api.autoscaling.v1.Scale'], 'the scale subresource brings its kind');
  t.notOk(doc('apis/apps/v1').components.schemas['io.k8s.api.core.v1.Node'], 'schemas no kind of the group-version reaches are left out');
});

t.test('kubectl explain finds kinds and fields through the document', async (t) => {
  const cases: [string, string, string, string, string[], RegExp][] = [
    ['api/v1', '', 'v1', 'pods', [], /^Pod is a collection of containers/],
    ['api/v1', '', 'v1', 'pods', ['spec', 'containers'], /^List of containers belonging to the pod/],
    ['api/v1', '', 'v1', 'pods', ['spec', 'containers', 'image'], /^Container image name/],
    ['api/v1', '', 'v1', 'nodes', ['spec', 'taints'], /taints/],
    ['apis/apps/v1', 'apps', 'v1', 'deployments', [], /^Deployment enables declarative updates/],
    ['apis/apps/v1', 'apps', 'v1', 'deployments', ['spec', 'replicas'], /desired pods/],
  ];
  for (const [gv, group, version, plural, path, want] of cases) {
    const s = explain(doc(gv), group, version, plural, path);
    t.match(s?.description ?? resolve(doc(gv), s)?.description, want, `${plural}.${path.join('.')}`);
  }
  const template = resolve(doc('apis/apps/v1'), explain(doc('apis/apps/v1'), 'apps', 'v1', 'deployments', ['spec', 'template']));
  t.match(template?.description, /^PodTemplateSpec describes the data a pod should have/);
  t.ok(template?.properties?.spec, 'deployment.spec.template has a spec');
  t.equal(explain(doc('api/v1'), '', 'v1', 'services', []), undefined, 'a resource not served is not found');
});

t.test('a resource whose schema is unknown still gets its paths', async (t) => {
  const odd = resource({
    group: 'example.com',
    version: 'v1',
    kind: 'Widget',
    plural: 'widgets',
    namespaced: true,
    schemaName: 'com.example.v1.Widget',
  });
  const d = openapiV3GroupVersion([odd], 'apis/example.com/v1', definitions);
  t.ok(d?.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}']?.patch);
  t.same(d?.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}']?.get?.responses['200']?.content?.['application/json']?.schema, {
    type: 'object',
  });
});
