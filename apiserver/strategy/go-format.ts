import { goQuote } from '../../kube/validation/field-errors.js';
import { isPlainObject } from '../../kube/object.js';

/**
 * Values printed the way kube-apiserver's Go code prints them, for the error messages that quote
 * a value (`patch: Invalid value: "map[spec:map[bogusField:true]]": ...`), so kubectl shows what
 * a real cluster makes it show. Only decoded JSON is handled: maps, lists, strings, numbers,
 * booleans and null.
 */

/** `fmt.Sprintf("%+v", v)` of a value decoded from JSON into `interface{}`: `map[k:v ...]` with sorted keys, `[a b]`, `<nil>`. */
export function goSprint(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goSprint).join(' ')}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v).sort(byBytes);
    return `map[${keys.map((k) => `${k}:${goSprint(v[k])}`).join(' ')}]`;
  }
  if (typeof v === 'number') return goFloat(v);
  return String(v);
}

/** `%v` of a float64: shortest digits, exponent form below 1e-4 or from 1e+06 on (`1e+06`, `1.5e-05`). */
export function goFloat(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa = '0', exp = '0'] = n.toExponential().split('e');
  const e = Number(exp);
  if (e < -4 || e >= 6) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return String(n);
}

/** Go's `%q` of a string: kube/validation/field-errors.ts has the one implementation. */
export { goQuote };

/** `json.Marshal` of a decoded JSON value: map keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped. */
export function goJson(v: unknown): string {
  return JSON.stringify(sortKeys(v))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isPlainObject(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort(byBytes)
      .map((k) => [k, sortKeys(v[k])]),
  );
}

/** Go sorts map keys by their bytes; for UTF-16 strings code-point order is the same except around surrogates, close enough for field names. */
function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
