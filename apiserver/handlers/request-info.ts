/**
 * What a resource URL names, as kube-apiserver's RequestInfoFactory reads it:
 *
 *     /api/v1/{resource}[/{name}[/{subresource}]]                                  cluster-scoped, or all namespaces
 *     /api/v1/namespaces/{namespace}/{resource}[/{name}[/{subresource}]]          namespaced
 *     /apis/{group}/{version}/...                                                  the same under a named group
 *     /api/v1/watch/...  /apis/{group}/{version}/watch/...                         legacy watch paths
 *
 * `/api/v1/namespaces/{name}` is the namespace object itself (and `/status`, `/finalize` its
 * subresources). The verb is derived from the method, whether a name is present, and `?watch`.
 */
export interface RequestInfo {
  readonly group: string;
  readonly version: string;
  /** Absent for cluster-scoped requests and lists across all namespaces. */
  readonly namespace: string | undefined;
  readonly resource: string;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  readonly verb: Verb;
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'connect';

/** A path under /api or /apis that names no resource: discovery (`/api/v1`, `/apis/apps/v1`…). */
export interface DiscoveryPath {
  readonly discovery: true;
  readonly group: string | undefined;
  readonly version: string | undefined;
}

export function parseRequestPath(method: string, pathname: string, watchParam: boolean): RequestInfo | DiscoveryPath | undefined {
  const parts = pathname.split('/').filter((p) => p !== '');
  let rest: string[];
  let group: string;
  let version: string | undefined;
  if (parts[0] === 'api') {
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    group = parts[1] ?? '';
    version = parts[2];
    rest = parts.slice(3);
    if (!group) return { discovery: true, group: undefined, version: undefined };
  } else {
    return undefined;
  }
  if (!version || rest.length === 0) return { discovery: true, group: group || undefined, version };
  let watch = watchParam;
  if (rest[0] === 'watch') {
    watch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  // /namespaces/{ns}/{resource}…; /namespaces/{name}/status and /finalize are the namespace's own subresources.
  if (rest[0] === 'namespaces' && rest.length >= 2 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  let resource = rest[0] ?? '';
  let name = rest[1];
  let subresource = rest[2];
  if (namespace !== undefined && rest.length === 0) {
    // /api/v1/namespaces/{name}: the namespace object itself, not a namespace-scoped request.
    resource = 'namespaces';
    name = namespace;
    namespace = undefined;
    subresource = undefined;
  }
  if (rest.length > 3) return undefined;
  const verb = verbOf(method, name !== undefined, watch, subresource);
  return { group, version, namespace, resource, name, subresource, verb };
}

function verbOf(method: string, hasName: boolean, watch: boolean, subresource: string | undefined): Verb {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      if (subresource === 'log') return 'get';
      return hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return 'connect';
  }
}
