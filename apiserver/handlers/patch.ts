import type { KubeObject } from '../../kube/object.js';
import { isPlainObject } from '../../kube/object.js';
import { applyJsonPatch } from '../../kube/patch/json-patch.js';
import { applyMergePatch } from '../../kube/patch/merge-patch.js';
import { PatchError } from '../../kube/patch/patch-error.js';
import { applyStrategicMergePatch } from '../../kube/patch/strategic-merge-patch.js';
import type { SchemaDefinitions } from '../../kube/schema/types.js';
import type { ResourceDef } from '../registry/types.js';
import { ApiError, badRequest, patchDoesNotApply } from '../status.js';
import type { PatchType } from './body.js';

/**
 * One patch applied to the current object. Server-side apply (`apply-patch+yaml`) is served as a
 * strategic merge of the applied configuration, which is what kubectl needs to create and update
 * objects with `--server-side`; field ownership (`managedFields`) is not tracked.
 */
export function applyPatch(def: ResourceDef, type: PatchType, current: KubeObject, patch: unknown, definitions: SchemaDefinitions): KubeObject {
  let result: unknown;
  try {
    switch (type) {
      case 'json':
        if (!Array.isArray(patch)) throw badRequest('json patch must be an array of operations');
        result = applyJsonPatch(current as never, patch);
        break;
      case 'merge':
        if (!isPlainObject(patch)) throw badRequest('merge patch must be a JSON object');
        result = applyMergePatch(current as never, patch);
        break;
      case 'strategic':
      case 'apply': {
        if (!isPlainObject(patch)) throw badRequest('strategic merge patch must be a JSON object');
        const schema = definitions[def.schemaName] ?? {};
        result = applyStrategicMergePatch(current as never, patch, schema, definitions);
        break;
      }
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (err instanceof PatchError) {
      // A json patch `test` that fails, or a path that is not there, is kube's generic 422, which
      // does not say why (kubectl: "The request is invalid: the server rejected our request...").
      if (type === 'json' && err.status === 422) throw patchDoesNotApply();
      if (err.status === 413) throw new ApiError(413, 'RequestEntityTooLarge', err.message);
      throw badRequest(err.message);
    }
    throw badRequest(`the patch could not be applied: ${(err as Error).message}`);
  }
  if (!isPlainObject(result) || !isPlainObject(result.metadata)) throw badRequest('the patched object must be an object with metadata');
  return result as KubeObject;
}
