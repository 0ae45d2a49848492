import type { KubeObject } from '../../kube/object.js';
import type { ApiContext } from '../handlers/context.js';
import { unavailable } from '../status.js';

/**
 * What the authorizers read: the current objects of a kind, from the apiserver's watch caches
 * (kube's RBAC and Node authorizers read informers the same way, never etcd per request). A
 * port so that unit tests can hand in plain lists.
 */
export interface AuthzObjectSource {
  /** Every object of `group`/`kind` (in `namespace` when given). Shared: never change them. */
  list(group: string, kind: string, namespace?: string): readonly KubeObject[];
  get(group: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
}

/**
 * The watch caches as an AuthzObjectSource. Until a needed cache is in sync, reads throw a 503
 * with Retry-After (clients retry), rather than deciding on a partial view.
 */
export function cacheObjectSource(ctx: Pick<ApiContext, 'registry' | 'caches'>): AuthzObjectSource {
  const cacheOf = (group: string, kind: string) => {
    const def = ctx.registry.byKind(group, kind);
    const cache = def ? ctx.caches.forResource(def) : undefined;
    if (!def || !cache) return undefined;
    if (!cache.ready()) throw unavailable(`the authorization cache of ${def.plural} is not in sync yet`);
    return { def, cache };
  };
  return {
    list(group, kind, namespace) {
      return cacheOf(group, kind)?.cache.list(namespace === undefined ? {} : { namespace }).items ?? [];
    },
    get(group, kind, namespace, name) {
      const found = cacheOf(group, kind);
      return found ? ctx.caches.cachedObject(found.def, namespace, name) : undefined;
    },
  };
}

/** A fixed set of objects (unit tests). */
export function staticObjectSource(objects: readonly KubeObject[]): AuthzObjectSource {
  const groupOf = (o: KubeObject): string => (o.apiVersion.includes('/') ? (o.apiVersion.split('/')[0] ?? '') : '');
  const matches = (o: KubeObject, group: string, kind: string) => groupOf(o) === group && o.kind === kind;
  return {
    list(group, kind, namespace) {
      return objects.filter((o) => matches(o, group, kind) && (namespace === undefined || namespace === '' || o.metadata.namespace === namespace));
    },
    get(group, kind, namespace, name) {
      return objects.find((o) => matches(o, group, kind) && o.metadata.name === name && (o.metadata.namespace ?? undefined) === (namespace || undefined));
    },
  };
}
