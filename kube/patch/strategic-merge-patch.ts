import type { Json } from '../object.js';
import { resolveSchema, type Schema, type SchemaDefinitions } from '../schema/types.js';
import { cloneJson, isJsonObject, type JsonObject, jsonEqual, jsonTypeName, setOwn } from './json-value.js';
import { PatchError, withDepthGuard } from './patch-error.js';
import { checkSetElementOrder, indexOfElement, normalizeElementOrder, partitionByPresence, requireMergeKey } from './smp-order.js';
import { fieldPatchMeta, type PatchMeta } from './smp-schema.js';

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) as Kubernetes applies it
 * server-side (k8s.io/apimachinery/pkg/util/strategicpatch), driven by the kind's schema:
 *
 * - maps merge recursively; `null` deletes a key; anything else replaces;
 * - a list whose field has `x-kubernetes-patch-strategy: merge` merges element by element: objects
 *   by `x-kubernetes-patch-merge-key` (a patch element updates the element with the same key or is
 *   appended), scalars as a set (union); every other list is replaced;
 * - directives: `$patch: replace` (a map or a list, in an element) replaces it wholesale,
 *   `$patch: delete` removes a list element by its key or empties a map (upstream keeps `{}`),
 *   `$setElementOrder/<list>` fixes the merged list's order (kubectl apply sends it with only the
 *   changed elements in `<list>`), `$deleteFromPrimitiveList/<list>` removes scalars,
 *   `$retainKeys: [...]` drops the keys of the map it is in that are not listed.
 *
 * Fields the schema does not know are treated like upstream treats a field without patch tags:
 * maps merge, lists are replaced. Directive keys never reach the result.
 *
 * Pure: the inputs are not modified and the result shares no structure with them. A malformed
 * patch throws PatchError (400, or 422 when it contradicts its own `$retainKeys`).
 */
export function applyStrategicMergePatch(original: Json, patch: unknown, schema: Schema | undefined, definitions: SchemaDefinitions): Json {
  if (!isJsonObject(patch)) {
    throw new PatchError(`invalid JSON document: a strategic merge patch must be a map, not a ${jsonTypeName(patch)}`);
  }
  return withDepthGuard(() => {
    const target = isJsonObject(original) ? (cloneJson(original) as JsonObject) : {};
    return new StrategicMerge(definitions).mergeMap(target, patch, resolveSchema(schema, definitions));
  });
}

const PATCH_DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';

/** `$setElementOrder/containers` → `containers`; a directive-looking key without '/' is malformed. */
function listKeyOf(key: string, prefix: string, malformed: string): string {
  if (!key.startsWith(`${prefix}/`)) throw new PatchError(malformed);
  return key.slice(prefix.length + 1);
}

type ElementKind = 'map' | 'string' | 'number' | 'boolean' | 'null';

/** The one kind all elements share; lists of lists and mixed lists cannot be merged. */
function elementKind(...lists: readonly (readonly Json[])[]): ElementKind | undefined {
  let kind: ElementKind | undefined;
  for (const list of lists) {
    for (const item of list) {
      if (Array.isArray(item)) throw new PatchError('lists of lists are not supported');
      const k: ElementKind = item === null ? 'null' : isJsonObject(item) ? 'map' : (typeof item as ElementKind);
      if (kind !== undefined && kind !== k) throw new PatchError('list element types are not identical');
      kind = k;
    }
  }
  return kind;
}

class StrategicMerge {
  constructor(private readonly definitions: SchemaDefinitions) {}

  /** Merges `patch` into `original` (a private copy, modified in place) and returns the result. */
  mergeMap(original: JsonObject, patch: Readonly<Record<string, unknown>>, schema: Schema | undefined): JsonObject {
    if (Object.hasOwn(patch, PATCH_DIRECTIVE)) {
      const directive = patch[PATCH_DIRECTIVE];
      if (directive === 'delete') return {};
      if (directive !== 'replace') {
        throw new PatchError(`unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);
      }
      const rest = Object.fromEntries(Object.entries(patch).filter(([k]) => k !== PATCH_DIRECTIVE));
      return this.mergeMap({}, rest, schema);
    }
    this.applyRetainKeys(original, patch);
    const handled = this.applySetElementOrders(original, patch, schema);
    const deletions: [string, unknown][] = [];
    for (const [key, value] of Object.entries(patch)) {
      if (handled.has(key) || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER)) continue;
      if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
        deletions.push([listKeyOf(key, DELETE_FROM_PRIMITIVE_LIST, 'invalid patch format of primitive list'), value]);
        continue;
      }
      if (value === null || value === undefined) {
        delete original[key];
        continue;
      }
      const meta = fieldPatchMeta(schema, key, this.definitions);
      const current = Object.hasOwn(original, key) ? original[key] : undefined;
      setOwn(original, key, this.mergeValue(current, value, meta));
    }
    for (const [key, value] of deletions) this.deleteFromPrimitiveList(original, key, value);
    return original;
  }

  /** The merge of one field's current value (undefined if absent) with its patch value. */
  private mergeValue(current: Json | undefined, value: unknown, meta: PatchMeta): Json {
    if (isJsonObject(value)) {
      if (meta.replace || !isJsonObject(current)) return this.mergeMap({}, value, meta.schema);
      return this.mergeMap(current, value, meta.schema);
    }
    if (Array.isArray(value)) {
      if (!Array.isArray(current)) return this.fresh(value, meta);
      return this.mergeListField(current, value, meta);
    }
    return cloneJson(value);
  }

  private mergeListField(current: Json[], patch: readonly unknown[], meta: PatchMeta): Json[] {
    return meta.merge ? this.mergeList(current, patch as readonly Json[], meta) : this.fresh(patch, meta);
  }

  /**
   * A patch list taken as the new value (a replaced list, or one the object did not have): its
   * objects are merged into nothing so their own directives are applied, and elements that are
   * only directives (`{$patch: …}` in a merge list) are dropped.
   */
  private fresh(list: readonly unknown[], meta: PatchMeta): Json[] {
    const out: Json[] = [];
    for (const item of list) {
      if (isJsonObject(item)) {
        if (meta.merge && Object.hasOwn(item, PATCH_DIRECTIVE)) continue;
        out.push(this.mergeMap({}, item, meta.itemSchema));
      } else out.push(cloneJson(item));
    }
    return out;
  }

  /** Merges a `merge`-strategy list: objects by merge key, scalars as a set; then restores order. */
  private mergeList(original: Json[], patch: readonly Json[], meta: PatchMeta): Json[] {
    if (original.length === 0 && patch.length === 0) return [];
    const kind = elementKind(original, patch);
    if (kind !== 'map') {
      const merged: Json[] = [];
      for (const item of [...original, ...patch]) if (!merged.some((x) => jsonEqual(x, item))) merged.push(cloneJson(item));
      const { named, others } = partitionByPresence(merged, patch, undefined);
      return normalizeElementOrder(named, others, patch, original, undefined);
    }
    const mergeKey = meta.mergeKey;
    if (mergeKey === undefined) throw new PatchError('cannot merge lists without merge key for type map');
    let base = original;
    let plain: JsonObject[] = [];
    let replace = false;
    for (const item of patch as readonly JsonObject[]) {
      if (!Object.hasOwn(item, PATCH_DIRECTIVE)) {
        plain.push(item);
        continue;
      }
      const directive = item[PATCH_DIRECTIVE];
      if (directive === 'delete') {
        requireMergeKey(item, mergeKey);
        base = base.filter((x) => !(isJsonObject(x) && Object.hasOwn(x, mergeKey) && jsonEqual(x[mergeKey], item[mergeKey])));
      } else if (directive === 'replace') {
        replace = true;
      } else if (directive === 'merge') {
        throw new PatchError('merging lists cannot yet be specified in the patch');
      } else {
        throw new PatchError(`unknown patch type: ${String(directive)} in map: ${JSON.stringify(item)}`);
      }
    }
    if (replace) {
      base = plain.map((item) => this.mergeMap({}, item, meta.itemSchema));
      plain = [];
    }
    const merged = [...base];
    for (const item of plain) {
      requireMergeKey(item, mergeKey);
      const at = indexOfElement(merged, item, mergeKey);
      const existing = at >= 0 ? merged[at] : undefined;
      if (isJsonObject(existing)) merged[at] = this.mergeMap(existing, item, meta.itemSchema);
      else merged.push(this.mergeMap({}, item, meta.itemSchema));
    }
    const { named, others } = partitionByPresence(merged, plain, mergeKey);
    return normalizeElementOrder(named, others, plain, base, mergeKey);
  }

  /** `$retainKeys: [...]`: keys of `original` not listed are dropped; the patch may only set listed keys. */
  private applyRetainKeys(original: JsonObject, patch: Readonly<Record<string, unknown>>): void {
    if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
    const retain = patch[RETAIN_KEYS];
    if (!Array.isArray(retain)) throw new PatchError('invalid patch format of retainKeys');
    const kept = new Set(retain.filter((k): k is string => typeof k === 'string'));
    for (const [key, value] of Object.entries(patch)) {
      if (value === null || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
        continue;
      }
      if (!kept.has(key)) throw new PatchError("patch content doesn't match retainKeys list", 422);
    }
    for (const key of Object.keys(original)) if (!kept.has(key)) delete original[key];
  }

  /**
   * Merges each list named by a `$setElementOrder/<list>` together with `<list>` from the patch and
   * puts it in that order. Returns the list keys it handled, which the main merge then skips.
   */
  private applySetElementOrders(original: JsonObject, patch: Readonly<Record<string, unknown>>, schema: Schema | undefined): Set<string> {
    const handled = new Set<string>();
    for (const [directiveKey, order] of Object.entries(patch)) {
      if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
      const key = listKeyOf(directiveKey, SET_ELEMENT_ORDER, 'invalid patch format of setElementOrder list');
      if (!Array.isArray(order)) throw new PatchError(`expected a list, but received a ${jsonTypeName(order)}`);
      const current = Object.hasOwn(original, key) ? original[key] : undefined;
      const patchList = Object.hasOwn(patch, key) ? patch[key] : undefined;
      // A list the patch deletes has no order to keep; the main merge removes it.
      if (patchList === null) continue;
      if (current !== undefined && !Array.isArray(current)) {
        throw new PatchError(`expected a list, but received a ${jsonTypeName(current)}`);
      }
      if (patchList !== undefined && !Array.isArray(patchList)) {
        throw new PatchError(`expected a list, but received a ${jsonTypeName(patchList)}`);
      }
      const meta = fieldPatchMeta(schema, key, this.definitions);
      const patchItems = patchList as Json[] | undefined;
      const orderItems = order as Json[];
      const kind = elementKind(current ?? [], patchItems ?? [], orderItems);
      const mergeKey = kind === 'map' ? (meta.mergeKey ?? '') : undefined;
      checkSetElementOrder(patchItems ?? [], orderItems, mergeKey);
      let merged: Json[];
      if (current !== undefined && patchItems !== undefined) merged = this.mergeListField(current, patchItems, meta);
      else if (patchItems !== undefined) merged = this.fresh(patchItems, meta);
      else if (current !== undefined) merged = current;
      else continue;
      handled.add(key);
      const { named, others } = partitionByPresence(merged, orderItems, mergeKey);
      setOwn(original, key, normalizeElementOrder(named, others, orderItems, current ?? [], mergeKey));
    }
    return handled;
  }

  /** `$deleteFromPrimitiveList/<list>: [...]` removes every occurrence of those scalars from `<list>`. */
  private deleteFromPrimitiveList(original: JsonObject, key: string, toDelete: unknown): void {
    if (!Array.isArray(toDelete)) throw new PatchError('invalid patch format of primitive list');
    const current = Object.hasOwn(original, key) ? original[key] : undefined;
    if (!Array.isArray(current)) return;
    setOwn(
      original,
      key,
      current.filter((x) => !toDelete.some((d) => jsonEqual(d, x))),
    );
  }
}

export { PatchError } from './patch-error.js';
