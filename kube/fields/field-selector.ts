import { SelectorParseError } from '../labels/selector-parse-error.js';

export { SelectorParseError } from '../labels/selector-parse-error.js';

/**
 * Field selectors (apimachinery's `fields.ParseSelector`): `metadata.name=web,status.phase!=Running`.
 * Terms are ANDed; `==` means `=`. In a value, `\,` `\=` and `\\` stand for `,` `=` and `\`; an
 * unescaped `,` or `=` inside a value is an error. A field that is absent reads as '', so
 * `spec.nodeName=` selects unscheduled pods, as it does in Kubernetes.
 */

export interface FieldRequirement {
  /** The field path as the client wrote it (`metadata.name`); not escaped, not validated. */
  readonly field: string;
  readonly op: '=' | '!=';
  /** The unescaped value. */
  readonly value: string;
}

/** Reads a field of the candidate object as the string a selector compares with; undefined if absent. */
export type FieldGetter = (field: string) => string | undefined;

/** An immutable AND of field requirements, sorted as upstream sorts them (by their text). */
export class FieldSelector {
  private static readonly EVERYTHING = new FieldSelector([]);

  private constructor(private readonly reqs: readonly FieldRequirement[]) {}

  static everything(): FieldSelector {
    return FieldSelector.EVERYTHING;
  }

  /** A selector of these requirements, in the given order. */
  static of(requirements: readonly FieldRequirement[]): FieldSelector {
    return requirements.length === 0 ? FieldSelector.EVERYTHING : new FieldSelector([...requirements]);
  }

  requirements(): readonly FieldRequirement[] {
    return this.reqs;
  }

  /** Whether the object `get` reads from is selected. */
  matches(get: FieldGetter): boolean {
    return this.reqs.every((r) => {
      const actual = get(r.field) ?? '';
      return r.op === '=' ? actual === r.value : actual !== r.value;
    });
  }

  isEverything(): boolean {
    return this.reqs.length === 0;
  }

  /** The distinct field names used, in selector order. */
  fields(): string[] {
    return [...new Set(this.reqs.map((r) => r.field))];
  }

  /** The value `field` must equal (the first `field=v` term), or undefined: lets a list use a key lookup. */
  requiresExactMatch(field: string): string | undefined {
    return this.reqs.find((r) => r.field === field && r.op === '=')?.value;
  }

  /** Canonical text that parses back to an equal selector; '' for everything. */
  toString(): string {
    return this.reqs.map((r) => `${r.field}${r.op}${escapeFieldValue(r.value)}`).join(',');
  }
}

/** Parses a `fieldSelector` query parameter; throws SelectorParseError with kube-apiserver's message. */
export function parseFieldSelector(text: string): FieldSelector {
  const parts = splitTerms(text).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const requirements: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const term = splitTerm(part);
    if (!term) throw new SelectorParseError(`invalid selector: '${text}'; can't understand '${part}'`);
    requirements.push({ field: term.field, op: term.op, value: unescapeFieldValue(term.rawValue) });
  }
  return FieldSelector.of(requirements);
}

/** Splits on commas that are not escaped; the escapes stay in the terms. */
function splitTerms(text: string): string[] {
  if (text === '') return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

const TERM_OPERATORS = ['!=', '==', '='] as const;

/** The first operator in the term splits it; field names cannot escape anything. */
function splitTerm(term: string): { field: string; op: '=' | '!='; rawValue: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) {
        return { field: term.slice(0, i), op: op === '!=' ? '!=' : '=', rawValue: term.slice(i + op.length) };
      }
    }
  }
  return undefined;
}

/** Escapes `\`, `,` and `=` so any string can be a selector value. */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** Undoes `escapeFieldValue`; throws SelectorParseError for a bad escape or a bare `,` or `=`. */
export function unescapeFieldValue(raw: string): string {
  let out = '';
  let escaped = false;
  for (const c of raw) {
    if (escaped) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw new SelectorParseError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      escaped = false;
    } else if (c === '\\') escaped = true;
    else if (c === ',' || c === '=') {
      // Upstream prints the rune as a number here (`%v` of a rune), e.g. 61 for '='.
      throw new SelectorParseError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  if (escaped) throw new SelectorParseError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/**
 * The fields of `selector` not in `supported`, each of which kube-apiserver answers with 400
 * `field label not supported: <name>` (see `fieldLabelNotSupported`).
 */
export function unsupportedFields(selector: FieldSelector, supported: ReadonlySet<string>): string[] {
  return selector.fields().filter((f) => !supported.has(f));
}

/** kube-apiserver's message for a field selector on a field the kind does not index. */
export function fieldLabelNotSupported(field: string): string {
  return `field label not supported: ${field}`;
}
