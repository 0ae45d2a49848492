import type { KubeObject } from '../../kube/object.js';
import { isPlainObject } from '../../kube/object.js';
import { typeErrors, unknownFields } from '../../kube/schema/strict-fields.js';
import { resolveSchema, type Schema, type SchemaDefinitions } from '../../kube/schema/types.js';
import type { ResourceDef } from '../registry/types.js';
import { type ApiError, badRequest } from '../status.js';
import type { FieldValidation } from '../handlers/query.js';

/**
 * `fieldValidation` as kube-apiserver applies it to built-in kinds: a field the kind's schema
 * does not know is an error (Strict: 400 `strict decoding error: unknown field "spec.x"`), a
 * warning (Warn), or nothing (Ignore); in the last two cases the field is dropped, as decoding
 * into kube's Go types drops it. A value of the wrong JSON type is always an error. Errors are
 * built by `decodeError`: a 400 for a create or update body unless the caller says otherwise.
 */
export function checkFields(
  def: ResourceDef,
  obj: KubeObject,
  mode: FieldValidation,
  definitions: SchemaDefinitions,
  decodeError: DecodeError = (detail) => badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: ${detail}`),
): { object: KubeObject; warnings: string[] } {
  const schema = definitions[def.schemaName];
  if (!schema) return { object: obj, warnings: [] };
  const wrongTypes = typeErrors(obj, schema, definitions);
  if (wrongTypes.length > 0) throw decodeError(wrongTypes.map((e) => `${e.field}: ${e.message}`).join('; '));
  const unknown = unknownFields(obj, schema, definitions);
  if (unknown.length === 0) return { object: obj, warnings: [] };
  if (mode === 'Strict') throw decodeError(`strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  const pruned = prune(obj, schema, definitions) as KubeObject;
  return { object: pruned, warnings: mode === 'Warn' ? unknown.map((f) => `unknown field "${f}"`) : [] };
}

/**
 * The error for a body that does not decode into the kind, given what went wrong
 * (`strict decoding error: unknown field "spec.x"`). A create or update body is a 400
 * (`Pod in version "v1" cannot be handled as a Pod: ...`); a patched object is a 422 on the
 * field `patch` (see write.ts).
 */
export type DecodeError = (detail: string) => ApiError;

const TOP_LEVEL_KNOWN = new Set(['apiVersion', 'kind', 'metadata']);

/** A copy of `value` without the fields `schema` does not know. */
export function prune(value: unknown, schema: Schema | undefined, definitions: SchemaDefinitions, topLevel = true): unknown {
  const s = resolveSchema(schema, definitions);
  if (!s || s['x-kubernetes-preserve-unknown-fields']) return value;
  if (Array.isArray(value)) return s.items ? value.map((v) => prune(v, s.items, definitions, false)) : value;
  if (!isPlainObject(value)) return value;
  if (s.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const child = s.properties[k];
      if (child) out[k] = prune(v, child, definitions, false);
      else if (topLevel && TOP_LEVEL_KNOWN.has(k)) out[k] = v;
    }
    return out;
  }
  if (s.additionalProperties && s.additionalProperties !== true) {
    const ap = s.additionalProperties;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, prune(v, ap, definitions, false)]));
  }
  return value;
}
