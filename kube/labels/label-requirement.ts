import { type FieldError, formatFieldError, invalid, notSupported } from '../validation/field-errors.js';
import { isQualifiedName, isValidLabelValue } from '../validation/identifiers.js';
import { SelectorParseError } from './selector-parse-error.js';

/**
 * One term of a label selector (apimachinery's `labels.Requirement`): a key, an operator and the
 * values it relates them with. Requirements are only made by `newRequirement`, which validates
 * them, so every `LabelRequirement` in circulation is well-formed.
 */

/** The operators of k8s.io/apimachinery/pkg/selection, spelled as upstream spells them. */
export type SelectorOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

const BINARY_OPERATORS: readonly SelectorOperator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];
const ALL_OPERATORS: readonly SelectorOperator[] = [...BINARY_OPERATORS, 'exists', '!'];

/** `in, notin, =, ==, !=, gt, lt`: what the parser says it expected after a key. */
export const BINARY_OPERATOR_LIST = BINARY_OPERATORS.join(', ');

export interface LabelRequirement {
  /** A qualified name (`app`, `app.kubernetes.io/name`). */
  readonly key: string;
  readonly operator: SelectorOperator;
  /** One value for `=`, `==`, `!=`, `gt`, `lt`; one or more for `in`/`notin`; none for `exists`/`!`. */
  readonly values: readonly string[];
}

/** A label set as objects carry it; absent labels are an empty set. */
export type Labels = Readonly<Record<string, string>> | undefined;

/**
 * Validates and builds a requirement, as `labels.NewRequirement` does. `path` prefixes the field of
 * each error (`spec.selector`); without it errors read `key: …`, `values[0][app]: …` as upstream's.
 * Throws SelectorParseError with all the reasons, formatted like a Go aggregate error.
 */
export function newRequirement(key: string, operator: SelectorOperator, values: readonly string[], path?: string): LabelRequirement {
  const errs: FieldError[] = [];
  const keyErr = labelKeyError(key, child(path, 'key'));
  if (keyErr) errs.push(keyErr);
  const valuesPath = child(path, 'values');
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) {
        errs.push(invalid(valuesPath, values, "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(invalid(valuesPath, values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) {
        errs.push(invalid(valuesPath, values, 'values set must be empty for exists and does not exist'));
      }
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) {
        errs.push(invalid(valuesPath, values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(invalid(`${valuesPath}[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      });
      break;
    default:
      errs.push(notSupported(child(path, 'operator'), operator, ALL_OPERATORS));
  }
  values.forEach((v, i) => {
    const msgs = isValidLabelValue(v);
    if (msgs.length > 0) errs.push(invalid(`${valuesPath}[${i}][${key}]`, v, msgs.join('; ')));
  });
  if (errs.length > 0) throw new SelectorParseError(aggregate(errs));
  return { key, operator, values: [...values] };
}

/** The error for a bad label key, on `field`, or undefined if the key is a qualified name. */
export function labelKeyError(key: string, field: string): FieldError | undefined {
  const msgs = isQualifiedName(key);
  return msgs.length > 0 ? invalid(field, key, msgs.join('; ')) : undefined;
}

/** Whether `labels` satisfies `r`. `!=` and `notin` match objects without the key, as upstream. */
export function requirementMatches(r: LabelRequirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return value !== undefined && r.values.includes(value);
    case 'notin':
    case '!=':
      return value === undefined || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      const actual = value === undefined ? undefined : parseInt64(value);
      const bound = r.values.length === 1 ? parseInt64(r.values[0] ?? '') : undefined;
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

/** The canonical text of one requirement: `!k`, `k`, `k=v`, `k!=v`, `k in (a,b)` (values sorted). */
export function requirementToString(r: LabelRequirement): string {
  switch (r.operator) {
    case '!':
      return `!${r.key}`;
    case 'exists':
      return r.key;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${sortedValues(r.values).join(',')})`;
    case 'gt':
      return `${r.key}>${r.values.join(',')}`;
    case 'lt':
      return `${r.key}<${r.values.join(',')}`;
    default:
      return `${r.key}${r.operator}${sortedValues(r.values).join(',')}`;
  }
}

function sortedValues(values: readonly string[]): string[] {
  return [...values].sort(compareStrings);
}

/** Byte-wise order for the ASCII strings keys and values are: Go's `sort.Strings`. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function child(path: string | undefined, name: string): string {
  return path ? `${path}.${name}` : name;
}

/** Go's `strconv.ParseInt(s, 10, 64)`: an optional sign and decimal digits, within int64. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

/** How Go prints an aggregate of field errors: one alone, several as `[a, b]`; duplicates dropped. */
export function aggregate(errs: readonly FieldError[]): string {
  const msgs = [...new Set(errs.map(formatFieldError))];
  return msgs.length === 1 ? (msgs[0] ?? '') : `[${msgs.join(', ')}]`;
}
