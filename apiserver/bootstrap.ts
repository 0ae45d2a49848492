import { randomUUID } from 'node:crypto';
import type { ApiContext } from './handlers/context.js';
import { ApiError } from './status.js';
import { prepareCreate } from './strategy/object-lifecycle.js';
import { rfc3339 } from './time.js';

/** The namespaces every cluster has from the start (kube-apiserver's bootstrap controller makes them). */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * Creates the system namespaces that do not exist yet. Several apiservers may race to do it;
 * the create txn lets one win and the others see AlreadyExists, which is fine.
 */
export async function ensureSystemNamespaces(ctx: ApiContext): Promise<void> {
  const def = ctx.registry.byKind('', 'Namespace');
  if (!def) return;
  for (const name of SYSTEM_NAMESPACES) {
    if (await ctx.objects.find(def, undefined, name)) continue;
    const obj = prepareCreate(def, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { namespace: undefined, uid: randomUUID(), now: rfc3339(ctx.nowMs()), nameSuffix: '' });
    try {
      await ctx.objects.create(def, obj);
    } catch (err) {
      if (!(err instanceof ApiError && err.status.reason === 'AlreadyExists')) throw err;
    }
  }
}
