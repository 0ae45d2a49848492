/**
 * Where objects live in the store, as kube-apiserver lays them out (DESIGN.md):
 * `/registry/<resource>/<namespace>/<name>` for namespaced kinds and `/registry/<resource>/<name>`
 * for cluster-scoped ones. Every prefix ends in '/', so `pods` never matches `podtemplates`.
 */

export const REGISTRY_ROOT = '/registry/';

export interface ResourceScope {
  readonly plural: string;
  readonly namespaced: boolean;
}

/** kube-apiserver keys built-in kinds by plural alone (`/registry/leases/…`); the registry keeps plurals unique. */
function resourceSegment(r: ResourceScope): string {
  return r.plural;
}

export function objectKey(r: ResourceScope, namespace: string | undefined, name: string): string {
  return r.namespaced ? `${REGISTRY_ROOT}${resourceSegment(r)}/${namespace ?? ''}/${name}` : `${REGISTRY_ROOT}${resourceSegment(r)}/${name}`;
}

/** Every object of the resource, or of one namespace of it. */
export function resourcePrefix(r: ResourceScope, namespace?: string): string {
  const base = `${REGISTRY_ROOT}${resourceSegment(r)}/`;
  return r.namespaced && namespace ? `${base}${namespace}/` : base;
}
