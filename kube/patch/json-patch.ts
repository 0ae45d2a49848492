import jsonpatch, { type Operation } from 'fast-json-patch';
import type { Json } from '../object.js';
import { cloneJson, isJsonObject } from './json-value.js';
import { PatchError, withDepthGuard } from './patch-error.js';

/**
 * JSON patch (RFC 6902), `application/json-patch+json`: what `kubectl patch --type=json` and
 * client-node's `patchNamespacedPod` (by default) send. A list of operations (add, remove, replace,
 * move, copy, test) applied in order, all or nothing.
 *
 * Pure: the inputs are not modified. A patch that is not a list of well-formed operations is a
 * PatchError 400; one that does not apply to this document (a failed `test`, a path that does not
 * exist, an index out of range) is a PatchError 422; more than 10000 operations is a 413, as in
 * kube-apiserver.
 */

/** kube-apiserver's `maxJSONPatchOperations`. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

const SHAPE_ERRORS = new Set([
  'SEQUENCE_NOT_AN_ARRAY',
  'OPERATION_NOT_AN_OBJECT',
  'OPERATION_OP_INVALID',
  'OPERATION_PATH_INVALID',
  'OPERATION_FROM_REQUIRED',
  'OPERATION_VALUE_REQUIRED',
  'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED',
]);

export function applyJsonPatch(original: Json, patch: unknown): Json {
  if (!Array.isArray(patch)) throw new PatchError('a JSON patch must be a list of operations');
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`, 413);
  }
  return withDepthGuard(() => {
    // Cloned so the result never aliases the caller's patch values (the library inserts them by reference).
    const ops = cloneJson(patch) as unknown as Operation[];
    const shapeError = jsonpatch.validate(ops);
    if (shapeError) throw toPatchError(shapeError);
    try {
      return jsonpatch.applyPatch(cloneJson(original), ops, true, true).newDocument;
    } catch (e) {
      if (e instanceof RangeError) throw e;
      throw toPatchError(e);
    }
  });
}

function toPatchError(e: unknown): PatchError {
  if (!(e instanceof jsonpatch.JsonPatchError)) {
    // The library throws a plain TypeError for `__proto__` / `constructor/prototype` paths.
    return new PatchError(`JSON patch rejected: ${e instanceof Error ? e.message : String(e)}`);
  }
  const where = describeOperation(e.index, e.operation);
  const status = SHAPE_ERRORS.has(e.name) ? 400 : 422;
  return new PatchError(`${where}${reason(e.name)}`, status);
}

function describeOperation(index: number | undefined, op: unknown): string {
  const at = index === undefined ? '' : `operation ${index}`;
  if (!isJsonObject(op)) return at ? `${at}: ` : '';
  const name = typeof op.op === 'string' ? ` (${op.op} ${typeof op.path === 'string' ? op.path : ''})` : '';
  return `${at}${name}: `;
}

function reason(name: string): string {
  switch (name) {
    case 'SEQUENCE_NOT_AN_ARRAY':
      return 'a JSON patch must be a list of operations';
    case 'OPERATION_NOT_AN_OBJECT':
      return 'an operation must be an object';
    case 'OPERATION_OP_INVALID':
      return '"op" must be one of add, remove, replace, move, copy, test';
    case 'OPERATION_PATH_INVALID':
      return '"path" must be a JSON pointer string';
    case 'OPERATION_FROM_REQUIRED':
      return '"from" is required for move and copy';
    case 'OPERATION_VALUE_REQUIRED':
    case 'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED':
      return '"value" is required';
    case 'OPERATION_PATH_CANNOT_ADD':
      return 'the parent of the path does not exist';
    case 'OPERATION_PATH_UNRESOLVABLE':
      return 'the path does not exist';
    case 'OPERATION_FROM_UNRESOLVABLE':
      return 'the "from" path does not exist';
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
      return 'the path has an invalid list index';
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return 'the list index is out of range';
    case 'TEST_OPERATION_FAILED':
      return 'test failed';
    default:
      return name;
  }
}
