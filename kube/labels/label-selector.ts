import { isPlainObject } from '../object.js';
import { goQuote } from '../validation/field-errors.js';
import {
  compareStrings,
  type LabelRequirement,
  type Labels,
  newRequirement,
  requirementMatches,
  requirementToString,
  type SelectorOperator,
} from './label-requirement.js';
import { parseRequirements } from './label-selector-parser.js';
import { SelectorParseError } from './selector-parse-error.js';

export type { LabelRequirement, Labels, SelectorOperator } from './label-requirement.js';
export { SelectorParseError } from './selector-parse-error.js';

/**
 * A label selector (apimachinery's `labels.Selector`): the AND of its requirements, kept sorted by
 * key so equal selectors print equally. Immutable. Two special selectors exist: everything (no
 * requirements: matches every object, prints as '') and nothing (what a missing metav1
 * LabelSelector means: matches no object).
 */
export class LabelSelector {
  private static readonly EVERYTHING = new LabelSelector([], false);
  private static readonly NOTHING = new LabelSelector([], true);

  private constructor(
    private readonly reqs: readonly LabelRequirement[],
    private readonly matchesNothing: boolean,
  ) {}

  /** The selector that matches every object (an empty selector). */
  static everything(): LabelSelector {
    return LabelSelector.EVERYTHING;
  }

  /** The selector that matches no object (a nil metav1 LabelSelector). */
  static nothing(): LabelSelector {
    return LabelSelector.NOTHING;
  }

  /** A selector of already validated requirements (from `newRequirement` or another selector). */
  static of(requirements: readonly LabelRequirement[]): LabelSelector {
    if (requirements.length === 0) return LabelSelector.EVERYTHING;
    return new LabelSelector(sortByKey(requirements), false);
  }

  /** Whether an object with these labels is selected. */
  matches(labels: Labels): boolean {
    if (this.matchesNothing) return false;
    return this.reqs.every((r) => requirementMatches(r, labels));
  }

  /** True for the empty selector, which selects everything. */
  isEverything(): boolean {
    return !this.matchesNothing && this.reqs.length === 0;
  }

  /** True only for `LabelSelector.nothing()`; contradictory selectors (`a=1,a=2`) are not detected. */
  isNothing(): boolean {
    return this.matchesNothing;
  }

  /** The requirements, sorted by key (stable for one key), for callers that index or inspect them. */
  requirements(): readonly LabelRequirement[] {
    return this.reqs;
  }

  /**
   * The one value `key` must have for an object to match (`key=v`, `key==v`, `key in (v)`), or
   * undefined. Only the first requirement on `key` is looked at, as upstream does.
   */
  requiresExactMatch(key: string): string | undefined {
    const r = this.reqs.find((x) => x.key === key);
    if (r?.values.length !== 1) return undefined;
    return r.operator === '=' || r.operator === '==' || r.operator === 'in' ? r.values[0] : undefined;
  }

  /** The AND of this selector and more requirements. */
  and(...requirements: LabelRequirement[]): LabelSelector {
    if (this.matchesNothing) return this;
    return LabelSelector.of([...this.reqs, ...requirements]);
  }

  /** Canonical text that parses back to an equal selector: `app=web,tier in (a,b)`; '' for everything. */
  toString(): string {
    return this.reqs.map(requirementToString).join(',');
  }
}

function sortByKey(requirements: readonly LabelRequirement[]): LabelRequirement[] {
  return [...requirements].sort((a, b) => compareStrings(a.key, b.key));
}

/**
 * Parses a `labelSelector` query parameter (`app=web,tier in (a,b),!canary`). Keys must be
 * qualified names and values label values. The empty text selects everything.
 * Throws SelectorParseError with kube-apiserver's message.
 */
export function parseLabelSelector(text: string): LabelSelector {
  return LabelSelector.of(parseRequirements(text));
}

/** metav1.LabelSelector, as in a Deployment's `spec.selector`. */
export interface LabelSelectorObject {
  readonly matchLabels?: Readonly<Record<string, string>> | null;
  readonly matchExpressions?: readonly LabelSelectorExpression[] | null;
}

export interface LabelSelectorExpression {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values?: readonly string[] | null;
}

const EXPRESSION_OPERATORS: Readonly<Record<string, SelectorOperator>> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * Converts a metav1.LabelSelector (`LabelSelectorAsSelector`): absent (undefined or null) selects
 * nothing, `{}` selects everything. Typed `unknown` because it usually comes straight from a stored
 * or submitted object (a `LabelSelectorObject` when well-formed); throws SelectorParseError for a
 * malformed one or a bad operator (`"Foo" is not a valid label selector operator`).
 */
export function labelSelectorFromObject(sel: unknown): LabelSelector {
  if (sel === undefined || sel === null) return LabelSelector.nothing();
  if (!isPlainObject(sel)) throw new SelectorParseError('a label selector must be an object');
  const { matchLabels, matchExpressions } = sel;
  const requirements: LabelRequirement[] = [];
  if (matchLabels !== undefined && matchLabels !== null) {
    if (!isPlainObject(matchLabels)) throw new SelectorParseError('matchLabels must be an object of strings');
    for (const [key, value] of Object.entries(matchLabels)) {
      if (typeof value !== 'string') throw new SelectorParseError(`matchLabels[${key}] must be a string`);
      requirements.push(newRequirement(key, '=', [value]));
    }
  }
  if (matchExpressions !== undefined && matchExpressions !== null) {
    if (!Array.isArray(matchExpressions)) throw new SelectorParseError('matchExpressions must be a list');
    for (const expr of matchExpressions) requirements.push(requirementFromExpression(expr));
  }
  return LabelSelector.of(requirements);
}

function requirementFromExpression(expr: unknown): LabelRequirement {
  if (!isPlainObject(expr)) throw new SelectorParseError('a matchExpressions entry must be an object');
  const { key, operator, values } = expr;
  const op = typeof operator === 'string' && Object.hasOwn(EXPRESSION_OPERATORS, operator) ? EXPRESSION_OPERATORS[operator] : undefined;
  if (op === undefined) {
    throw new SelectorParseError(`${goQuote(typeof operator === 'string' ? operator : String(operator))} is not a valid label selector operator`);
  }
  if (typeof key !== 'string') throw new SelectorParseError('a matchExpressions entry needs a string key');
  if (values !== undefined && values !== null && !(Array.isArray(values) && values.every((v) => typeof v === 'string'))) {
    throw new SelectorParseError('matchExpressions values must be a list of strings');
  }
  return newRequirement(key, op, (values ?? []) as string[]);
}

/** A selector matching exactly these labels (`SelectorFromSet`, validated). */
export function labelSelectorFromSet(labels: Readonly<Record<string, string>>): LabelSelector {
  return LabelSelector.of(Object.entries(labels).map(([k, v]) => newRequirement(k, '=', [v])));
}

/**
 * A metav1.LabelSelector as selector text (`app=web,tier in (a,b)`), as autoscaling/v1 Scale's
 * `status.selector` carries it; '' for an empty selector. Throws SelectorParseError if invalid.
 */
export function selectorToString(sel: LabelSelectorObject | null | undefined): string {
  return labelSelectorFromObject(sel).toString();
}

/** As `kubectl get -o wide` prints a selector (`FormatLabelSelector`): `<none>` if empty, `<error>` if invalid. */
export function formatLabelSelector(sel: LabelSelectorObject | null | undefined): string {
  try {
    return selectorToString(sel) || '<none>';
  } catch {
    return '<error>';
  }
}
