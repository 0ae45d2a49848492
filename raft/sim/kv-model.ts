import type { KvInput, KvOperation, KvOutput } from './history.js';
import { checkOperations } from './linearizability.js';
import type { CheckFailure, CheckOptions, Model } from './linearizability.js';

/**
 * The sequential specification of the key-value store, partitioned per key: operations on
 * different keys commute, so the store is linearizable iff each key's sub-history is, and the
 * state of a part is just that key's value (null: absent).
 */
export type KvKeyState = string | null;

export const kvModel: Model<KvKeyState, KvInput, KvOutput> = {
  partition(ops) {
    const byKey = new Map<string, KvOperation[]>();
    for (const op of ops) {
      const part = byKey.get(op.input.key);
      if (part === undefined) byKey.set(op.input.key, [op]);
      else part.push(op);
    }
    // Sorted so that the first failing key reported does not depend on history order.
    return [...byKey.keys()].sort().map((key) => withoutUnseenTimedOutWrites(byKey.get(key) as KvOperation[]));
  },
  partitionName: (part) => `key ${JSON.stringify(part[0]?.input.key ?? '')}`,
  init: () => null,
  step(state, input, output) {
    switch (input.op) {
      case 'put':
        return { ok: output === null || ('ok' in output && output.ok), next: input.value };
      case 'delete':
        return { ok: output === null || ('ok' in output && output.ok), next: null };
      case 'get':
        return { ok: output === null || ('value' in output && output.value === state), next: state };
      case 'cas': {
        const swaps = state === input.expected;
        const next = swaps ? input.value : state;
        if (output === null) return { ok: true, next };
        return { ok: 'ok' in output && output.ok === swaps, next };
      }
    }
  },
  // Prefixed so that the absent key and the empty string stay distinct.
  stateKey: (state) => (state === null ? '-' : `=${state}`),
  readOnly: (input) => input.op === 'get',
  describe: describeKvOperation,
};

/**
 * Drops the unknown-outcome writes of one key that cannot change the verdict, because nothing
 * could tell whether they took effect. A timed-out write stays pending until the end of the
 * search, so every one left in multiplies the configurations to explore; with unique values
 * (which workloads should write) most timed-out writes are never observed and go.
 *
 * Why dropping W (writing v) is sound when v is unobserved: take any linearization with W in
 * it. Until the next write, the key holds v; no get returned v and no cas expected v, so what
 * sits there is only failed cases and unknown-outcome cases. Without W the key holds the previous
 * value instead. An unknown-outcome cas is optional, so it can go too; a failed cas stays failed
 * unless its expected value could be the previous one, which is why W must be kept if a failed
 * cas expecting a value the key can hold might come after it. From the next write on, nothing
 * differs. The converse is immediate: an unknown-outcome write may always be left out.
 */
function withoutUnseenTimedOutWrites(ops: readonly KvOperation[]): KvOperation[] {
  const observed = new Set<string | null>();
  const holdable = new Set<string | null>([null]);
  for (const { input, output } of ops) {
    if (input.op === 'get' && output !== null && 'value' in output) observed.add(output.value);
    if (input.op === 'cas') observed.add(input.expected);
    if (input.op === 'put' || input.op === 'cas') holdable.add(input.value);
  }
  let lastRiskyFailedCasReturn = Number.NEGATIVE_INFINITY;
  for (const { input, output, return: ret } of ops) {
    const failed = output !== null && 'ok' in output && !output.ok;
    if (input.op === 'cas' && failed && holdable.has(input.expected) && ret !== null) {
      lastRiskyFailedCasReturn = Math.max(lastRiskyFailedCasReturn, ret);
    }
  }
  return ops.filter(({ input, output, call }) => {
    if (output !== null || input.op === 'get') return true;
    const written = input.op === 'delete' ? null : input.value;
    // Equal times count as concurrent, so a cas returning at W's call may follow W.
    return observed.has(written) || lastRiskyFailedCasReturn >= call;
  });
}

export function describeKvOperation(input: KvInput, output: KvOutput | null): string {
  const show = (v: string | null): string => (v === null ? 'absent' : JSON.stringify(v));
  const key = JSON.stringify(input.key);
  const outcome = (known: (o: KvOutput) => string): string => (output === null ? '→ outcome unknown' : known(output));
  switch (input.op) {
    case 'put':
      return `put ${key} = ${show(input.value)} ${outcome(() => '→ ok')}`;
    case 'delete':
      return `delete ${key} ${outcome(() => '→ ok')}`;
    case 'get':
      return `get ${key} ${outcome((o) => `→ ${'value' in o ? show(o.value) : JSON.stringify(o)}`)}`;
    case 'cas':
      return `cas ${key} ${show(input.expected)} ⇒ ${show(input.value)} ${outcome((o) => ('ok' in o && o.ok ? '→ swapped' : '→ not swapped'))}`;
  }
}

export type KvCheckResult = { readonly kind: 'ok' } | (CheckFailure<KvInput, KvOutput> & { readonly key: string });

/** Checks a key-value history key by key; a failure names the first failing key (sorted). */
export function checkKvHistory(ops: readonly KvOperation[], opts: CheckOptions = {}): KvCheckResult {
  const result = checkOperations(kvModel, ops, opts);
  if (result.kind === 'ok') return result;
  return { ...result, key: result.partition[0]?.input.key ?? '' };
}
