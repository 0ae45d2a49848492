import fc from 'fast-check';
import t from 'tap';
import { allKinds, compareVersions, ResourceRegistry, registryProblems } from '../../../../apiserver/registry/registry.js';
import type { ResourceDef } from '../../../../apiserver/registry/types.js';
import type { KubeObject } from '../../../../kube/object.js';
import { NOW_MS } from './lifecycle.js';

const registry = ResourceRegistry.builtin();

t.test('every built-in kind is internally consistent', async (t) => {
  t.same(registryProblems(allKinds), []);
  for (const def of allKinds) {
    t.ok(def.columns && def.columns.length > 0, `${def.kind} has columns`);
    t.ok(
      def.subresources.every((s) => ['status', 'scale', 'binding', 'eviction', 'log'].includes(s)),
      `${def.kind} subresources`,
    );
  }
});

t.test('names, scopes, short names and categories are those of kube-apiserver 1.32', async (t) => {
  const table = registry.all.map((d) => [
    d.group ? `${d.group}/${d.version}` : d.version,
    d.plural,
    d.singular,
    d.kind,
    d.namespaced,
    d.shortNames.join(','),
    d.categories.join(','),
    d.schemaName,
  ]);
  t.same(table, [
    ['v1', 'configmaps', 'configmap', 'ConfigMap', true, 'cm', '', 'io.k8s.api.core.v1.ConfigMap'],
    ['v1', 'endpoints', 'endpoints', 'Endpoints', true, 'ep', '', 'io.k8s.api.core.v1.Endpoints'],
    ['v1', 'events', 'event', 'Event', true, 'ev', '', 'io.k8s.api.core.v1.Event'],
    ['v1', 'limitranges', 'limitrange', 'LimitRange', true, 'limits', '', 'io.k8s.api.core.v1.LimitRange'],
    ['v1', 'namespaces', 'namespace', 'Namespace', false, 'ns', '', 'io.k8s.api.core.v1.Namespace'],
    ['v1', 'nodes', 'node', 'Node', false, 'no', '', 'io.k8s.api.core.v1.Node'],
    ['v1', 'persistentvolumeclaims', 'persistentvolumeclaim', 'PersistentVolumeClaim', true, 'pvc', '', 'io.k8s.api.core.v1.PersistentVolumeClaim'],
    ['v1', 'persistentvolumes', 'persistentvolume', 'PersistentVolume', false, 'pv', '', 'io.k8s.api.core.v1.PersistentVolume'],
    ['v1', 'pods', 'pod', 'Pod', true, 'po', 'all', 'io.k8s.api.core.v1.Pod'],
    ['v1', 'replicationcontrollers', 'replicationcontroller', 'ReplicationController', true, 'rc', 'all', 'io.k8s.api.core.v1.ReplicationController'],
    ['v1', 'resourcequotas', 'resourcequota', 'ResourceQuota', true, 'quota', '', 'io.k8s.api.core.v1.ResourceQuota'],
    ['v1', 'secrets', 'secret', 'Secret', true, '', '', 'io.k8s.api.core.v1.Secret'],
    ['v1', 'serviceaccounts', 'serviceaccount', 'ServiceAccount', true, 'sa', '', 'io.k8s.api.core.v1.ServiceAccount'],
    ['v1', 'services', 'service', 'Service', true, 'svc', 'all', 'io.k8s.api.core.v1.Service'],
    ['apps/v1', 'controllerrevisions', 'controllerrevision', 'ControllerRevision', true, '', '', 'io.k8s.api.apps.v1.ControllerRevision'],
    ['apps/v1', 'daemonsets', 'daemonset', 'DaemonSet', true, 'ds', 'all', 'io.k8s.api.apps.v1.DaemonSet'],
    ['apps/v1', 'deployments', 'deployment', 'Deployment', true, 'deploy', 'all', 'io.k8s.api.apps.v1.Deployment'],
    ['apps/v1', 'replicasets', 'replicaset', 'ReplicaSet', true, 'rs', 'all', 'io.k8s.api.apps.v1.ReplicaSet'],
    ['apps/v1', 'statefulsets', 'statefulset', 'StatefulSet', true, 'sts', 'all', 'io.k8s.api.apps.v1.StatefulSet'],
    [
      'authorization.k8s.io/v1',
      'localsubjectaccessreviews',
      'localsubjectaccessreview',
      'LocalSubjectAccessReview',
      true,
      '',
      '',
      'io.k8s.api.authorization.v1.LocalSubjectAccessReview',
    ],
    [
      'authorization.k8s.io/v1',
      'selfsubjectaccessreviews',
      'selfsubjectaccessreview',
      'SelfSubjectAccessReview',
      false,
      '',
      '',
      'io.k8s.api.authorization.v1.SelfSubjectAccessReview',
    ],
    [
      'authorization.k8s.io/v1',
      'selfsubjectrulesreviews',
      'selfsubjectrulesreview',
      'SelfSubjectRulesReview',
      false,
      '',
      '',
      'io.k8s.api.authorization.v1.SelfSubjectRulesReview',
    ],
    [
      'authorization.k8s.io/v1',
      'subjectaccessreviews',
      'subjectaccessreview',
      'SubjectAccessReview',
      false,
      '',
      '',
      'io.k8s.api.authorization.v1.SubjectAccessReview',
    ],
    ['batch/v1', 'jobs', 'job', 'Job', true, '', 'all', 'io.k8s.api.batch.v1.Job'],
    ['rbac.authorization.k8s.io/v1', 'clusterrolebindings', 'clusterrolebinding', 'ClusterRoleBinding', false, '', '', 'io.k8s.api.rbac.v1.ClusterRoleBinding'],
    ['rbac.authorization.k8s.io/v1', 'clusterroles', 'clusterrole', 'ClusterRole', false, '', '', 'io.k8s.api.rbac.v1.ClusterRole'],
    ['rbac.authorization.k8s.io/v1', 'rolebindings', 'rolebinding', 'RoleBinding', true, '', '', 'io.k8s.api.rbac.v1.RoleBinding'],
    ['rbac.authorization.k8s.io/v1', 'roles', 'role', 'Role', true, '', '', 'io.k8s.api.rbac.v1.Role'],
    ['storage.k8s.io/v1', 'storageclasses', 'storageclass', 'StorageClass', false, 'sc', '', 'io.k8s.api.storage.v1.StorageClass'],
    ['coordination.k8s.io/v1', 'leases', 'lease', 'Lease', true, '', '', 'io.k8s.api.coordination.v1.Lease'],
    ['discovery.k8s.io/v1', 'endpointslices', 'endpointslice', 'EndpointSlice', true, '', '', 'io.k8s.api.discovery.v1.EndpointSlice'],
  ]);
});

t.test('subresources, name rules and generation follow each kind upstream', async (t) => {
  const of = (plural: string): ResourceDef => registry.resolve(plural)[0] as ResourceDef;
  t.same(of('pods').subresources, ['status', 'binding', 'eviction', 'log']);
  t.same(
    ['deployments', 'replicasets', 'statefulsets', 'replicationcontrollers'].map((p) => of(p).subresources),
    Array(4).fill(['status', 'scale']),
  );
  t.same(of('daemonsets').subresources, ['status']);
  t.same(
    registry.all.filter((d) => d.nameRule !== 'subdomain').map((d) => [d.plural, d.nameRule]),
    [
      ['events', 'path'],
      ['namespaces', 'label'],
      ['services', 'label'],
      ['localsubjectaccessreviews', 'path'],
      ['selfsubjectaccessreviews', 'path'],
      ['selfsubjectrulesreviews', 'path'],
      ['subjectaccessreviews', 'path'],
      ['clusterrolebindings', 'path'],
      ['clusterroles', 'path'],
      ['rolebindings', 'path'],
      ['roles', 'path'],
    ],
  );
  t.same(
    registry.all.filter((d) => d.specFields).map((d) => d.plural),
    ['replicationcontrollers', 'daemonsets', 'deployments', 'replicasets', 'statefulsets', 'jobs', 'endpointslices'],
  );
});

t.test('kinds are found by URL, by kind and by any name kubectl accepts', async (t) => {
  t.equal(registry.byResource('apps', 'v1', 'deployments')?.kind, 'Deployment');
  t.equal(registry.byResource('', 'v1', 'deployments'), undefined);
  t.equal(registry.byResource('apps', 'v2', 'deployments'), undefined);
  t.equal(registry.byKind('', 'Namespace')?.plural, 'namespaces');
  t.equal(registry.byKind('batch', 'Job')?.plural, 'jobs');
  for (const name of ['po', 'pod', 'pods', 'Pod', 'PODS'])
    t.same(
      registry.resolve(name).map((d) => d.plural),
      ['pods'],
      name,
    );
  for (const name of ['deploy', 'deployment', 'deployments.apps', 'deploy.apps'])
    t.same(
      registry.resolve(name).map((d) => d.plural),
      ['deployments'],
      name,
    );
  t.same(registry.resolve('deployments.batch'), []);
  t.same(
    registry.resolve('ev').map((d) => d.plural),
    ['events'],
  );
  t.same(registry.resolve('nothing'), []);
});

t.test("group-versions come in kube's preferred order, and 'all' lists the workload kinds", async (t) => {
  t.same(
    registry.groupVersions().map((gv) => `${gv.group}/${gv.version}`),
    [
      '/v1',
      'apps/v1',
      'authorization.k8s.io/v1',
      'batch/v1',
      'rbac.authorization.k8s.io/v1',
      'storage.k8s.io/v1',
      'coordination.k8s.io/v1',
      'discovery.k8s.io/v1',
    ],
  );
  t.same(registry.groups(), [
    '',
    'apps',
    'authorization.k8s.io',
    'batch',
    'rbac.authorization.k8s.io',
    'storage.k8s.io',
    'coordination.k8s.io',
    'discovery.k8s.io',
  ]);
  t.same(
    registry.resourcesOf('apps', 'v1').map((d) => d.plural),
    ['controllerrevisions', 'daemonsets', 'deployments', 'replicasets', 'statefulsets'],
  );
  t.same(
    registry.inCategory('all').map((d) => d.plural),
    ['pods', 'replicationcontrollers', 'services', 'daemonsets', 'deployments', 'replicasets', 'statefulsets', 'jobs'],
  );
  t.same(['v1alpha1', 'v1beta2', 'v2', 'foo', 'v1', 'v1beta1', 'v11alpha2'].sort(compareVersions), [
    'v2',
    'v1',
    'v1beta2',
    'v1beta1',
    'v11alpha2',
    'v1alpha1',
    'foo',
  ]);
  t.same(registry.versionsOf('apps'), ['v1']);
});

t.test('a registry with contradicting definitions refuses to start', async (t) => {
  const pods = registry.byKind('', 'Pod') as ResourceDef;
  const twin: ResourceDef = { ...pods, group: 'example.com', plural: 'Pods', schemaName: 'com.example.v1.Thing' };
  t.same(registryProblems([pods, twin]), [
    'Pods.example.com: plural must be lower-case letters and digits',
    'Pods.example.com: schemaName com.example.v1.Thing does not name kind Pod',
    'Pods.example.com: short name po already used by pods.core',
  ]);
  t.throws(() => new ResourceRegistry([pods, pods]), /resource \/v1\/pods defined twice/);
});

/** Any JSON, including the wrong types in the places kinds read. */
const junk = fc.jsonValue({ maxDepth: 4 });
const fieldNames = ['spec', 'status', 'data', 'subsets', 'endpoints', 'ports', 'involvedObject', 'type', 'addressType', 'provisioner', 'selector', 'template'];

t.test('hooks and columns never throw, whatever a client sends', async (t) => {
  fc.assert(
    fc.property(
      fc.constantFrom(...registry.all),
      fc.dictionary(fc.constantFrom(...fieldNames), junk),
      fc.dictionary(fc.constantFrom('containers', 'template', 'selector', 'ports'), junk),
      (def, fields, spec) => {
        const obj = { apiVersion: 'v1', kind: def.kind, metadata: { name: 'x', namespace: 'default', uid: 'u' }, ...fields } as KubeObject;
        if (typeof obj.spec === 'object' && obj.spec !== null && !Array.isArray(obj.spec)) Object.assign(obj.spec, spec);
        const old = structuredClone(obj);
        def.prepareForCreate?.(obj);
        def.defaults?.(obj);
        const causes = [...(def.validate?.(obj, undefined) ?? []), ...(def.validate?.(obj, old) ?? [])];
        for (const c of causes) if (typeof c.message !== 'string' || typeof c.field !== 'string') return false;
        for (const column of def.columns ?? []) {
          const cell = column.cell(obj, NOW_MS);
          if (!['string', 'number', 'boolean'].includes(typeof cell)) return false;
        }
        return true;
      },
    ),
    { numRuns: 2000, seed: 20261127 },
  );
  t.pass('2000 random objects went through every hook');
});
