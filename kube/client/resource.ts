import type { KubeObject } from '../object.js';

/**
 * What a component needs to address a kind over REST: group, version, plural, and whether it
 * lives in a namespace. The core group is the empty string (`/api/v1`), the others live under
 * `/apis/<group>/<version>`.
 */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  /** The plural in the URL: `pods`, `replicasets`. */
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

function ref(group: string, version: string, resource: string, kind: string, namespaced = true): ResourceRef {
  return { group, version, resource, kind, namespaced };
}

/** The kinds the scheduler, the controllers and the node agents read and write. */
export const Resources = {
  pods: ref('', 'v1', 'pods', 'Pod'),
  nodes: ref('', 'v1', 'nodes', 'Node', false),
  namespaces: ref('', 'v1', 'namespaces', 'Namespace', false),
  events: ref('', 'v1', 'events', 'Event'),
  services: ref('', 'v1', 'services', 'Service'),
  endpoints: ref('', 'v1', 'endpoints', 'Endpoints'),
  endpointslices: ref('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice'),
  configmaps: ref('', 'v1', 'configmaps', 'ConfigMap'),
  secrets: ref('', 'v1', 'secrets', 'Secret'),
  serviceaccounts: ref('', 'v1', 'serviceaccounts', 'ServiceAccount'),
  persistentvolumeclaims: ref('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim'),
  persistentvolumes: ref('', 'v1', 'persistentvolumes', 'PersistentVolume', false),
  replicationcontrollers: ref('', 'v1', 'replicationcontrollers', 'ReplicationController'),
  replicasets: ref('apps', 'v1', 'replicasets', 'ReplicaSet'),
  deployments: ref('apps', 'v1', 'deployments', 'Deployment'),
  daemonsets: ref('apps', 'v1', 'daemonsets', 'DaemonSet'),
  statefulsets: ref('apps', 'v1', 'statefulsets', 'StatefulSet'),
  controllerrevisions: ref('apps', 'v1', 'controllerrevisions', 'ControllerRevision'),
  jobs: ref('batch', 'v1', 'jobs', 'Job'),
  leases: ref('coordination.k8s.io', 'v1', 'leases', 'Lease'),
} as const satisfies Record<string, ResourceRef>;

/** `v1` for the core group, `apps/v1` otherwise: what goes in an object's `apiVersion`. */
export function apiVersionOf(r: ResourceRef): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/**
 * The URL path of a collection, an object or a subresource. `namespace` is ignored for
 * cluster-scoped kinds; a namespaced collection without a namespace is the all-namespaces list.
 */
export function resourcePath(r: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  let path = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  if (r.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${r.resource}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

/** The cache key client-go uses: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: Pick<KubeObject, 'metadata'>): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
