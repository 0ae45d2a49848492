import type { Operation } from './history.js';
import type { Model } from './linearizability.js';

/**
 * The search for one part (Wing & Gong with Lowe's improvements, as in Porcupine). Calls and
 * returns form one time-ordered doubly-linked list. The search walks it from the front: a call
 * met before any return may be linearized next, and then it is lifted out of the list with its
 * return; meeting a return whose call is still there means no choice so far lets that operation
 * take effect in time, so the last choice is undone by relinking its nodes in place. Every
 * configuration is explored at most once (see ExploredSet).
 *
 * Unknown-outcome operations are optional: they may be left out, and the search is done once
 * every known-outcome operation is placed. Their return is +infinity, so they never block the
 * walk; their calls live in a second list, walked after the known candidates. Each may come
 * with its witnesses: the operations it could matter to (see Model.witnesses). Then it is only
 * placed right before one of them (a linearization placing it elsewhere stays valid with it
 * moved up to its first witness, or left out), and once an operation called after its last
 * witness returned is placed, it is taken out of the list for good.
 */

export type SearchOutcome = { readonly kind: 'ok' } | { readonly kind: 'illegal' | 'unknown'; readonly longest: number[] };

/** A call or return in a list. A known operation's call and return are each other's `match`. */
interface EventNode {
  readonly op: number;
  readonly time: number;
  readonly isCall: boolean;
  match: EventNode | null;
  prev: EventNode | null;
  next: EventNode | null;
}

/** One linearization on the search path, with what is needed to undo it. */
interface Frame<S> {
  readonly call: EventNode;
  readonly stateBefore: S;
  /** The only branch worth trying in its configuration (see fittingReadOnly). */
  readonly forced: boolean;
  readonly obligationBefore: number;
  readonly candidateLimitBefore: number;
  readonly latestCallBefore: number;
  readonly expiredBefore: number;
  /** Optional operations whose deadline this linearization passed, taken out in this order. */
  readonly expired: EventNode[];
}

const NONE = -1;

/**
 * `witnesses[i]`, read for unknown-outcome operations only, lists the indexes of the operations
 * ops[i] could matter to; undefined means any. Returns, on failure, the indexes of the longest
 * linearizable sequence found.
 */
export function searchLinearization<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  witnesses: readonly (readonly number[] | undefined)[],
  maxSteps: number,
): SearchOutcome {
  const optional = ops.map((op) => op.return === null);
  const { head, optionalHead, calls } = buildEventLists(ops);
  const readOnly = ops.map((op) => model.readOnly?.(op.input, op.output) ?? false);
  const witnessesByCall = ops.map((_, i) => {
    const list = witnesses[i];
    if (!optional[i] || list === undefined) return null;
    const callOf = (w: number): number => (ops[w] as Operation<I, O>).call;
    return list.filter((w) => ops[w] !== undefined).sort((a, b) => callOf(a) - callOf(b));
  });
  const witnessSets = witnessesByCall.map((list) => (list === null ? null : new Set(list)));
  // Placing an optional operation after one called later than its last witness returned is
  // useless: every witness is then already placed.
  const deadline = witnessesByCall.map((list) =>
    list === null
      ? Number.POSITIVE_INFINITY
      : list.reduce((latest, w) => Math.max(latest, ops[w]?.return ?? Number.POSITIVE_INFINITY), Number.NEGATIVE_INFINITY),
  );
  const byDeadline = ops
    .map((_, i) => i)
    .filter((i) => optional[i])
    .sort((a, b) => (deadline[a] as number) - (deadline[b] as number));
  const words = Math.ceil(ops.length / 16);
  // Which operations are linearized, by outcome (see ExploredSet), and which optional ones expired.
  const placedKnown = new Uint16Array(words);
  const placedOptional = new Uint16Array(words);
  const expiredOptional = new Uint16Array(words);
  const bitsOf = (i: number): Uint16Array => (optional[i] ? placedOptional : placedKnown);
  const explored = new ExploredSet();
  const stack: Frame<S>[] = [];
  let longest: number[] = [];
  let knownLeft = optional.filter((o) => !o).length;
  let state = model.init();
  // The optional operation just placed, whose witness must come next (NONE: no such duty).
  let obligation = NONE;
  // The latest call among linearized operations, and how many optional ones (by deadline) it
  // expired. Both follow from the linearized set, so the memoized configuration still does.
  let latestCall = Number.NEGATIVE_INFINITY;
  let expiredCount = 0;
  // Where the walk is: a node of the known list, or (once it met a return at candidateLimit)
  // of the optional list, whose calls up to candidateLimit are candidates too.
  let entry: EventNode | null = head.next;
  let candidateLimit = Number.NaN;

  const allowed = (i: number): boolean => obligation === NONE || (witnessSets[obligation] as Set<number>).has(i);
  /** An optional operation is only worth placing if one of its witnesses could come next. */
  const witnessCouldFollow = (i: number): boolean => {
    const list = witnessesByCall[i];
    if (list === null || list === undefined) return true;
    for (const w of list) {
      if ((ops[w] as Operation<I, O>).call > candidateLimit) return false;
      if (!isSet(bitsOf(w), w) && !isSet(expiredOptional, w)) return true;
    }
    return false;
  };

  /** Linearizes `call` next, unless that leads to a configuration already explored. */
  const take = (call: EventNode, next: S, forced: boolean): boolean => {
    const nextObligation = optional[call.op] && witnessSets[call.op] !== null ? call.op : NONE;
    toggle(bitsOf(call.op), call.op);
    if (!explored.visit(placedKnown, model.stateKey(next), placedOptional, nextObligation)) {
      toggle(bitsOf(call.op), call.op);
      return false;
    }
    const expired: EventNode[] = [];
    stack.push({
      call,
      stateBefore: state,
      forced,
      obligationBefore: obligation,
      candidateLimitBefore: candidateLimit,
      latestCallBefore: latestCall,
      expiredBefore: expiredCount,
      expired,
    });
    state = next;
    obligation = nextObligation;
    lift(call);
    if (!optional[call.op]) knownLeft--;
    latestCall = Math.max(latestCall, call.time);
    for (; expiredCount < byDeadline.length; expiredCount++) {
      const j = byDeadline[expiredCount] as number;
      if (!((deadline[j] as number) < latestCall)) break;
      if (isSet(placedOptional, j)) continue;
      lift(calls[j] as EventNode);
      toggle(expiredOptional, j);
      expired.push(calls[j] as EventNode);
    }
    if (stack.length > longest.length) longest = stack.map((f) => f.call.op);
    entry = head.next;
    return true;
  };

  /** Undoes linearizations back to the last one with alternatives; false if none is left. */
  const backtrack = (): boolean => {
    for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
      for (let k = frame.expired.length - 1; k >= 0; k--) {
        const node = frame.expired[k] as EventNode;
        toggle(expiredOptional, node.op);
        unlift(node);
      }
      unlift(frame.call);
      toggle(bitsOf(frame.call.op), frame.call.op);
      state = frame.stateBefore;
      obligation = frame.obligationBefore;
      latestCall = frame.latestCallBefore;
      expiredCount = frame.expiredBefore;
      if (!optional[frame.call.op]) knownLeft++;
      if (!frame.forced) {
        entry = frame.call.next;
        candidateLimit = frame.candidateLimitBefore;
        return true;
      }
    }
    return false;
  };

  /**
   * A pending read-only operation that fits the current state can be linearized right now
   * without losing anything: any linearization placing it later can move it here (it changes
   * no state, nothing still pending had to precede it, and an optional operation this makes
   * late could be left out). So it is the only branch tried, which turns k concurrent reads of
   * one value from 2^k configurations into one.
   */
  const fittingReadOnly = (): { call: EventNode; next: S } | null => {
    for (let e = head.next; e?.isCall; e = e.next) {
      if (!readOnly[e.op] || !allowed(e.op)) continue;
      const op = ops[e.op] as Operation<I, O>;
      const result = model.step(state, op.input, op.output);
      if (result.ok) return { call: e, next: result.next };
    }
    return null;
  };

  let freshConfiguration = true;
  for (let steps = 0; knownLeft > 0; steps++) {
    if (steps >= maxSteps) return { kind: 'unknown', longest };
    if (freshConfiguration) {
      freshConfiguration = false;
      const forced = fittingReadOnly();
      if (forced !== null) {
        if (take(forced.call, forced.next, true)) freshConfiguration = true;
        else if (!backtrack()) return { kind: 'illegal', longest };
        continue;
      }
    }
    if (entry === null || (optional[entry.op] === true && entry.time > candidateLimit)) {
      // Past the last candidate (the known list always ends in a return, so only the optional
      // list runs out): this configuration failed.
      if (!backtrack()) return { kind: 'illegal', longest };
      continue;
    }
    if (!entry.isCall) {
      // The known candidates are done; optional calls made up to this return come next.
      candidateLimit = entry.time;
      entry = optionalHead.next;
      continue;
    }
    // A read-only operation that fitted was forced above: this one does not fit.
    const i = entry.op;
    if (!readOnly[i] && allowed(i) && (!optional[i] || witnessCouldFollow(i))) {
      const op = ops[i] as Operation<I, O>;
      const result = model.step(state, op.input, op.output);
      if (result.ok && take(entry, result.next, false)) {
        freshConfiguration = true;
        continue;
      }
    }
    entry = entry.next;
  }
  return { kind: 'ok' };
}

/**
 * The list of known operations' calls and returns, and the list of optional operations' calls,
 * each ordered by time behind a sentinel head. Calls sort before returns at equal times, since
 * such operations overlap.
 */
function buildEventLists<I, O>(
  ops: readonly Operation<I, O>[],
): { head: EventNode; optionalHead: EventNode; calls: EventNode[] } {
  const known: EventNode[] = [];
  const optional: EventNode[] = [];
  const calls = ops.map((op, i) => {
    const call: EventNode = { op: i, time: op.call, isCall: true, match: null, prev: null, next: null };
    if (op.return === null) {
      optional.push(call);
      return call;
    }
    const ret: EventNode = { op: i, time: op.return, isCall: false, match: call, prev: null, next: null };
    call.match = ret;
    known.push(call, ret);
    return call;
  });
  const byTime = (a: EventNode, b: EventNode): number => {
    if (a.time !== b.time) return a.time < b.time ? -1 : 1;
    if (a.isCall !== b.isCall) return a.isCall ? -1 : 1;
    return a.op - b.op;
  };
  return { head: chain(known.sort(byTime)), optionalHead: chain(optional.sort(byTime)), calls };
}

function chain(nodes: readonly EventNode[]): EventNode {
  const head: EventNode = { op: NONE, time: Number.NEGATIVE_INFINITY, isCall: false, match: null, prev: null, next: null };
  let last = head;
  for (const node of nodes) {
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
  if (call.match !== null) unlink(call.match);
}

/** Exactly undoes `lift` (dancing links): relink in the reverse order of unlinking. */
function unlift(call: EventNode): void {
  if (call.match !== null) relink(call.match);
  relink(call);
}

function isSet(bits: Uint16Array, i: number): boolean {
  return (((bits[i >>> 4] as number) >>> (i & 15)) & 1) === 1;
}

function toggle(bits: Uint16Array, i: number): void {
  const word = i >>> 4;
  bits[word] = (bits[word] as number) ^ (1 << (i & 15));
}

/**
 * The configurations already explored (Lowe's memoization): the operations placed, the state,
 * and the witness duty left by an optional operation just placed. A configuration seen before
 * is not explored again: it either failed already or is an ancestor of this one.
 *
 * Optional operations get more: they never have to be placed and never have to precede
 * anything, so a configuration is also skipped when one with the same known operations placed
 * and the same state, a subset of its optional operations placed, and no duty or the same duty,
 * was explored: whatever can follow the larger set could follow the smaller one, leaving the
 * difference out (which also expires no more of them). Without this, k pending timed-out writes
 * multiply the configurations per state by up to 2^k.
 */
class ExploredSet {
  private readonly byKey = new Map<string, { optional: Uint16Array; obligation: number }[]>();

  /** Records a configuration; false if it, or one that dominates it, was explored. */
  visit(placedKnown: Uint16Array, stateKey: string, placedOptional: Uint16Array, obligation: number): boolean {
    // The known bitset has a fixed length, so appending the state key keeps the key injective.
    const key = bitsKey(placedKnown) + stateKey;
    const seen = this.byKey.get(key);
    const entry = { optional: placedOptional.slice(), obligation };
    if (seen === undefined) {
      this.byKey.set(key, [entry]);
      return true;
    }
    if (seen.some((s) => dominates(s, entry))) return false;
    // Keep the list an antichain: drop what the new configuration dominates.
    const kept = seen.filter((s) => !dominates(entry, s));
    kept.push(entry);
    this.byKey.set(key, kept);
    return true;
  }
}

/** The bitset as a string of 16-bit code units, built in chunks to stay within argument limits. */
function bitsKey(bits: Uint16Array): string {
  const CHUNK = 8192;
  if (bits.length <= CHUNK) return String.fromCharCode(...bits);
  let key = '';
  for (let i = 0; i < bits.length; i += CHUNK) key += String.fromCharCode(...bits.subarray(i, i + CHUNK));
  return key;
}

function dominates(a: { optional: Uint16Array; obligation: number }, b: { optional: Uint16Array; obligation: number }): boolean {
  return (a.obligation === NONE || a.obligation === b.obligation) && isSubset(a.optional, b.optional);
}

function isSubset(a: Uint16Array, b: Uint16Array): boolean {
  for (let w = 0; w < a.length; w++) {
    const x = a[w] as number;
    if ((x & (b[w] as number)) !== x) return false;
  }
  return true;
}
