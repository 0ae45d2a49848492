import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Schema, SchemaDefinitions } from '../kube/schema/types.js';

/**
 * Generates apiserver/openapi/definitions.json: one OpenAPI v3 schema per type the apiserver
 * serves, named as kube-apiserver names them (`io.k8s.api.core.v1.PodSpec`).
 *
 * Source: @kubernetes/client-node's generated models. Their `attributeTypeMap` gives each field's
 * JSON name and type, the matching .d.ts gives its description (JSDoc) and whether it is optional.
 * What the models lose on the way from upstream's OpenAPI is put back from the tables below:
 * which group each type lives in, which strings are Quantities, and the strategic-merge-patch and
 * list-type markers of upstream's Go struct tags (k8s.io/api core/v1, apps/v1, batch/v1,
 * apimachinery meta/v1 types.go).
 *
 * Run: node --import tsx scripts/gen-openapi-definitions.ts [--check]
 * Deterministic: keys are sorted, so re-running on the same client-node gives the same bytes.
 * `--check` exits 1 if the committed file differs from what would be written.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODELS_DIR = join(ROOT, 'node_modules/@kubernetes/client-node/dist/gen/models');
const OUT_FILE = join(ROOT, 'apiserver/openapi/definitions.json');

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const TIME = `${META}.Time`;
const MICRO_TIME = `${META}.MicroTime`;
const FIELDS_V1 = `${META}.FieldsV1`;
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';

/** The kinds served, as [client-node class, group, version, kind]; each gets x-kubernetes-group-version-kind. */
const KINDS: readonly (readonly [string, string, string, string])[] = [
  ['V1Binding', '', 'v1', 'Binding'],
  ...['Namespace', 'Pod', 'Node', 'Service', 'Endpoints', 'ConfigMap', 'Secret', 'ServiceAccount']
    .concat(['ReplicationController', 'PersistentVolume', 'PersistentVolumeClaim', 'LimitRange', 'ResourceQuota'])
    .flatMap((k) => [[`V1${k}`, '', 'v1', k] as const, [`V1${k}List`, '', 'v1', `${k}List`] as const]),
  ['CoreV1Event', '', 'v1', 'Event'],
  ['CoreV1EventList', '', 'v1', 'EventList'],
  ['V1Eviction', 'policy', 'v1', 'Eviction'],
  ...['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'].flatMap((k) => [
    [`V1${k}`, 'apps', 'v1', k] as const,
    [`V1${k}List`, 'apps', 'v1', `${k}List`] as const,
  ]),
  ['V1ControllerRevision', 'apps', 'v1', 'ControllerRevision'],
  ['V1ControllerRevisionList', 'apps', 'v1', 'ControllerRevisionList'],
  ['V1Scale', 'autoscaling', 'v1', 'Scale'],
  ['V1Job', 'batch', 'v1', 'Job'],
  ['V1JobList', 'batch', 'v1', 'JobList'],
  ['V1Lease', 'coordination.k8s.io', 'v1', 'Lease'],
  ['V1LeaseList', 'coordination.k8s.io', 'v1', 'LeaseList'],
  ['V1EndpointSlice', 'discovery.k8s.io', 'v1', 'EndpointSlice'],
  ['V1EndpointSliceList', 'discovery.k8s.io', 'v1', 'EndpointSliceList'],
  ['V1StorageClass', 'storage.k8s.io', 'v1', 'StorageClass'],
  ['V1StorageClassList', 'storage.k8s.io', 'v1', 'StorageClassList'],
  ...['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].flatMap((k) => [
    [`V1${k}`, 'rbac.authorization.k8s.io', 'v1', k] as const,
    [`V1${k}List`, 'rbac.authorization.k8s.io', 'v1', `${k}List`] as const,
  ]),
  ...['SelfSubjectAccessReview', 'SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectRulesReview'].map(
    (k) => [`V1${k}`, 'authorization.k8s.io', 'v1', k] as const,
  ),
  ['V1Status', '', 'v1', 'Status'],
];

/** Types reached from the kinds but not kinds themselves that the documents still need. */
const EXTRA_ROOTS = ['V1DeleteOptions', 'V1WatchEvent', 'V1APIResourceList'];

/** Which upstream package each non-core type lives in (client-node drops the group from most names). */
const PACKAGES: Readonly<Record<string, readonly string[]>> = {
  [META]: ['APIResource', 'APIResourceList', 'Condition', 'DeleteOptions', 'LabelSelector', 'LabelSelectorRequirement', 'ListMeta'].concat([
    'FieldSelectorRequirement',
    'ManagedFieldsEntry',
    'ObjectMeta',
    'OwnerReference',
    'Preconditions',
    'Status',
    'StatusCause',
    'StatusDetails',
    'WatchEvent',
  ]),
  'io.k8s.api.apps.v1': ['DaemonSet', 'DaemonSetCondition', 'DaemonSetList', 'DaemonSetSpec', 'DaemonSetStatus', 'DaemonSetUpdateStrategy']
    .concat(['Deployment', 'DeploymentCondition', 'DeploymentList', 'DeploymentSpec', 'DeploymentStatus', 'DeploymentStrategy'])
    .concat(['ReplicaSet', 'ReplicaSetCondition', 'ReplicaSetList', 'ReplicaSetSpec', 'ReplicaSetStatus'])
    .concat(['RollingUpdateDaemonSet', 'RollingUpdateDeployment', 'RollingUpdateStatefulSetStrategy'])
    .concat(['StatefulSet', 'StatefulSetCondition', 'StatefulSetList', 'StatefulSetOrdinals', 'StatefulSetSpec', 'StatefulSetStatus'])
    .concat(['StatefulSetPersistentVolumeClaimRetentionPolicy', 'StatefulSetUpdateStrategy']),
  'io.k8s.api.batch.v1': ['Job', 'JobCondition', 'JobList', 'JobSpec', 'JobStatus', 'PodFailurePolicy', 'PodFailurePolicyRule']
    .concat(['PodFailurePolicyOnExitCodesRequirement', 'PodFailurePolicyOnPodConditionsPattern'])
    .concat(['SuccessPolicy', 'SuccessPolicyRule', 'UncountedTerminatedPods']),
  'io.k8s.api.policy.v1': ['Eviction'],
  'io.k8s.api.autoscaling.v1': ['Scale', 'ScaleSpec', 'ScaleStatus'],
  'io.k8s.api.coordination.v1': ['Lease', 'LeaseList', 'LeaseSpec'],
  'io.k8s.api.discovery.v1': ['EndpointSlice', 'EndpointSliceList', 'Endpoint', 'EndpointConditions', 'EndpointHints', 'ForNode', 'ForZone'],
  'io.k8s.api.storage.v1': ['StorageClass', 'StorageClassList'],
  'io.k8s.api.rbac.v1': ['AggregationRule', 'ClusterRole', 'ClusterRoleBinding', 'ClusterRoleBindingList', 'ClusterRoleList', 'PolicyRule'].concat([
    'Role',
    'RoleBinding',
    'RoleBindingList',
    'RoleList',
    'RoleRef',
  ]),
  'io.k8s.api.authorization.v1': ['FieldSelectorAttributes', 'LabelSelectorAttributes', 'LocalSubjectAccessReview', 'NonResourceAttributes']
    .concat(['NonResourceRule', 'ResourceAttributes', 'ResourceRule', 'SelfSubjectAccessReview', 'SelfSubjectAccessReviewSpec'])
    .concat(['SelfSubjectRulesReview', 'SelfSubjectRulesReviewSpec', 'SubjectAccessReview', 'SubjectAccessReviewSpec'])
    .concat(['SubjectAccessReviewStatus', 'SubjectRulesReviewStatus']),
};

/** client-node prefixes a type with its group where two groups share a name (CoreV1Event, DiscoveryV1EndpointPort). */
const PREFIXED_PACKAGES: Readonly<Record<string, string>> = {
  CoreV1: 'io.k8s.api.core.v1',
  DiscoveryV1: 'io.k8s.api.discovery.v1',
  EventsV1: 'io.k8s.api.events.v1',
  RbacV1: 'io.k8s.api.rbac.v1',
};

/** Fields whose string values are resource.Quantity (a ResourceList's values, or a single quantity). */
const QUANTITY_FIELDS = new Set(
  [
    'core.v1.ResourceRequirements.limits',
    'core.v1.ResourceRequirements.requests',
    'core.v1.VolumeResourceRequirements.limits',
    'core.v1.VolumeResourceRequirements.requests',
    'core.v1.PodSpec.overhead',
    'core.v1.NodeStatus.capacity',
    'core.v1.NodeStatus.allocatable',
    'core.v1.PersistentVolumeSpec.capacity',
    'core.v1.PersistentVolumeClaimStatus.capacity',
    'core.v1.PersistentVolumeClaimStatus.allocatedResources',
    'core.v1.ContainerStatus.allocatedResources',
    'core.v1.EmptyDirVolumeSource.sizeLimit',
    'core.v1.ResourceFieldSelector.divisor',
  ].map((f) => `io.k8s.api.${f}`),
);

type FieldMarks = Pick<
  Schema,
  'x-kubernetes-patch-strategy' | 'x-kubernetes-patch-merge-key' | 'x-kubernetes-list-type' | 'x-kubernetes-list-map-keys' | 'x-kubernetes-map-type'
>;

const mergeBy = (key: string, ...mapKeys: string[]): FieldMarks => ({
  'x-kubernetes-patch-strategy': 'merge',
  'x-kubernetes-patch-merge-key': key,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': mapKeys.length ? mapKeys : [key],
});
const CONDITIONS = mergeBy('type');
const ATOMIC: FieldMarks = { 'x-kubernetes-list-type': 'atomic' };
const CONTAINER_LISTS: Readonly<Record<string, FieldMarks>> = {
  ports: mergeBy('containerPort', 'containerPort', 'protocol'),
  env: mergeBy('name'),
  volumeMounts: mergeBy('mountPath'),
  volumeDevices: mergeBy('devicePath'),
  resizePolicy: ATOMIC,
  envFrom: ATOMIC,
  command: ATOMIC,
  args: ATOMIC,
};

/**
 * Upstream's `patchStrategy`/`patchMergeKey` struct tags and `+listType`/`+listMapKey`/`+mapType`
 * markers, by `<definition>.<field>` (checked against k8s.io/api core/v1 types.go of 1.30+).
 */
const FIELD_MARKS: Readonly<Record<string, FieldMarks>> = {
  ...prefixed('io.k8s.api.core.v1.Container.', CONTAINER_LISTS),
  ...prefixed('io.k8s.api.core.v1.EphemeralContainer.', CONTAINER_LISTS),
  ...prefixed('io.k8s.api.core.v1.PodSpec.', {
    volumes: { ...mergeBy('name'), 'x-kubernetes-patch-strategy': 'merge,retainKeys' },
    initContainers: mergeBy('name'),
    containers: mergeBy('name'),
    ephemeralContainers: mergeBy('name'),
    imagePullSecrets: mergeBy('name'),
    hostAliases: mergeBy('ip'),
    tolerations: ATOMIC,
    readinessGates: ATOMIC,
    topologySpreadConstraints: mergeBy('topologyKey', 'topologyKey', 'whenUnsatisfiable'),
    schedulingGates: mergeBy('name'),
    resourceClaims: { ...mergeBy('name'), 'x-kubernetes-patch-strategy': 'merge,retainKeys' },
    nodeSelector: { 'x-kubernetes-map-type': 'atomic' },
  }),
  ...prefixed('io.k8s.api.core.v1.PodStatus.', {
    conditions: CONDITIONS,
    podIPs: mergeBy('ip'),
    hostIPs: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'ip', 'x-kubernetes-list-type': 'atomic' },
    containerStatuses: ATOMIC,
    initContainerStatuses: ATOMIC,
    ephemeralContainerStatuses: ATOMIC,
    resourceClaimStatuses: { ...mergeBy('name'), 'x-kubernetes-patch-strategy': 'merge,retainKeys' },
  }),
  'io.k8s.api.core.v1.NodeSpec.podCIDRs': { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' },
  'io.k8s.api.core.v1.NodeSpec.taints': ATOMIC,
  'io.k8s.api.core.v1.NodeStatus.conditions': CONDITIONS,
  'io.k8s.api.core.v1.NodeStatus.addresses': mergeBy('type'),
  'io.k8s.api.core.v1.NodeStatus.images': ATOMIC,
  'io.k8s.api.core.v1.NamespaceStatus.conditions': CONDITIONS,
  'io.k8s.api.core.v1.PersistentVolumeClaimStatus.conditions': CONDITIONS,
  'io.k8s.api.core.v1.ReplicationControllerStatus.conditions': CONDITIONS,
  'io.k8s.api.core.v1.ReplicationControllerSpec.selector': { 'x-kubernetes-map-type': 'atomic' },
  'io.k8s.api.core.v1.ServiceSpec.ports': mergeBy('port', 'port', 'protocol'),
  'io.k8s.api.core.v1.ServiceSpec.selector': { 'x-kubernetes-map-type': 'atomic' },
  'io.k8s.api.core.v1.ServiceSpec.clusterIPs': ATOMIC,
  'io.k8s.api.core.v1.ServiceSpec.externalIPs': ATOMIC,
  'io.k8s.api.core.v1.ServiceSpec.ipFamilies': ATOMIC,
  'io.k8s.api.core.v1.ServiceStatus.conditions': CONDITIONS,
  'io.k8s.api.core.v1.ServiceAccount.secrets': mergeBy('name'),
  'io.k8s.api.core.v1.ServiceAccount.imagePullSecrets': ATOMIC,
  'io.k8s.api.core.v1.Endpoints.subsets': ATOMIC,
  'io.k8s.api.apps.v1.DeploymentSpec.strategy': { 'x-kubernetes-patch-strategy': 'retainKeys' },
  'io.k8s.api.apps.v1.DeploymentStatus.conditions': CONDITIONS,
  'io.k8s.api.apps.v1.ReplicaSetStatus.conditions': CONDITIONS,
  'io.k8s.api.apps.v1.StatefulSetStatus.conditions': CONDITIONS,
  'io.k8s.api.apps.v1.DaemonSetStatus.conditions': CONDITIONS,
  'io.k8s.api.apps.v1.StatefulSetSpec.volumeClaimTemplates': ATOMIC,
  'io.k8s.api.batch.v1.JobStatus.conditions': { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'type', ...ATOMIC },
  [`${META}.ObjectMeta.finalizers`]: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' },
  [`${META}.ObjectMeta.ownerReferences`]: mergeBy('uid'),
  [`${META}.ObjectMeta.managedFields`]: ATOMIC,
  [`${META}.LabelSelector.matchExpressions`]: ATOMIC,
  'io.k8s.api.discovery.v1.EndpointSlice.endpoints': ATOMIC,
  'io.k8s.api.discovery.v1.EndpointSlice.ports': ATOMIC,
};

function prefixed(prefix: string, marks: Readonly<Record<string, FieldMarks>>): Record<string, FieldMarks> {
  return Object.fromEntries(Object.entries(marks).map(([field, m]) => [`${prefix}${field}`, m]));
}

/** Named types that have no model class in client-node (they are strings or free-form JSON there). */
const SCALAR_DEFINITIONS: SchemaDefinitions = {
  [TIME]: {
    type: 'string',
    format: 'date-time',
    description:
      'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON. Wrappers are provided for many of the factory methods that the time package offers.',
  },
  [MICRO_TIME]: { type: 'string', format: 'date-time', description: 'MicroTime is version of Time with microsecond level precision.' },
  [QUANTITY]: {
    'x-kubernetes-int-or-string': true,
    description:
      'Quantity is a fixed-point representation of a number, written as a string with an optional suffix: a binary SI suffix (Ki, Mi, Gi, Ti, Pi, Ei), a decimal SI suffix (m, k, M, G, T, P, E) or a decimal exponent (e3). Examples: "500m" (half a CPU), "128Mi", "1Gi", "2". A plain JSON number is accepted as well.',
  },
  [INT_OR_STRING]: {
    format: 'int-or-string',
    'x-kubernetes-int-or-string': true,
    description: 'IntOrString is a type that can hold an int32 or a string. A port, for instance, is given by number or by name.',
  },
  [FIELDS_V1]: {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    description:
      "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format. Each key is either a '.' representing the field itself, and will always map to an empty set, or a string representing a sub-field or item. The string will follow one of these four formats: 'f:<name>', 'v:<value>', 'k:<keys>', 'i:<index>'.",
  },
  [RAW_EXTENSION]: {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    description: 'RawExtension holds an embedded object of any kind, as JSON, decoded by the consumer.',
  },
  [`${META}.Patch`]: {
    type: 'object',
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  },
};

/** Fields typed `any` in client-node, by `<definition>.<field>`: the named type upstream gives them. */
const ANY_FIELDS: Readonly<Record<string, string>> = {
  [`${META}.ManagedFieldsEntry.fieldsV1`]: FIELDS_V1,
  [`${META}.WatchEvent.object`]: RAW_EXTENSION,
};

const OBJECT_META_DESCRIPTION =
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const SPEC_AND_STATUS = 'https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status';
const LIST_META_DESCRIPTION =
  'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

interface Attribute {
  readonly name: string;
  readonly baseName: string;
  readonly type: string;
  readonly format: string;
}

interface ModelDocs {
  readonly description: string | undefined;
  readonly fields: ReadonlyMap<string, { readonly description: string | undefined; readonly required: boolean }>;
}

/** The upstream definition name of a client-node model class. */
export function definitionName(className: string): string {
  for (const [prefix, pkg] of Object.entries(PREFIXED_PACKAGES)) {
    if (className.startsWith(prefix)) return `${pkg}.${className.slice(prefix.length)}`;
  }
  const m = /^V\d+((alpha|beta)\d+)?(.+)$/.exec(className);
  if (!m?.[3]) throw new Error(`cannot name client-node model ${className}`);
  const bare = m[3];
  for (const [pkg, names] of Object.entries(PACKAGES)) if (names.includes(bare)) return `${pkg}.${bare}`;
  return `io.k8s.api.core.v1.${bare}`;
}

async function attributes(className: string): Promise<readonly Attribute[]> {
  const mod = (await import(pathToFileURL(join(MODELS_DIR, `${className}.js`)).href)) as Record<string, { attributeTypeMap?: Attribute[] }>;
  const map = mod[className]?.attributeTypeMap;
  if (!map) throw new Error(`${className}.js has no attributeTypeMap`);
  return map;
}

/** Reads a model's .d.ts: the class JSDoc, and each field's JSDoc and optionality. */
function modelDocs(className: string): ModelDocs {
  const lines = readFileSync(join(MODELS_DIR, `${className}.d.ts`), 'utf8').split('\n');
  const fields = new Map<string, { description: string | undefined; required: boolean }>();
  let description: string | undefined;
  let comment: string[] | undefined;
  let pending: string | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('/**')) comment = [];
    else if (line === '*/' && comment) {
      pending = unescapeDoc(comment.join(' '));
      comment = undefined;
    } else if (comment) comment.push(line.replace(/^\*\s?/, ''));
    else {
      const field = /^'([^']+)'(\?)?:/.exec(line);
      if (field?.[1]) fields.set(field[1], { description: pending, required: !field[2] });
      else if (line.startsWith(`export declare class ${className} `)) description = pending;
      pending = undefined;
    }
  }
  return { description, fields };
}

function unescapeDoc(text: string): string | undefined {
  const t = text
    .replace(/\*_\//g, '*/')
    .replace(/\\(["'\\])/g, '$1')
    .trim();
  return t === '' ? undefined : t;
}

/** The schema of one field, from client-node's type string; `owner` is `<definition>.<field>`. */
function fieldSchema(type: string, format: string, owner: string, refs: Set<string>): Schema {
  const array = /^Array<(.+)>$/.exec(type);
  if (array?.[1]) return { type: 'array', items: fieldSchema(array[1], format, owner, refs) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map?.[1]) return { type: 'object', additionalProperties: fieldSchema(map[1], format, owner, refs) };
  switch (type) {
    case 'string':
      if (QUANTITY_FIELDS.has(owner)) return ref(QUANTITY);
      return format ? { type: 'string', format } : { type: 'string' };
    case 'number':
      if (format === 'int32' || format === 'int64') return { type: 'integer', format };
      return format ? { type: 'number', format } : { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'Date':
      return ref(format === 'date-time-micro' ? MICRO_TIME : TIME);
    case 'V1MicroTime':
      return ref(MICRO_TIME);
    case 'IntOrString':
      return ref(INT_OR_STRING);
    case 'any':
    case 'object': {
      const named = ANY_FIELDS[owner];
      return named ? ref(named) : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    }
    default:
      if (!/^[A-Z][A-Za-z0-9]+$/.test(type)) throw new Error(`${owner}: unknown client-node type ${type}`);
      refs.add(type);
      return ref(definitionName(type));
  }
}

function ref(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

/** A property: upstream wraps a `$ref` in `allOf` when it carries a description or markers. */
function property(schema: Schema, description: string | undefined, marks: FieldMarks | undefined): Schema {
  const extra = { ...(description ? { description } : {}), ...marks };
  if (Object.keys(extra).length === 0) return schema;
  if (schema.$ref) return { allOf: [schema], ...extra };
  return { ...schema, ...extra };
}

/**
 * client-node keeps no description on a field whose type is a named model. For the fields every
 * kind has, say what upstream says, so `kubectl explain pod` shows more than `<no description>`.
 */
function fallbackDescription(attr: Attribute, kind: string | undefined): string | undefined {
  if (attr.baseName === 'metadata') return attr.type === 'V1ListMeta' ? LIST_META_DESCRIPTION : OBJECT_META_DESCRIPTION;
  if (!kind) return undefined;
  if (attr.baseName === 'spec') return `Specification of the desired behavior of the ${kind}. More info: ${SPEC_AND_STATUS}`;
  if (attr.baseName === 'status') {
    return `Most recently observed status of the ${kind}. This data may not be up to date. Populated by the system. Read-only. More info: ${SPEC_AND_STATUS}`;
  }
  return undefined;
}

async function modelSchema(className: string, kind: string | undefined, refs: Set<string>): Promise<Schema> {
  const name = definitionName(className);
  const docs = modelDocs(className);
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const attr of await attributes(className)) {
    const owner = `${name}.${attr.baseName}`;
    const doc = docs.fields.get(attr.name);
    let description = doc?.description;
    description ??= fallbackDescription(attr, kind);
    properties[attr.baseName] = property(fieldSchema(attr.type, attr.format, owner, refs), description, FIELD_MARKS[owner]);
    if (doc?.required) required.push(attr.baseName);
  }
  return {
    type: 'object',
    ...(docs.description ? { description: docs.description } : {}),
    properties,
    ...(required.length ? { required } : {}),
  };
}

/** Every definition reachable from the kinds, by upstream name. */
export async function generateDefinitions(): Promise<Record<string, Schema>> {
  const out: Record<string, Schema> = { ...SCALAR_DEFINITIONS };
  const gvk = new Map(KINDS.map(([cls, group, version, kind]) => [cls, { group, version, kind }]));
  const queue = [...KINDS.map(([cls]) => cls), ...EXTRA_ROOTS];
  const origin = new Map<string, string>();
  while (queue.length > 0) {
    const cls = queue.shift() as string;
    const name = definitionName(cls);
    if (origin.has(name)) {
      if (origin.get(name) !== cls) throw new Error(`${cls} and ${origin.get(name)} both map to ${name}`);
      continue;
    }
    origin.set(name, cls);
    const refs = new Set<string>();
    const kind = gvk.get(cls);
    const schema = await modelSchema(cls, kind?.kind, refs);
    out[name] = kind ? { ...schema, 'x-kubernetes-group-version-kind': [kind] } : schema;
    queue.push(...[...refs].sort());
  }
  // A table entry naming a field that does not exist is a typo or an upstream rename: fail loudly.
  for (const owner of [...Object.keys(FIELD_MARKS), ...QUANTITY_FIELDS, ...Object.keys(ANY_FIELDS)]) {
    const dot = owner.lastIndexOf('.');
    if (!out[owner.slice(0, dot)]?.properties?.[owner.slice(dot + 1)]) throw new Error(`no field ${owner} to mark`);
  }
  return out;
}

/** JSON with object keys sorted at every level (arrays keep their order), so the output is stable. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

async function main(): Promise<void> {
  const json = `${stableJson(await generateDefinitions())}\n`;
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(OUT_FILE, 'utf8');
    } catch {}
    if (current !== json) {
      console.error(`${OUT_FILE} is out of date: run node --import tsx scripts/gen-openapi-definitions.ts`);
      process.exit(1);
    }
    return;
  }
  writeFileSync(OUT_FILE, json);
  console.log(`wrote ${OUT_FILE}: ${Object.keys(JSON.parse(json)).length} definitions, ${Buffer.byteLength(json)} bytes`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
