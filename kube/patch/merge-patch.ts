import type { Json } from '../object.js';
import { cloneJson, isJsonObject, type JsonObject, setOwn } from './json-value.js';
import { withDepthGuard } from './patch-error.js';

/**
 * JSON merge patch (RFC 7386), `application/merge-patch+json`, as `kubectl label`, `annotate` and
 * `patch --type=merge` send it: objects merge key by key, `null` deletes a key, and anything else
 * (a list, a scalar, or a whole non-object patch) replaces what was there.
 *
 * Pure: neither argument is modified and the result shares no structure with them. Every JSON
 * value is a valid merge patch; the only PatchError is for absurd nesting depth.
 */
export function applyMergePatch(original: Json, patch: unknown): Json {
  return withDepthGuard(() => {
    if (!isJsonObject(patch)) return cloneJson(patch);
    const target: JsonObject = isJsonObject(original) ? (cloneJson(original) as JsonObject) : {};
    mergeInto(target, patch);
    return target;
  });
}

/** Merges `patch` into `target`, which is already a private copy. */
function mergeInto(target: JsonObject, patch: Readonly<Record<string, unknown>>): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || value === undefined) {
      delete target[key];
    } else if (isJsonObject(value)) {
      const existing = Object.hasOwn(target, key) ? target[key] : undefined;
      const child: JsonObject = isJsonObject(existing) ? existing : {};
      mergeInto(child, value);
      setOwn(target, key, child);
    } else {
      setOwn(target, key, cloneJson(value));
    }
  }
}
