import { InvalidRequestError } from './errors.js';
import type { KeyRangeOptions } from './types.js';

/**
 * A resolved set of keys: one key, or the half-open interval [start, end) in key order
 * (UTF-16 code unit order, see types.ts), `end` undefined meaning "no upper bound".
 */
export type KeyRange =
  | { readonly kind: 'single'; readonly key: string }
  | { readonly kind: 'interval'; readonly start: string; readonly end: string | undefined };

/** etcd's "to the end of the key space" range end. */
export const RANGE_END_ALL = '\0';

/**
 * The smallest string greater than every string starting with `prefix`, or undefined when there
 * is none (an empty prefix, or one of only U+FFFF units). Drops trailing U+FFFF units and
 * increments the last remaining one, as etcd's GetPrefixRangeEnd does on bytes.
 */
export function prefixEnd(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const unit = prefix.charCodeAt(i);
    if (unit < 0xffff) return prefix.slice(0, i) + String.fromCharCode(unit + 1);
  }
  return undefined;
}

/**
 * Resolves a request's key and range options. Throws InvalidRequest for both `prefix` and
 * `rangeEnd`, or for an empty key that is not a prefix or range start.
 */
export function resolveKeyRange(key: string, options: KeyRangeOptions): KeyRange {
  const hasRangeEnd = options.rangeEnd !== undefined && options.rangeEnd !== '';
  if (options.prefix === true && hasRangeEnd) throw new InvalidRequestError('prefix and rangeEnd are mutually exclusive');
  if (options.prefix === true) return { kind: 'interval', start: key, end: prefixEnd(key) };
  if (hasRangeEnd) {
    const end = options.rangeEnd as string;
    return { kind: 'interval', start: key, end: end === RANGE_END_ALL ? undefined : end };
  }
  if (key === '') throw new InvalidRequestError('key is empty');
  return { kind: 'single', key };
}

export function rangeContains(range: KeyRange, key: string): boolean {
  if (range.kind === 'single') return key === range.key;
  return key >= range.start && (range.end === undefined || key < range.end);
}

/** Whether two ranges share at least one key. */
export function rangesOverlap(a: KeyRange, b: KeyRange): boolean {
  if (a.kind === 'single') return rangeContains(b, a.key);
  if (b.kind === 'single') return rangeContains(a, b.key);
  const aStartsBeforeBEnds = b.end === undefined || a.start < b.end;
  const bStartsBeforeAEnds = a.end === undefined || b.start < a.end;
  return aStartsBeforeBEnds && bStartsBeforeAEnds;
}
