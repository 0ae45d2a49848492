import { assertWellFormed } from './history.js';
import type { Operation } from './history.js';
import { searchLinearization } from './linearization-search.js';

/**
 * A linearizability checker in the manner of Porcupine: a history is linearizable if its
 * operations can be put in one sequential order that respects real time and that the model's
 * sequential specification accepts. Models that partition (P-compositionality: a key-value
 * store is linearizable iff every key is) are checked part by part, so the search stays small
 * however many keys the workload touches. The search itself is in linearization-search.ts.
 */

/**
 * The sequential specification of the object under test. Every function must be pure: the
 * search calls them in any order, many times, and shares states between branches.
 */
export interface Model<S, I, O> {
  /**
   * Splits a history into parts that are linearizable independently (e.g. one per key). Every
   * operation must land in exactly one part. Without it the history is one part.
   */
  partition?(ops: readonly Operation<I, O>[]): readonly (readonly Operation<I, O>[])[];
  /** Names a part in reports, e.g. `key "a"`. */
  partitionName?(part: readonly Operation<I, O>[]): string;
  init(): S;
  /**
   * Applies `input` to `state`. `ok` is false if a correct object in `state` could not have
   * answered `output`. `output` null means the outcome is unknown: return the state had the
   * operation taken effect, with ok true (it may also never take effect; the search knows).
   */
  step(state: S, input: I, output: O | null): { readonly ok: boolean; readonly next: S };
  /** A canonical encoding of the state: equal strings iff equal states. Memoization key. */
  stateKey(state: S): string;
  /**
   * True if the operation, with this output, never changes the state: whenever `step` is ok,
   * `next` equals `state` (a read; a failed compare-and-swap). Such operations are linearized
   * as soon as they fit, without branching; with unknown outcome they constrain nothing and are
   * dropped before the search.
   */
  readOnly?(input: I, output: O | null): boolean;
  /**
   * For each operation of a part (by position; only unknown-outcome ones are read), the
   * positions of the operations it could matter to: its witnesses. The contract: in any
   * linearization, moving an unknown-outcome operation later, to right before the first of its
   * witnesses that follows it, or leaving it out if the state changes (or the history ends)
   * before one does, keeps the linearization valid, after leaving out unknown-outcome operations
   * in between if need be. The search then places it only right before a witness, never once
   * they are all placed, and not at all if it has none. Undefined (the default) means any
   * operation may be a witness. A witness left out makes the checker unsound, so derive them
   * with care (see kv-witnesses.ts).
   */
  witnesses?(part: readonly Operation<I, O>[]): readonly (readonly number[] | undefined)[];
  /** Renders one operation's input and output for reports. */
  describe?(input: I, output: O | null): string;
}

export interface CheckOptions {
  /**
   * Search steps allowed per part before giving up with kind 'unknown'. A step tries one
   * operation in one configuration, or backtracks. Default 1,000,000: roughly a second.
   */
  readonly maxSteps?: number;
}

/** Why a history could not be shown linearizable. */
export interface CheckFailure<I, O> {
  /** 'illegal': no linearization exists. 'unknown': the step budget ran out first. */
  readonly kind: 'illegal' | 'unknown';
  /** Index of the failing part in the model's partition order. */
  readonly partitionIndex: number;
  /** The failing part's operations (without unknown-outcome read-only ones, which are moot). */
  readonly partition: readonly Operation<I, O>[];
  /** The longest sequence of the part's operations found to be linearizable, in that order. */
  readonly longestPrefix: readonly Operation<I, O>[];
  /** A multi-line human-readable account, naming operations by their index in the history. */
  readonly reason: string;
}

export type CheckResult<I, O> = { readonly kind: 'ok' } | CheckFailure<I, O>;

const DEFAULT_MAX_STEPS = 1_000_000;
const REPORT_LINES_MAX = 12;

/**
 * Checks every part; the first illegal part wins, else the first part that ran out of steps.
 * Throws MalformedHistoryError if an operation's timing fields are inconsistent.
 */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  opts: CheckOptions = {},
): CheckResult<I, O> {
  ops.forEach(assertWellFormed);
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  const visible = ops.filter((op) => !(op.output === null && model.readOnly?.(op.input, null) === true));
  const parts = model.partition ? model.partition(visible) : [visible];
  let firstUnknown: CheckFailure<I, O> | null = null;
  for (const [partitionIndex, part] of parts.entries()) {
    const witnesses = model.witnesses?.(part) ?? [];
    const search = searchLinearization(model, part, witnesses, maxSteps);
    if (search.kind === 'ok') continue;
    const longestPrefix = search.longest.map((i) => part[i] as Operation<I, O>);
    const reason = explain(model, ops, part, search.kind, longestPrefix, maxSteps);
    const failure: CheckFailure<I, O> = { kind: search.kind, partitionIndex, partition: part, longestPrefix, reason };
    if (failure.kind === 'illegal') return failure;
    firstUnknown ??= failure;
  }
  return firstUnknown ?? { kind: 'ok' };
}

function explain<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  part: readonly Operation<I, O>[],
  kind: 'illegal' | 'unknown',
  longest: readonly Operation<I, O>[],
  maxSteps: number,
): string {
  const indexInHistory = new Map<Operation<I, O>, number>();
  for (const [i, op] of history.entries()) if (!indexInHistory.has(op)) indexInHistory.set(op, i);
  const show = (op: Operation<I, O>): string => {
    const what = model.describe?.(op.input, op.output) ?? `${JSON.stringify(op.input)} → ${JSON.stringify(op.output)}`;
    return `  #${indexInHistory.get(op) ?? '?'} client ${op.clientId} [${op.call}, ${op.return ?? '∞'}] ${what}`;
  };
  const name = model.partitionName?.(part) ?? 'the history';
  const headline =
    kind === 'illegal'
      ? `${name}: no linearization of its ${part.length} operations exists.`
      : `${name}: gave up after ${maxSteps} search steps over its ${part.length} operations; linearizability is unknown.`;
  // The known-outcome operations that could have come next: called before any of them returned
  // (unknown-outcome ones may always be left out, so they are not what blocks).
  const placed = new Set(longest);
  const pending = part.filter((op) => !placed.has(op) && op.return !== null);
  const firstReturn = pending.reduce((t, op) => Math.min(t, op.return ?? Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
  const candidates = pending.filter((op) => op.call <= firstReturn);
  const shown = longest.slice(-REPORT_LINES_MAX);
  return [
    headline,
    `The longest linearizable prefix found orders ${longest.length} of them` +
      (shown.length < longest.length ? ` (last ${shown.length} shown):` : ':'),
    ...shown.map(show),
    kind === 'illegal' ? 'after which none of these can take effect next:' : 'with these still to place next:',
    ...candidates.slice(0, REPORT_LINES_MAX).map(show),
    ...(candidates.length > REPORT_LINES_MAX ? [`  … and ${candidates.length - REPORT_LINES_MAX} more`] : []),
  ].join('\n');
}
