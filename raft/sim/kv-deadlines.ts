import type { KvInput, KvOperation, KvOutput } from './history.js';

type Value = string | null;

/**
 * For each unknown-outcome write of one key (by position; +Infinity elsewhere), a time after
 * which linearizing it can no longer matter, so the search can stop carrying it. A timed-out
 * write is otherwise pending to the end of the search and widens every configuration after its
 * call; with unique values, which workloads should write, most deadlines come early or before
 * the call (the write is then dropped outright).
 *
 * Why it is sound. Take a linearization with such a write W (value v) in it, and suppose every
 * operation that W could matter to is already before W; call those W's witnesses. Until the
 * next write the key holds v, so what can sit there is only: reads of v and compare-and-swaps
 * expecting v (witnesses, so not there), failed compare-and-swaps expecting something else, and
 * unknown-outcome ones that fail. Leave W out: the key holds the previous value instead. An
 * unknown-outcome cas is optional, so leave it out too; a failed cas stays failed unless it
 * expected exactly the previous value, and such a cas is a witness whenever that is possible
 * (see `endangers`). From the next write on nothing differs. Now if W comes after an operation
 * called after every witness returned, every witness is before W: so the deadline is the latest
 * witness return, and -Infinity if W has none.
 */
export function timedOutWriteDeadlines(ops: readonly KvOperation[]): number[] {
  const lastReadReturn = new Map<Value, number>();
  const lastCasReturnExpecting = new Map<Value, number>();
  const later = (m: Map<Value, number>, v: Value, t: number): void => {
    m.set(v, Math.max(m.get(v) ?? Number.NEGATIVE_INFINITY, t));
  };
  for (const { input, output, return: ret } of ops) {
    if (input.op === 'get' && output !== null && 'value' in output) later(lastReadReturn, output.value, ret as number);
    if (input.op === 'cas') later(lastCasReturnExpecting, input.expected, ret ?? Number.POSITIVE_INFINITY);
  }
  const overwrittenBy = overwriteTimes(ops);
  const failedCases = ops.flatMap(({ input, output, call, return: ret }) =>
    input.op === 'cas' && output !== null && ret !== null && isFailed(output) ? [{ call, ret, expected: input.expected }] : [],
  );
  /**
   * Whether failed cas C could sit right after W while the key holds what C expected (so that
   * leaving W out would make C succeed): C must be able to follow W, and both must be able to
   * come before the certain overwrite of that value (equal times overlap).
   */
  const endangers = (c: { call: number; ret: number; expected: Value }, call: number): boolean => {
    const overwritten = overwrittenBy.get(c.expected) ?? Number.NEGATIVE_INFINITY;
    return c.ret >= call && call <= overwritten && c.call <= overwritten;
  };
  return ops.map(({ input, output, call }) => {
    if (output !== null || input.op === 'get') return Number.POSITIVE_INFINITY;
    const value = writtenValue(input);
    let deadline = Math.max(
      lastReadReturn.get(value) ?? Number.NEGATIVE_INFINITY,
      lastCasReturnExpecting.get(value) ?? Number.NEGATIVE_INFINITY,
    );
    for (const c of failedCases) if (c.ret > deadline && endangers(c, call)) deadline = c.ret;
    return deadline;
  });
}

/**
 * For each value, a time by which the key certainly no longer holds it: every operation that
 * may write it is followed, in real time, by a write known to have happened that has returned
 * by then. Values absent from the map were never written and are never held (the absent key,
 * null, is held from the start). A write with unknown outcome keeps its value alive forever,
 * unless the value has no other writer and was observed: then the write came before the
 * observation.
 */
function overwriteTimes(ops: readonly KvOperation[]): Map<Value, number> {
  const certain = ops
    .filter(({ input, output }) => output !== null && input.op !== 'get' && !isFailed(output))
    .map((op) => ({ call: op.call, ret: op.return as number }))
    .sort((a, b) => a.call - b.call);
  // earliestReturnFrom[i]: the earliest return among certain writes called at or after certain[i].
  const earliestReturnFrom = new Array<number>(certain.length + 1).fill(Number.POSITIVE_INFINITY);
  for (let i = certain.length - 1; i >= 0; i--) {
    earliestReturnFrom[i] = Math.min((certain[i] as { ret: number }).ret, earliestReturnFrom[i + 1] as number);
  }
  /** When the first certain write called strictly after `t` has surely returned. */
  const overwrittenAfter = (t: number): number => {
    let lo = 0;
    let hi = certain.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((certain[mid] as { call: number }).call > t) hi = mid;
      else lo = mid + 1;
    }
    return earliestReturnFrom[lo] as number;
  };
  const writers = new Map<Value, number>();
  const firstObservedBy = new Map<Value, number>();
  for (const { input, output, return: ret } of ops) {
    if (input.op !== 'get' && (output === null || !isFailed(output))) {
      writers.set(writtenValue(input), (writers.get(writtenValue(input)) ?? 0) + 1);
    }
    const observed = input.op === 'get' ? output !== null && 'value' in output ? output.value : undefined
      : input.op === 'cas' && output !== null && !isFailed(output) ? input.expected : undefined;
    if (observed !== undefined) firstObservedBy.set(observed, Math.min(firstObservedBy.get(observed) ?? Number.POSITIVE_INFINITY, ret as number));
  }
  const times = new Map<Value, number>([[null, overwrittenAfter(Number.NEGATIVE_INFINITY)]]);
  for (const { input, output, return: ret } of ops) {
    if (input.op === 'get' || (output !== null && isFailed(output))) continue;
    const value = writtenValue(input);
    // The sole writer of a value other than the initial null precedes whoever observed it.
    const soleWriter = value !== null && writers.get(value) === 1;
    const surelyDone = Math.min(ret ?? Number.POSITIVE_INFINITY, soleWriter ? (firstObservedBy.get(value) ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY);
    const dies = surelyDone === Number.POSITIVE_INFINITY ? surelyDone : overwrittenAfter(surelyDone);
    times.set(value, Math.max(times.get(value) ?? Number.NEGATIVE_INFINITY, dies));
  }
  return times;
}

function isFailed(output: KvOutput): boolean {
  return 'ok' in output && !output.ok;
}

/** What the operation leaves in the key if it takes effect (delete: absent). */
function writtenValue(input: KvInput): Value {
  return input.op === 'put' || input.op === 'cas' ? input.value : null;
}
