import { isPlainObject } from '../../../kube/object.js';

/**
 * Typed reads of untyped JSON. Objects reach the registry as parsed request bodies, so any field
 * may be missing or of the wrong type; these readers answer a neutral value instead of throwing,
 * and validation reports the bad types where it matters.
 */

export type JsonRecord = Record<string, unknown>;

/** The value at `path` under `v`, or undefined if any step is missing or not a container. */
export function at(v: unknown, ...path: (string | number)[]): unknown {
  let cur = v;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[step];
    } else {
      if (!isPlainObject(cur)) return undefined;
      cur = cur[step];
    }
  }
  return cur;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function rec(v: unknown): JsonRecord {
  return isPlainObject(v) ? v : {};
}

/** A map of strings (labels, a selector, configmap data), keeping only its string values. */
export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(rec(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

/**
 * The object at `parent[key]`, created empty when absent or not an object: defaulting writes into
 * nested structs the client left out (`spec.strategy.rollingUpdate`).
 */
export function child(parent: JsonRecord, key: string): JsonRecord {
  const v = parent[key];
  if (isPlainObject(v)) return v;
  const created: JsonRecord = {};
  parent[key] = created;
  return created;
}

/** Sets `obj[key]` to `value` when it is absent (undefined or null), as Go defaulting fills nil fields. */
export function setDefault(obj: JsonRecord, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

/** Sets `obj[key]` when it is absent or the empty string, as defaulting fills unset string enums. */
export function setDefaultString(obj: JsonRecord, key: string, value: string): void {
  if (obj[key] === undefined || obj[key] === null || obj[key] === '') obj[key] = value;
}

/** The elements of `v` that are objects, with their index (for field paths). */
export function records(v: unknown): [JsonRecord, number][] {
  const out: [JsonRecord, number][] = [];
  list(v).forEach((item, i) => {
    if (isPlainObject(item)) out.push([item, i]);
  });
  return out;
}

/** Whether `v` is a whole number (JSON numbers are floats; Kubernetes' are int32/int64). */
export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** `v` without null or undefined fields and empty lists, recursively: how Go sees absent fields. */
function normalized(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalized);
  if (!isPlainObject(v)) return v;
  const out: JsonRecord = {};
  for (const key of Object.keys(v).sort()) {
    const val = v[key];
    if (val === undefined || val === null || (Array.isArray(val) && val.length === 0)) continue;
    out[key] = normalized(val);
  }
  return out;
}

/**
 * Equality as apimachinery's `Semantic.DeepEqual` sees two decoded objects: a field that is
 * absent, null or an empty list is the same in both.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalized(a)) === JSON.stringify(normalized(b));
}
