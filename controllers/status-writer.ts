import { type ApiClient, isConflict, isNotFound } from '../kube/client/api-client.js';
import type { ResourceRef } from '../kube/client/resource.js';
import type { KubeObject } from '../kube/object.js';

/**
 * Writes `status` over the newest copy of `obj`: the informer's copy may lag the controller's own
 * last write, so a 409 is retried once on a fresh read (kube's storeDaemonSetStatus and the
 * StatefulSet status updater do the same). An object that is gone, or was replaced by another of
 * the same name (a new uid), is left alone.
 */
export async function writeStatusOverNewest<T extends KubeObject & { status?: Record<string, unknown> }>(
  client: ApiClient,
  resource: ResourceRef,
  obj: T,
  status: Record<string, unknown>,
): Promise<void> {
  let base: T = obj;
  for (let attempt = 0; ; attempt++) {
    try {
      await client.updateStatus(resource, { ...base, status: { ...(base.status ?? {}), ...status } });
      return;
    } catch (e) {
      if (isNotFound(e)) return;
      if (!isConflict(e) || attempt > 0) throw e;
      base = await client.get<T>(resource, obj.metadata.name ?? '', obj.metadata.namespace);
      if (base.metadata.uid !== obj.metadata.uid) return;
    }
  }
}
