import { assertWellFormed } from './history.js';
import type { Operation } from './history.js';

/**
 * A linearizability checker in the manner of Porcupine: the Wing & Gong search with Lowe's
 * improvements. Calls and returns form one time-ordered doubly-linked list; the search
 * linearizes a pending call just in time, lifts it (and its return) out of the list, and undoes
 * that on backtrack by relinking the nodes in place. Each (linearized set, model state) pair is
 * explored once, which is what keeps concurrent histories from going exponential. Models that
 * partition (P-compositionality: a key-value store is linearizable iff every key is) are checked
 * part by part, so the search stays small however many keys the workload touches.
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
   * True if the operation never changes the state. An unknown-outcome read-only operation
   * constrains nothing, so it is dropped before the search rather than widening it forever.
   */
  readOnly?(input: I): boolean;
  /** Renders one operation's input and output for reports. */
  describe?(input: I, output: O | null): string;
}

export interface CheckOptions {
  /**
   * Search steps allowed per part before giving up with kind 'unknown'. One step tries or undoes
   * one linearization. Default 1,000,000, which is well under a second.
   */
  readonly maxSteps?: number;
}

/** Why a history could not be shown linearizable. */
export interface CheckFailure<I, O> {
  /** 'illegal': no linearization exists. 'unknown': the step budget ran out first. */
  readonly kind: 'illegal' | 'unknown';
  /** Index of the failing part in the model's partition order. */
  readonly partitionIndex: number;
  /** The failing part's operations, after unknown-outcome read-only ones were dropped. */
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
  const visible = ops.filter((op) => !(op.output === null && model.readOnly?.(op.input) === true));
  const parts = model.partition ? model.partition(visible) : [visible];
  let firstUnknown: CheckFailure<I, O> | null = null;
  for (const [partitionIndex, part] of parts.entries()) {
    const search = searchPart(model, part, maxSteps);
    if (search.kind === 'ok') continue;
    const longestPrefix = search.longest.map((i) => part[i] as Operation<I, O>);
    const reason = explain(model, ops, part, search.kind, search.longest, maxSteps);
    const failure: CheckFailure<I, O> = { kind: search.kind, partitionIndex, partition: part, longestPrefix, reason };
    if (failure.kind === 'illegal') return failure;
    firstUnknown ??= failure;
  }
  return firstUnknown ?? { kind: 'ok' };
}

/** A call or return event in the time-ordered list. A call's `match` is its return. */
interface EventNode {
  readonly op: number;
  readonly isCall: boolean;
  match: EventNode | null;
  prev: EventNode | null;
  next: EventNode | null;
}

type Search = { kind: 'ok' } | { kind: 'illegal' | 'unknown'; longest: number[] };

function searchPart<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], maxSteps: number): Search {
  const head = buildEventList(ops);
  const words = Math.ceil(ops.length / 16);
  // Which operations are linearized, split by whether their outcome is known (see ExploredSet).
  const placedKnown = new Uint16Array(words);
  const placedUnknown = new Uint16Array(words);
  const bitsOf = (i: number): Uint16Array => ((ops[i] as Operation<I, O>).return === null ? placedUnknown : placedKnown);
  const explored = new ExploredSet();
  const stack: { call: EventNode; state: S }[] = [];
  let longest: number[] = [];
  // Operations with unknown outcome may stay unlinearized: placing them last is the same as
  // never applying them, so the search is done once every known-outcome operation is placed.
  let knownLeft = ops.filter((op) => op.return !== null).length;
  let state = model.init();
  let entry = head.next;
  for (let steps = 0; knownLeft > 0; steps++) {
    if (steps >= maxSteps) return { kind: 'unknown', longest };
    // A known return always follows its call in the list, so the walk meets one before the end.
    if (entry === null) throw new Error('linearizability: event list ended before a return');
    if (entry.isCall) {
      const op = ops[entry.op] as Operation<I, O>;
      const result = model.step(state, op.input, op.output);
      if (result.ok) {
        toggle(bitsOf(entry.op), entry.op);
        if (explored.visit(placedKnown, model.stateKey(result.next), placedUnknown)) {
          stack.push({ call: entry, state });
          state = result.next;
          lift(entry);
          if (op.return !== null) knownLeft--;
          if (stack.length > longest.length) longest = stack.map((f) => f.call.op);
          entry = head.next;
          continue;
        }
        toggle(bitsOf(entry.op), entry.op);
      }
      entry = entry.next;
    } else {
      // Reaching a return means that operation's call is still pending: nothing placed so far
      // lets it take effect in time, so undo the most recent choice and try the next call.
      const frame = stack.pop();
      if (frame === undefined) return { kind: 'illegal', longest };
      state = frame.state;
      toggle(bitsOf(frame.call.op), frame.call.op);
      unlift(frame.call);
      if ((ops[frame.call.op] as Operation<I, O>).return !== null) knownLeft++;
      entry = frame.call.next;
    }
  }
  return { kind: 'ok' };
}

/**
 * The configurations already explored (Lowe's memoization), each one a set of linearized
 * operations and the model state they lead to. A configuration seen before is never explored
 * again: it either failed already or is an ancestor of this one.
 *
 * Unknown-outcome operations get more: they are optional and never precede anything in real
 * time, so anything that can still happen after placing more of them could also happen after
 * placing fewer. A configuration is therefore also skipped when one with the same known set and
 * state, but a subset of its unknown-outcome operations placed, was explored. Without this, k
 * pending timed-out writes multiply the configurations per state by 2^k.
 */
class ExploredSet {
  private readonly unknownSetsByKey = new Map<string, Uint16Array[]>();

  /** Records a configuration; false if it, or one that dominates it, was explored. */
  visit(placedKnown: Uint16Array, stateKey: string, placedUnknown: Uint16Array): boolean {
    // The known bitset has a fixed length, so appending the state key keeps the key injective.
    const key = String.fromCharCode(...placedKnown) + stateKey;
    const sets = this.unknownSetsByKey.get(key);
    if (sets === undefined) {
      this.unknownSetsByKey.set(key, [placedUnknown.slice()]);
      return true;
    }
    if (sets.some((seen) => isSubset(seen, placedUnknown))) return false;
    // Keep the sets an antichain: the new one dominates any superset recorded before.
    const kept = sets.filter((seen) => !isSubset(placedUnknown, seen));
    kept.push(placedUnknown.slice());
    this.unknownSetsByKey.set(key, kept);
    return true;
  }
}

function isSubset(a: Uint16Array, b: Uint16Array): boolean {
  for (let w = 0; w < a.length; w++) {
    const x = a[w] as number;
    if ((x & (b[w] as number)) !== x) return false;
  }
  return true;
}

/** Returns a sentinel head; calls sort before returns at equal times, i.e. they overlap. */
function buildEventList<I, O>(ops: readonly Operation<I, O>[]): EventNode {
  const events: { time: number; node: EventNode }[] = [];
  ops.forEach((op, i) => {
    const ret: EventNode = { op: i, isCall: false, match: null, prev: null, next: null };
    const call: EventNode = { op: i, isCall: true, match: ret, prev: null, next: null };
    events.push({ time: op.call, node: call }, { time: op.return ?? Number.POSITIVE_INFINITY, node: ret });
  });
  events.sort((a, b) => {
    if (a.time !== b.time) return a.time < b.time ? -1 : 1;
    if (a.node.isCall !== b.node.isCall) return a.node.isCall ? -1 : 1;
    return a.node.op - b.node.op;
  });
  const head: EventNode = { op: -1, isCall: false, match: null, prev: null, next: null };
  let last = head;
  for (const { node } of events) {
    node.prev = last;
    last.next = node;
    last = node;
  }
  return head;
}

function unlink(node: EventNode): void {
  (node.prev as EventNode).next = node.next;
  if (node.next !== null) node.next.prev = node.prev;
}

function relink(node: EventNode): void {
  (node.prev as EventNode).next = node;
  if (node.next !== null) node.next.prev = node;
}

function lift(call: EventNode): void {
  unlink(call);
  unlink(call.match as EventNode);
}

/** Exactly undoes `lift` (dancing links): relink in the reverse order of unlinking. */
function unlift(call: EventNode): void {
  relink(call.match as EventNode);
  relink(call);
}

function toggle(bits: Uint16Array, i: number): void {
  const word = i >>> 4;
  bits[word] = (bits[word] as number) ^ (1 << (i & 15));
}

function explain<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  part: readonly Operation<I, O>[],
  kind: 'illegal' | 'unknown',
  longest: readonly number[],
  maxSteps: number,
): string {
  const indexInHistory = new Map<Operation<I, O>, number>();
  history.forEach((op, i) => indexInHistory.has(op) || indexInHistory.set(op, i));
  const show = (i: number): string => {
    const op = part[i] as Operation<I, O>;
    const what = model.describe?.(op.input, op.output) ?? `${JSON.stringify(op.input)} → ${JSON.stringify(op.output)}`;
    return `  #${indexInHistory.get(op) ?? '?'} client ${op.clientId} [${op.call}, ${op.return ?? '∞'}] ${what}`;
  };
  const name = model.partitionName?.(part) ?? 'the history';
  const headline =
    kind === 'illegal'
      ? `${name}: no linearization of its ${part.length} operations exists.`
      : `${name}: gave up after ${maxSteps} search steps over its ${part.length} operations; linearizability is unknown.`;
  const placed = new Set(longest);
  const pending = part.map((_, i) => i).filter((i) => !placed.has(i));
  // The operations that could have come next: called before any pending operation returned.
  const deadline = Math.min(...pending.map((i) => part[i]?.return ?? Number.POSITIVE_INFINITY));
  const candidates = pending.filter((i) => (part[i] as Operation<I, O>).call <= deadline);
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
