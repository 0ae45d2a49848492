import { resolveSchema, type Schema, type SchemaDefinitions } from '../schema/types.js';

/**
 * What strategic merge patch needs to know about one field, read from the kind's schema: how its
 * list merges (by which key) and the schema to descend into. A field the schema does not know gets
 * the default: maps merge, lists are replaced.
 */
export interface PatchMeta {
  /** The field value's schema with `$ref`s followed; undefined when unknown. */
  readonly schema: Schema | undefined;
  /** `merge` in `x-kubernetes-patch-strategy`: lists merge (by `mergeKey` for objects, as sets for scalars). */
  readonly merge: boolean;
  /** `replace` in `x-kubernetes-patch-strategy`: a map is replaced, not merged. */
  readonly replace: boolean;
  /** `x-kubernetes-patch-merge-key`: the key identifying an element of a list of objects. */
  readonly mergeKey: string | undefined;
  /** For a list: its elements' schema, `$ref`s followed. */
  readonly itemSchema: Schema | undefined;
}

export const UNKNOWN_FIELD: PatchMeta = {
  schema: undefined,
  merge: false,
  replace: false,
  mergeKey: undefined,
  itemSchema: undefined,
};

/**
 * The patch metadata of field `key` of an object whose (resolved) schema is `parent`. Upstream puts
 * the extensions on the property itself, which is often an `allOf: [{$ref}]` wrapper, so the
 * unresolved property is read first and the named type second.
 */
export function fieldPatchMeta(parent: Schema | undefined, key: string, definitions: SchemaDefinitions): PatchMeta {
  if (!parent) return UNKNOWN_FIELD;
  let raw: Schema | undefined;
  if (parent.properties && Object.hasOwn(parent.properties, key)) raw = parent.properties[key];
  else if (typeof parent.additionalProperties === 'object') raw = parent.additionalProperties;
  if (!raw) return UNKNOWN_FIELD;
  return patchMetaOf(raw, definitions);
}

/** The patch metadata carried by one (possibly unresolved) schema. */
export function patchMetaOf(raw: Schema, definitions: SchemaDefinitions): PatchMeta {
  const schema = resolveSchema(raw, definitions);
  const strategy = raw['x-kubernetes-patch-strategy'] ?? schema?.['x-kubernetes-patch-strategy'] ?? '';
  const strategies = new Set(strategy.split(',').map((s) => s.trim()));
  return {
    schema,
    merge: strategies.has('merge'),
    replace: strategies.has('replace'),
    mergeKey: raw['x-kubernetes-patch-merge-key'] ?? schema?.['x-kubernetes-patch-merge-key'],
    itemSchema: resolveSchema(schema?.items, definitions),
  };
}
