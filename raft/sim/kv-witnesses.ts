import type { KvInput, KvOperation, KvOutput } from './history.js';

type Value = string | null;

/**
 * For each unknown-outcome write of one key (by position; undefined elsewhere), the operations
 * it could matter to (see Model.witnesses): the reads that returned its value, the
 * compare-and-swaps that expected its value, and the failed compare-and-swaps that it alone
 * might have made fail. With unique values, which workloads should write, most timed-out writes
 * have few witnesses or none, and then the search never carries them.
 *
 * Why that is enough. Take a linearization with such a write W (value v) in it. Up to the next
 * write the key holds v, so what can follow W there is: reads of v and compare-and-swaps
 * expecting v (witnesses), failed compare-and-swaps expecting something else, and
 * unknown-outcome ones, which fail. Move W later, past those that are not witnesses: they see
 * the previous value instead. An unknown-outcome cas is optional, so leave it out; a failed cas
 * stays failed unless it expected exactly the previous value, and a cas for which that is
 * possible at all is a witness (see `endangers`). So W can move up to its first witness, or
 * out altogether if the next write comes first.
 */
export function timedOutWriteWitnesses(ops: readonly KvOperation[]): (number[] | undefined)[] {
  const readersOf = new Map<Value, number[]>();
  const casesExpecting = new Map<Value, number[]>();
  const add = (m: Map<Value, number[]>, v: Value, i: number): void => {
    const list = m.get(v);
    if (list === undefined) m.set(v, [i]);
    else list.push(i);
  };
  ops.forEach(({ input, output }, i) => {
    if (input.op === 'get' && output !== null && 'value' in output) add(readersOf, output.value, i);
    if (input.op === 'cas') add(casesExpecting, input.expected, i);
  });
  const overwrittenBy = overwriteTimes(ops);
  const failedCases = ops.flatMap(({ input, output }, i) =>
    input.op === 'cas' && output !== null && isFailed(output) ? [i] : [],
  );
  /**
   * Whether failed cas C could sit right after W while the key holds what C expected (so that
   * without W it would have succeeded): C must be able to follow W, and both must be able to
   * come before the certain overwrite of that value (equal times overlap).
   */
  const endangers = (c: KvOperation, w: KvOperation): boolean => {
    if (c.input.op !== 'cas') return false;
    const overwritten = overwrittenBy.get(c.input.expected) ?? Number.NEGATIVE_INFINITY;
    return (c.return as number) >= w.call && w.call <= overwritten && c.call <= overwritten;
  };
  return ops.map((w, i) => {
    if (w.output !== null || w.input.op === 'get') return undefined;
    const value = writtenValue(w.input);
    const endangered = failedCases.filter((c) => endangers(ops[c] as KvOperation, w));
    const all = new Set([...(readersOf.get(value) ?? []), ...(casesExpecting.get(value) ?? []), ...endangered]);
    all.delete(i);
    return [...all];
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
    .filter((op) => op.output !== null && writes(op))
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
  const writerCount = new Map<Value, number>();
  const firstObservedBy = new Map<Value, number>();
  for (const op of ops) {
    if (writes(op)) writerCount.set(writtenValue(op.input), (writerCount.get(writtenValue(op.input)) ?? 0) + 1);
    const seen = observedValue(op);
    if (seen !== undefined) {
      firstObservedBy.set(seen, Math.min(firstObservedBy.get(seen) ?? Number.POSITIVE_INFINITY, op.return as number));
    }
  }
  const times = new Map<Value, number>([[null, overwrittenAfter(Number.NEGATIVE_INFINITY)]]);
  for (const op of ops) {
    if (!writes(op)) continue;
    const value = writtenValue(op.input);
    let surelyDone = op.return ?? Number.POSITIVE_INFINITY;
    // The sole writer of a value other than the initial null precedes whoever observed it.
    if (value !== null && writerCount.get(value) === 1) {
      surelyDone = Math.min(surelyDone, firstObservedBy.get(value) ?? Number.POSITIVE_INFINITY);
    }
    const dies = surelyDone === Number.POSITIVE_INFINITY ? surelyDone : overwrittenAfter(surelyDone);
    times.set(value, Math.max(times.get(value) ?? Number.NEGATIVE_INFINITY, dies));
  }
  return times;
}

/** Whether the operation may have written its value: any write but a failed cas. */
function writes({ input, output }: KvOperation): boolean {
  return input.op !== 'get' && (output === null || !isFailed(output));
}

/** The value a known-outcome read returned or a successful cas found, if any. */
function observedValue({ input, output }: KvOperation): Value | undefined {
  if (output === null) return undefined;
  if (input.op === 'get') return 'value' in output ? output.value : undefined;
  return input.op === 'cas' && !isFailed(output) ? input.expected : undefined;
}

function isFailed(output: KvOutput): boolean {
  return 'ok' in output && !output.ok;
}

/** What the operation leaves in the key if it takes effect (delete: absent). */
function writtenValue(input: KvInput): Value {
  return input.op === 'put' || input.op === 'cas' ? input.value : null;
}
