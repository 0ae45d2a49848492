import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../kube/object.js';
import { isPlainObject } from '../../kube/object.js';
import type { ResourceDef } from '../registry/types.js';
import { badRequest, invalid } from '../status.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';

/**
 * What happens to an object between the request body and the store, for every kind (kube's
 * `rest.BeforeCreate` / `rest.BeforeUpdate` with the kind's strategy): system fields set by the
 * server, the kind's defaults and create-time reset, generation, status kept apart from the main
 * resource, validation. Pure: the caller passes the clock and the uid.
 */

export interface CreateContext {
  /** The namespace in the URL; undefined for cluster-scoped kinds. */
  readonly namespace: string | undefined;
  readonly uid: string;
  /** RFC 3339, seconds. */
  readonly now: string;
  /** A random suffix for generateName (5 characters, kube's alphabet). */
  readonly nameSuffix: string;
}

/** Checks the body names this kind and this namespace; 400 otherwise (kube's wording). */
export function checkBodyIdentity(def: ResourceDef, body: unknown, namespace: string | undefined, name: string | undefined): KubeObject {
  if (!isPlainObject(body)) throw badRequest('the body of the request must be a JSON or YAML object');
  const apiVersion = def.group ? `${def.group}/${def.version}` : def.version;
  const obj = body as Partial<KubeObject>;
  if (obj.kind !== undefined && obj.kind !== def.kind) {
    throw badRequest(
      `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: the kind "${String(obj.kind)}" does not match this endpoint, which serves ${def.kind}`,
    );
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) {
    throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`);
  }
  if (obj.metadata !== undefined && !isPlainObject(obj.metadata)) throw badRequest('metadata must be an object');
  const metadata = { ...(obj.metadata ?? {}) };
  if (def.namespaced) {
    if (metadata.namespace !== undefined && metadata.namespace !== '' && namespace !== undefined && metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (namespace !== undefined) metadata.namespace = namespace;
  } else {
    delete metadata.namespace;
  }
  if (name !== undefined && metadata.name !== undefined && metadata.name !== name) {
    throw badRequest('the name of the object does not match the name on the URL');
  }
  return { ...obj, apiVersion, kind: def.kind, metadata } as KubeObject;
}

export function prepareCreate(def: ResourceDef, obj: KubeObject, ctx: CreateContext): KubeObject {
  const meta = obj.metadata;
  if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${ctx.nameSuffix}`;
  meta.uid = ctx.uid;
  meta.creationTimestamp = ctx.now;
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  if (def.specFields) meta.generation = 1;
  else delete meta.generation;
  if (def.subresources.includes('status') && !def.keepStatusOnCreate) delete obj.status;
  def.prepareForCreate?.(obj);
  def.defaults?.(obj);
  const causes = [...validateObjectMeta(def, obj), ...(def.validate?.(obj, undefined) ?? [])];
  if (causes.length > 0) throw invalid(def, meta.name ?? meta.generateName ?? '', causes);
  return obj;
}

export type UpdateTarget = 'main' | 'status';

/**
 * The new state for an update of `old` with `obj` (a PUT body or a patched object). Through the
 * main resource the status cannot change (kinds with a status subresource); through `/status`
 * only the status can. Generation moves when the desired state changed.
 */
export function prepareUpdate(def: ResourceDef, obj: KubeObject, old: KubeObject, target: UpdateTarget): KubeObject {
  let next: KubeObject;
  if (target === 'status') {
    // Only status (and, as kube allows, labels/annotations are NOT taken from a status write).
    next = { ...structuredClone(old), status: obj.status };
    if (obj.status === undefined) delete next.status;
  } else {
    next = obj;
    if (def.subresources.includes('status')) {
      if (old.status === undefined) delete next.status;
      else next.status = structuredClone(old.status);
    }
  }
  const meta = next.metadata;
  // Server-owned metadata always comes from the stored object.
  if (old.metadata.generation === undefined) delete meta.generation;
  else meta.generation = old.metadata.generation;
  if (old.metadata.deletionTimestamp !== undefined) {
    meta.deletionTimestamp = old.metadata.deletionTimestamp;
    if (old.metadata.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
  } else {
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
  }
  if ((meta.uid === undefined || meta.uid === '') && old.metadata.uid !== undefined) meta.uid = old.metadata.uid;
  // kube's BeforeUpdate ignores a sent creationTimestamp: clients re-serialize it (client-node
  // sends a Date back as `…T06:11:48.000Z`), so any value sent is replaced by the stored one.
  if (old.metadata.creationTimestamp !== undefined && old.metadata.creationTimestamp !== null) meta.creationTimestamp = old.metadata.creationTimestamp;
  if (target === 'main') def.defaults?.(next);
  if (def.specFields?.some((f) => !isDeepStrictEqual(next[f], old[f]))) {
    meta.generation = (old.metadata.generation ?? 0) + 1;
  }
  if (old.metadata.deletionTimestamp !== undefined) {
    const before = new Set(old.metadata.finalizers ?? []);
    const added = (meta.finalizers ?? []).filter((f) => !before.has(f));
    if (added.length > 0) {
      throw invalid(def, meta.name ?? '', [
        {
          reason: 'FieldValueForbidden',
          field: 'metadata.finalizers',
          message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
        },
      ]);
    }
  }
  const causes = [...validateObjectMetaUpdate(next, old), ...validateObjectMeta(def, next), ...(def.validate?.(next, old) ?? [])];
  if (causes.length > 0) throw invalid(def, meta.name ?? '', causes);
  return next;
}

/**
 * An object marked for deletion whose last finalizer is gone is deleted by the write that removed
 * it — unless it is still in a grace period (a pod on a node): then its node agent's final DELETE
 * with grace 0 removes it once the containers stopped, as kube's `ShouldDeleteDuringUpdate`.
 */
export function readyToVanish(obj: KubeObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined && (obj.metadata.finalizers ?? []).length === 0 && (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0;
}

/** Whether two stored states differ in anything but resourceVersion (a no-op update is not written). */
export function sameObject(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, resourceVersion: '' } });
  return isDeepStrictEqual(strip(a), strip(b));
}
