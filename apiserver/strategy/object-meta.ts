import type { KubeObject } from '../../kube/object.js';
import { invalid as invalidCause } from '../../kube/validation/field-errors.js';
import { validateObjectMeta as validateMeta } from '../../kube/validation/object-meta.js';
import type { FieldCause, ResourceDef } from '../registry/types.js';

/**
 * ObjectMeta validation every kind shares (kube's `ValidateObjectMeta` and
 * `ValidateObjectMetaUpdate`): the name by the kind's rule, labels, annotations, finalizers, and
 * on update the fields that never change once set.
 */
export function validateObjectMeta(def: ResourceDef, obj: KubeObject): FieldCause[] {
  const causes: FieldCause[] = validateMeta(obj.metadata, { nameRule: def.nameRule, namespaced: def.namespaced });
  const finalizers = obj.metadata.finalizers;
  if (finalizers !== undefined) {
    if (!Array.isArray(finalizers)) causes.push(invalidCause('metadata.finalizers', finalizers, 'must be a list of strings'));
    else
      finalizers.forEach((f, i) => {
        if (typeof f !== 'string' || f === '')
          causes.push(invalidCause(`metadata.finalizers[${i}]`, f, 'name is neither a standard finalizer name nor is it fully qualified'));
      });
  }
  return causes;
}

/** Fields fixed at create: a client that sends another value gets 422, as from kube. */
export function validateObjectMetaUpdate(obj: KubeObject, old: KubeObject): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const field of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    const now = obj.metadata[field];
    if (now !== old.metadata[field]) causes.push(invalidCause(`metadata.${field}`, now ?? '', 'field is immutable'));
  }
  return causes;
}
