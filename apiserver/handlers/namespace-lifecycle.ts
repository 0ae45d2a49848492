import { SYSTEM_NAMESPACES } from '../bootstrap.js';
import type { ResourceDef } from '../registry/types.js';
import { forbidden, notFound } from '../status.js';
import type { ApiContext } from './context.js';

/**
 * kube's NamespaceLifecycle admission: a namespaced object can only be created in a namespace
 * that exists and is not being deleted.
 */
export async function checkNamespaceAccepts(ctx: ApiContext, def: ResourceDef, namespace: string, name: string): Promise<void> {
  const nsDef = ctx.registry.byKind('', 'Namespace');
  if (!nsDef) return;
  const ns = ctx.caches.cachedObject(nsDef, undefined, namespace) ?? (await ctx.objects.find(nsDef, undefined, namespace));
  if (!ns) throw notFound(nsDef, namespace);
  if (ns.metadata.deletionTimestamp !== undefined || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') {
    throw forbidden(def, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
  }
}

/**
 * kube's NamespaceLifecycle admission on DELETE: the namespaces the apiserver makes at start
 * (default, kube-system, kube-public, kube-node-lease) cannot be deleted, whoever asks.
 */
export function checkNamespaceDeletable(def: ResourceDef, name: string): void {
  if (def.group === '' && def.kind === 'Namespace' && SYSTEM_NAMESPACES.includes(name)) throw forbidden(def, name, 'this namespace may not be deleted');
}
