import { type ApiClient, isNotFound, ApiStatusError } from '../kube/client/api-client.js';
import type { ResourceRef } from '../kube/client/resource.js';
import type { KubeObject, OwnerReference } from '../kube/object.js';
import { isBeingDeleted } from './workload-fields.js';

/**
 * Ownership between a controller and its dependents (kube's ControllerRefManager): a dependent
 * carries one ownerReference with `controller: true`; a controller adopts matching orphans and
 * releases what it owns but no longer selects.
 */

/** The controlling ownerReference of an object, if any. */
export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  const refs: unknown = obj.metadata.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  // Read defensively: a malformed entry must not throw inside an informer handler.
  return refs.find(
    (r): r is OwnerReference =>
      typeof r === 'object' && r !== null && (r as OwnerReference).controller === true && typeof (r as OwnerReference).uid === 'string',
  );
}

/** The ownerReference a controller writes on what it creates or adopts. */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/**
 * `canAdopt` for a claim (kube's RecheckDeletionTimestamp): before the first adoption, read the
 * owner fresh from the apiserver, since the cache may still hold an owner that was deleted (or
 * deleted and recreated under the same name), and adopting for it would orphan the pod again.
 */
export function recheckOwner(client: ApiClient, resource: ResourceRef, owner: KubeObject): () => Promise<void> {
  return async () => {
    const { name = '', namespace } = owner.metadata;
    const fresh = await client.get(resource, name, namespace);
    if (fresh.metadata.uid !== owner.metadata.uid) {
      throw new Error(`original ${namespace ?? ''}/${name} is gone: got uid ${fresh.metadata.uid ?? ''}, wanted ${owner.metadata.uid ?? ''}`);
    }
    if (isBeingDeleted(fresh)) throw new Error(`${namespace ?? ''}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp ?? ''}`);
  };
}

export interface ClaimOptions<T extends KubeObject> {
  readonly client: ApiClient;
  /** The controller object doing the claiming. */
  readonly owner: KubeObject;
  /** Its ownerReference (`newControllerRef`). */
  readonly ownerRef: OwnerReference;
  /** Where the dependents live: the patches go there. */
  readonly resource: ResourceRef;
  /** Whether the owner selects this dependent (its selector, plus any extra filter). */
  readonly match: (obj: T) => boolean;
  /** Called once, before the first adoption; throws when adopting is not safe. */
  readonly canAdopt: () => Promise<void>;
}

/** The strategic merge patch that adds a controller reference, guarded by the dependent's uid. */
export function adoptPatch(ownerRef: OwnerReference, dependentUid: string): unknown {
  return { metadata: { ownerReferences: [ownerRef], uid: dependentUid } };
}

/** The strategic merge patch that removes the owner's reference, guarded by the dependent's uid. */
export function releasePatch(ownerUid: string, dependentUid: string): unknown {
  return { metadata: { ownerReferences: [{ $patch: 'delete', uid: ownerUid }], uid: dependentUid } };
}

/**
 * Sorts `objs` (already in the owner's namespace) into what the owner controls after adopting and
 * releasing (kube's ClaimObject for each):
 * - owned by another controller: ignored;
 * - owned by us and matching: claimed (even while we are being deleted: that takes no action);
 * - owned by us, not matching: released, unless we are being deleted;
 * - orphan, matching, not being deleted, and we are not being deleted: adopted (then claimed).
 * Every object is tried; if any adopt or release failed, throws after the loop so the sync is
 * retried. A dependent gone meanwhile (404) or changed under us (422 for a uid mismatch) is
 * simply not claimed.
 */
export async function claimObjects<T extends KubeObject>(objs: readonly T[], opts: ClaimOptions<T>): Promise<T[]> {
  const ownerUid = opts.owner.metadata.uid ?? '';
  const ownerDeleting = isBeingDeleted(opts.owner);
  const claimed: T[] = [];
  const errors: unknown[] = [];
  let adoptChecked: Promise<void> | undefined;
  for (const obj of objs) {
    const ref = controllerRefOf(obj);
    const namespace = obj.metadata.namespace;
    const name = obj.metadata.name ?? '';
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (opts.match(obj)) {
        claimed.push(obj);
        continue;
      }
      if (ownerDeleting) continue;
      try {
        await opts.client.patch(opts.resource, name, releasePatch(ownerUid, obj.metadata.uid ?? ''), patchOptions(namespace));
      } catch (err) {
        if (!isNotFound(err) && !isInvalid(err)) errors.push(err);
      }
      continue;
    }
    if (ownerDeleting || !opts.match(obj) || isBeingDeleted(obj)) continue;
    if (opts.owner.metadata.namespace && opts.owner.metadata.namespace !== namespace) continue;
    try {
      adoptChecked ??= opts.canAdopt();
      await adoptChecked;
      const adopted = await opts.client.patch<T>(opts.resource, name, adoptPatch(opts.ownerRef, obj.metadata.uid ?? ''), patchOptions(namespace));
      claimed.push(adopted);
    } catch (err) {
      if (!isNotFound(err) && !isInvalid(err)) errors.push(err);
    }
  }
  if (errors.length > 0) {
    const first = errors[0];
    throw errors.length === 1 && first instanceof Error ? first : new AggregateError(errors, errors.map((e) => (e as Error).message ?? String(e)).join('; '));
  }
  return claimed;
}

function patchOptions(namespace: string | undefined): { type: 'strategic'; namespace?: string } {
  return namespace ? { type: 'strategic', namespace } : { type: 'strategic' };
}

function isInvalid(err: unknown): boolean {
  return err instanceof ApiStatusError && err.code === 422;
}
