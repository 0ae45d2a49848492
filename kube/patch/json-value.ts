import type { Json } from '../object.js';

/**
 * Small helpers over parsed JSON shared by the patch implementations. Patches arrive as `unknown`
 * (a parsed request body); these treat anything that is not an array or a plain object as a scalar.
 */

export type JsonObject = { [key: string]: Json };

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Sets an own property, including `__proto__`, which plain assignment would turn into a prototype
 * change: a patch from the network may well carry that key.
 */
export function setOwn(obj: JsonObject, key: string, value: Json): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** A deep copy, so results never share structure with inputs (callers may mutate either). */
export function cloneJson(v: unknown): Json {
  if (Array.isArray(v)) return v.map(cloneJson);
  if (isJsonObject(v)) {
    const out: JsonObject = {};
    for (const [k, child] of Object.entries(v)) if (child !== undefined) setOwn(out, k, cloneJson(child));
    return out;
  }
  return v === undefined ? null : (v as Json);
}

/** Structural equality of two JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** A short description of a JSON value's type for error messages. */
export function jsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (isJsonObject(v)) return 'map';
  return typeof v;
}
