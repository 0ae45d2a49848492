import { readFileSync } from 'node:fs';
import t from 'tap';
import { definitions, kindSchema } from '../../../../apiserver/openapi/definitions.js';
import { type Schema, resolveSchema } from '../../../../kube/schema/types.js';
import { definitionName, generateDefinitions, stableJson } from '../../../../scripts/gen-openapi-definitions.js';

const property = (type: string, field: string): Schema | undefined => definitions[type]?.properties?.[field];

t.test('the committed definitions.json is exactly what the generator writes today', async (t) => {
  const committed = readFileSync(new URL('../../../../apiserver/openapi/definitions.json', import.meta.url), 'utf8');
  t.equal(`${stableJson(await generateDefinitions())}\n`, committed, 'run: node --import tsx scripts/gen-openapi-definitions.ts');
});

t.test('client-node model names map to the names kube-apiserver uses', async (t) => {
  const cases: [string, string][] = [
    ['V1Pod', 'io.k8s.api.core.v1.Pod'],
    ['CoreV1Event', 'io.k8s.api.core.v1.Event'],
    ['DiscoveryV1EndpointPort', 'io.k8s.api.discovery.v1.EndpointPort'],
    ['V1Deployment', 'io.k8s.api.apps.v1.Deployment'],
    ['V1ObjectMeta', 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'],
    ['V1Scale', 'io.k8s.api.autoscaling.v1.Scale'],
    ['V1Eviction', 'io.k8s.api.policy.v1.Eviction'],
    ['V1Lease', 'io.k8s.api.coordination.v1.Lease'],
    ['V1StorageClass', 'io.k8s.api.storage.v1.StorageClass'],
    ['V1PodFailurePolicy', 'io.k8s.api.batch.v1.PodFailurePolicy'],
  ];
  for (const [model, name] of cases) t.equal(definitionName(model), name, model);
});

t.test('every served kind and its list carry their group-version-kind', async (t) => {
  const kinds: [string, string, string, string][] = [
    ['io.k8s.api.core.v1.Namespace', '', 'v1', 'Namespace'],
    ['io.k8s.api.core.v1.Pod', '', 'v1', 'Pod'],
    ['io.k8s.api.core.v1.PodList', '', 'v1', 'PodList'],
    ['io.k8s.api.core.v1.Binding', '', 'v1', 'Binding'],
    ['io.k8s.api.core.v1.Node', '', 'v1', 'Node'],
    ['io.k8s.api.core.v1.Service', '', 'v1', 'Service'],
    ['io.k8s.api.core.v1.Endpoints', '', 'v1', 'Endpoints'],
    ['io.k8s.api.core.v1.Event', '', 'v1', 'Event'],
    ['io.k8s.api.core.v1.EventList', '', 'v1', 'EventList'],
    ['io.k8s.api.core.v1.ConfigMap', '', 'v1', 'ConfigMap'],
    ['io.k8s.api.core.v1.Secret', '', 'v1', 'Secret'],
    ['io.k8s.api.core.v1.ServiceAccount', '', 'v1', 'ServiceAccount'],
    ['io.k8s.api.core.v1.ReplicationController', '', 'v1', 'ReplicationController'],
    ['io.k8s.api.core.v1.PersistentVolume', '', 'v1', 'PersistentVolume'],
    ['io.k8s.api.core.v1.PersistentVolumeClaim', '', 'v1', 'PersistentVolumeClaim'],
    ['io.k8s.api.policy.v1.Eviction', 'policy', 'v1', 'Eviction'],
    ['io.k8s.api.apps.v1.Deployment', 'apps', 'v1', 'Deployment'],
    ['io.k8s.api.apps.v1.ReplicaSet', 'apps', 'v1', 'ReplicaSet'],
    ['io.k8s.api.apps.v1.StatefulSet', 'apps', 'v1', 'StatefulSet'],
    ['io.k8s.api.apps.v1.DaemonSetList', 'apps', 'v1', 'DaemonSetList'],
    ['io.k8s.api.autoscaling.v1.Scale', 'autoscaling', 'v1', 'Scale'],
    ['io.k8s.api.batch.v1.Job', 'batch', 'v1', 'Job'],
    ['io.k8s.api.coordination.v1.Lease', 'coordination.k8s.io', 'v1', 'Lease'],
    ['io.k8s.api.discovery.v1.EndpointSlice', 'discovery.k8s.io', 'v1', 'EndpointSlice'],
    ['io.k8s.api.storage.v1.StorageClass', 'storage.k8s.io', 'v1', 'StorageClass'],
    ['io.k8s.apimachinery.pkg.apis.meta.v1.Status', '', 'v1', 'Status'],
  ];
  for (const [name, group, version, kind] of kinds) t.same(kindSchema(name)?.['x-kubernetes-group-version-kind'], [{ group, kind, version }], name);
  t.equal(kindSchema('io.k8s.api.core.v1.PodSpec')?.['x-kubernetes-group-version-kind'], undefined, 'a part of a kind is no kind');
  t.equal(kindSchema('io.k8s.api.core.v1.Nope'), undefined);
  t.equal(kindSchema('constructor'), undefined, 'names of Object.prototype members are not definitions');
});

t.test('every $ref names a definition in the file', async (t) => {
  const refs = JSON.stringify(definitions).match(/"\$ref":"[^"]+"/g) ?? [];
  const missing = refs.map((r) => r.slice('"$ref":"#/components/schemas/'.length, -1)).filter((n) => !definitions[n]);
  t.same(missing, []);
  t.ok(refs.length > 300, `${refs.length} references checked`);
});

t.test('the strategic-merge-patch markers upstream declares are on their fields', async (t) => {
  const core = 'io.k8s.api.core.v1';
  const cases: [string, string, string | undefined, string | undefined, string[] | undefined][] = [
    [`${core}.PodSpec`, 'containers', 'merge', 'name', ['name']],
    [`${core}.PodSpec`, 'initContainers', 'merge', 'name', ['name']],
    [`${core}.PodSpec`, 'ephemeralContainers', 'merge', 'name', ['name']],
    [`${core}.PodSpec`, 'volumes', 'merge,retainKeys', 'name', ['name']],
    [`${core}.PodSpec`, 'imagePullSecrets', 'merge', 'name', ['name']],
    [`${core}.PodSpec`, 'hostAliases', 'merge', 'ip', ['ip']],
    [`${core}.PodSpec`, 'tolerations', undefined, undefined, undefined],
    [`${core}.PodSpec`, 'topologySpreadConstraints', 'merge', 'topologyKey', ['topologyKey', 'whenUnsatisfiable']],
    [`${core}.Container`, 'ports', 'merge', 'containerPort', ['containerPort', 'protocol']],
    [`${core}.Container`, 'env', 'merge', 'name', ['name']],
    [`${core}.Container`, 'volumeMounts', 'merge', 'mountPath', ['mountPath']],
    [`${core}.Container`, 'volumeDevices', 'merge', 'devicePath', ['devicePath']],
    [`${core}.Container`, 'resizePolicy', undefined, undefined, undefined],
    [`${core}.EphemeralContainer`, 'env', 'merge', 'name', ['name']],
    [`${core}.PodStatus`, 'conditions', 'merge', 'type', ['type']],
    [`${core}.PodStatus`, 'podIPs', 'merge', 'ip', ['ip']],
    [`${core}.PodStatus`, 'containerStatuses', undefined, undefined, undefined],
    [`${core}.NodeStatus`, 'conditions', 'merge', 'type', ['type']],
    [`${core}.NodeStatus`, 'addresses', 'merge', 'type', ['type']],
    [`${core}.NodeSpec`, 'taints', undefined, undefined, undefined],
    [`${core}.NodeSpec`, 'podCIDRs', 'merge', undefined, undefined],
    [`${core}.ServiceSpec`, 'ports', 'merge', 'port', ['port', 'protocol']],
    [`${core}.ServiceAccount`, 'secrets', 'merge', 'name', ['name']],
    ['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers', 'merge', undefined, undefined],
    ['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'ownerReferences', 'merge', 'uid', ['uid']],
    ['io.k8s.api.apps.v1.DeploymentSpec', 'strategy', 'retainKeys', undefined, undefined],
    ['io.k8s.api.apps.v1.DeploymentStatus', 'conditions', 'merge', 'type', ['type']],
    ['io.k8s.api.apps.v1.ReplicaSetStatus', 'conditions', 'merge', 'type', ['type']],
    ['io.k8s.api.apps.v1.StatefulSetStatus', 'conditions', 'merge', 'type', ['type']],
    ['io.k8s.api.apps.v1.DaemonSetStatus', 'conditions', 'merge', 'type', ['type']],
    ['io.k8s.api.batch.v1.JobStatus', 'conditions', 'merge', 'type', undefined],
  ];
  for (const [type, field, strategy, key, mapKeys] of cases) {
    const p = property(type, field);
    t.ok(p, `${type}.${field} exists`);
    t.equal(p?.['x-kubernetes-patch-strategy'], strategy, `${type}.${field} strategy`);
    t.equal(p?.['x-kubernetes-patch-merge-key'], key, `${type}.${field} merge key`);
    t.same(p?.['x-kubernetes-list-map-keys'], mapKeys, `${type}.${field} list map keys`);
  }
  t.equal(property(`${core}.PodSpec`, 'tolerations')?.['x-kubernetes-list-type'], 'atomic');
  t.equal(property('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers')?.['x-kubernetes-list-type'], 'set');
});

t.test('special apimachinery types have the shapes kube-apiserver gives them', async (t) => {
  const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1';
  t.match(definitions[`${meta}.Time`], { type: 'string', format: 'date-time' });
  t.match(definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'], { 'x-kubernetes-int-or-string': true, format: 'int-or-string' });
  t.match(definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'], { 'x-kubernetes-int-or-string': true });
  t.match(definitions['io.k8s.apimachinery.pkg.runtime.RawExtension'], { 'x-kubernetes-preserve-unknown-fields': true });
  const ref = (s: Schema | undefined) => resolveSchema(s, definitions);
  t.equal(ref(property(`${meta}.ObjectMeta`, 'creationTimestamp')), definitions[`${meta}.Time`], 'timestamps are Time');
  t.equal(ref(property('io.k8s.api.core.v1.ContainerPort', 'containerPort')), property('io.k8s.api.core.v1.ContainerPort', 'containerPort'));
  t.match(property('io.k8s.api.core.v1.ContainerPort', 'containerPort'), { type: 'integer', format: 'int32' });
  t.equal(ref(property('io.k8s.api.core.v1.HTTPGetAction', 'port')), definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString']);
  const limits = property('io.k8s.api.core.v1.ResourceRequirements', 'limits');
  t.equal(
    ref(typeof limits?.additionalProperties === 'object' ? limits.additionalProperties : undefined),
    definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'],
  );
  t.equal(ref(property('io.k8s.api.core.v1.EmptyDirVolumeSource', 'sizeLimit')), definitions['io.k8s.apimachinery.pkg.api.resource.Quantity']);
  t.equal(ref(property('io.k8s.api.core.v1.Event', 'eventTime')), definitions[`${meta}.MicroTime`]);
});

t.test('descriptions and required fields come from client-node', async (t) => {
  t.match(kindSchema('io.k8s.api.core.v1.Pod')?.description, /^Pod is a collection of containers/);
  t.match(property('io.k8s.api.core.v1.PodSpec', 'dnsPolicy')?.description, /Defaults to "ClusterFirst"\. Valid values are 'ClusterFirstWithHostNet'/);
  t.same(definitions['io.k8s.api.core.v1.PodSpec']?.required, ['containers']);
  t.same(definitions['io.k8s.api.core.v1.Container']?.required, ['name']);
  t.match(property('io.k8s.api.core.v1.Pod', 'metadata')?.description, /Standard object's metadata/);
});

t.test('the definitions are shared read-only', async (t) => {
  t.ok(Object.isFrozen(definitions));
  t.ok(Object.isFrozen(definitions['io.k8s.api.core.v1.Pod']?.properties));
});
