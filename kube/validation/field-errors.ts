/**
 * Field-level validation errors, worded as apimachinery's `field.Error.ErrorBody()` words them, so a
 * 422 Status built from them reads exactly as kube-apiserver's (kubectl prints `* <field>: <message>`).
 *
 * `FieldError` is structurally the apiserver's `FieldCause` (apiserver/registry/types.ts): kube/ may
 * not import apiserver/, so the shape is repeated here and the two stay assignable to each other.
 */

export type CauseReason =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid';

/** One reason a value is invalid: a `details.causes` entry of a 422 Status. */
export interface FieldError {
  readonly reason: CauseReason;
  /** The error body without the field: `Required value`, `Invalid value: "x": must be …`. */
  readonly message: string;
  /** The field path as kube-apiserver prints it: `metadata.labels`, `spec.containers[0].image`. */
  readonly field: string;
}

/** `<field>: <message>`, as `field.Error.Error()` prints one error. */
export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${e.message}`;
}

/** A value missing or empty. `Required value[: detail]`. */
export function required(field: string, detail?: string): FieldError {
  return { reason: 'FieldValueRequired', message: withDetail('Required value', detail), field };
}

/** A malformed value. `Invalid value: "x": detail`. */
export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { reason: 'FieldValueInvalid', message: withDetail(`Invalid value: ${formatBadValue(value)}`, detail), field };
}

/** A value outside an enumeration. `Unsupported value: "x": supported values: "a", "b"`. */
export function notSupported(field: string, value: unknown, allowed: readonly string[]): FieldError {
  const detail = allowed.length > 0 ? `supported values: ${allowed.map(goQuote).join(', ')}` : undefined;
  return {
    reason: 'FieldValueNotSupported',
    message: withDetail(`Unsupported value: ${formatBadValue(value)}`, detail),
    field,
  };
}

/** A value that must be unique and is not. `Duplicate value: "x"`. */
export function duplicate(field: string, value: unknown): FieldError {
  return { reason: 'FieldValueDuplicate', message: `Duplicate value: ${formatBadValue(value)}`, field };
}

/** A well-formed value not allowed here. `Forbidden: detail`. */
export function forbidden(field: string, detail: string): FieldError {
  return { reason: 'FieldValueForbidden', message: withDetail('Forbidden', detail), field };
}

/**
 * A value longer than `maxBytes`. The value itself is never echoed (it may be huge).
 * Worded as Kubernetes 1.32 words it: `Too long: may not be more than 262144 bytes`.
 */
export function tooLong(field: string, maxBytes: number): FieldError {
  const unit = maxBytes === 1 ? 'byte' : 'bytes';
  return { reason: 'FieldValueTooLong', message: `Too long: may not be more than ${maxBytes} ${unit}`, field };
}

/** A list with too many items. `Too many: 5: must have at most 3 items`. */
export function tooMany(field: string, actual: number, max: number): FieldError {
  return { reason: 'FieldValueTooMany', message: `Too many: ${actual}: must have at most ${max} items`, field };
}

/** A value of the wrong JSON type. `Invalid value: "x": detail` (upstream words it as Invalid). */
export function typeInvalid(field: string, value: unknown, detail: string): FieldError {
  return {
    reason: 'FieldValueTypeInvalid',
    message: withDetail(`Invalid value: ${formatBadValue(value)}`, detail),
    field,
  };
}

function withDetail(body: string, detail: string | undefined): string {
  return detail ? `${body}: ${detail}` : body;
}

/**
 * How upstream prints a bad value: strings quoted as Go's `%q`, numbers and booleans bare, null as
 * `null`, string lists as Go's `[]string{"a", "b"}`; anything else as compact JSON, which a client
 * can read back (upstream would print a Go struct).
 */
export function formatBadValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  // Go's %#v of a []string, the one composite value upstream's own messages commonly show.
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return `[]string{${value.map(goQuote).join(', ')}}`;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

const GO_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
};

/** Go's `strconv.Quote` for the characters that matter here: escapes, control bytes, quotes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const escaped = GO_ESCAPES[ch];
    if (escaped !== undefined) {
      out += escaped;
      continue;
    }
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
