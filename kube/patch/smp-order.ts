import type { Json } from '../object.js';
import { isJsonObject, jsonEqual } from './json-value.js';
import { PatchError } from './patch-error.js';

/**
 * Element order after a strategic merge of a list (upstream's "preserve order in strategic merge
 * patch" design): elements the patch names keep the patch's relative order, elements only the
 * server has keep the server's, and the two are interleaved using the server's order where both
 * know an element. `$setElementOrder/<list>` takes the place of the patch's order when present.
 *
 * `mergeKey` undefined means a list of scalars, whose elements identify themselves.
 */

/** The identity of an element: its merge key's value for objects, itself for scalars. */
function identity(item: Json, mergeKey: string | undefined): Json | undefined {
  if (mergeKey === undefined) return item;
  return isJsonObject(item) && Object.hasOwn(item, mergeKey) ? item[mergeKey] : undefined;
}

/** Index in `list` of the element with the same identity as `item`, or -1. */
export function indexOfElement(list: readonly Json[], item: Json, mergeKey: string | undefined): number {
  const id = identity(item, mergeKey);
  return list.findIndex((x) => jsonEqual(identity(x, mergeKey), id));
}

/** Splits `merged` into the elements `order` names and the others, each in `merged`'s order. */
export function partitionByPresence(merged: readonly Json[], order: readonly Json[], mergeKey: string | undefined): { named: Json[]; others: Json[] } {
  const named: Json[] = [];
  const others: Json[] = [];
  for (const item of merged) {
    if (mergeKey !== undefined) requireMergeKey(item, mergeKey);
    (indexOfElement(order, item, mergeKey) >= 0 ? named : others).push(item);
  }
  return { named, others };
}

/** Throws the upstream error for an element that lacks the list's merge key. */
export function requireMergeKey(item: unknown, mergeKey: string): void {
  if (!isJsonObject(item)) throw new PatchError(`expected a map, but received a ${Array.isArray(item) ? 'list' : typeof item}`);
  if (!Object.hasOwn(item, mergeKey)) {
    throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
  }
}

/** Stable sort of `items` by their position in `order`; items `order` lacks keep their place among themselves. */
function sortByOrder(items: readonly Json[], order: readonly Json[], mergeKey: string | undefined): Json[] {
  const indexed = items.map((item, pos) => ({ item, pos, at: indexOfElement(order, item, mergeKey) }));
  indexed.sort((a, b) => (a.at >= 0 && b.at >= 0 ? a.at - b.at : a.pos - b.pos));
  return indexed.map((x) => x.item);
}

/**
 * Orders `named` by `namedOrder` and `serverOnly` by `serverOrder`, then interleaves them:
 * a server-only element goes before the next named one when the server had it earlier.
 */
export function normalizeElementOrder(
  named: readonly Json[],
  serverOnly: readonly Json[],
  namedOrder: readonly Json[],
  serverOrder: readonly Json[],
  mergeKey: string | undefined,
): Json[] {
  if (mergeKey !== undefined) for (const item of [...named, ...namedOrder, ...serverOnly]) requireMergeKey(item, mergeKey);
  const right = sortByOrder(named, namedOrder, mergeKey);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey);
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    const l = left[i];
    const r = right[j];
    if (l === undefined) {
      out.push(r as Json);
      j++;
    } else if (r === undefined) {
      out.push(l);
      i++;
    } else {
      const li = indexOfElement(serverOrder, l, mergeKey);
      const ri = indexOfElement(serverOrder, r, mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) {
        out.push(l);
        i++;
      } else {
        out.push(r);
        j++;
      }
    }
  }
  return out;
}

/**
 * Checks that the patch list names its elements in the order `$setElementOrder` gives and names
 * none it lacks (deletions aside), as upstream's `validatePatchWithSetOrderList` does.
 */
export function checkSetElementOrder(patchList: readonly Json[], order: readonly Json[], mergeKey: string | undefined): void {
  if (patchList.length === 0 || order.length === 0) return;
  const named = patchList.filter((x) => !(isJsonObject(x) && Object.hasOwn(x, '$patch')));
  let p = 0;
  let o = 0;
  while (p < named.length && o < order.length) {
    const item = named[p] as Json;
    const wanted = order[o] as Json;
    if (mergeKey !== undefined) {
      requireMergeKey(item, mergeKey);
      requireMergeKey(wanted, mergeKey);
    }
    if (jsonEqual(identity(item, mergeKey), identity(wanted, mergeKey))) p++;
    o++;
  }
  if (p < named.length) {
    throw new PatchError(`The order in patch list: ${JSON.stringify(patchList)} doesn't match $setElementOrder list: ${JSON.stringify(order)}`);
  }
}
