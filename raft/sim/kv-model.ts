import type { KvInput, KvOperation, KvOutput } from './history.js';
import { timedOutWriteWitnesses } from './kv-witnesses.js';
import { checkOperations } from './linearizability.js';
import type { CheckFailure, CheckOptions, Model } from './linearizability.js';

/**
 * The sequential specification of the key-value store, partitioned per key: operations on
 * different keys commute, so the store is linearizable iff each key's sub-history is, and the
 * state of a part is just that key's value (null: absent). Workloads should write unique
 * values: then a read pins down which write it saw, and timed-out writes that nobody saw cost
 * the search almost nothing (see kv-witnesses.ts).
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
    return [...byKey.keys()].sort().map((key) => byKey.get(key) as KvOperation[]);
  },
  witnesses: timedOutWriteWitnesses,
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
  readOnly: (input, output) =>
    input.op === 'get' || (input.op === 'cas' && output !== null && 'ok' in output && !output.ok),
  describe: describeKvOperation,
};

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
      return `cas ${key} ${show(input.expected)} ⇒ ${show(input.value)} ${outcome((o) =>
        'ok' in o && o.ok ? '→ swapped' : '→ not swapped',
      )}`;
  }
}

export type KvCheckResult = { readonly kind: 'ok' } | (CheckFailure<KvInput, KvOutput> & { readonly key: string });

/**
 * Checks a key-value history key by key (maxSteps applies to each key); a failure names the
 * first failing key in sorted order, an illegal one before one that ran out of steps.
 */
export function checkKvHistory(ops: readonly KvOperation[], opts: CheckOptions = {}): KvCheckResult {
  const result = checkOperations(kvModel, ops, opts);
  if (result.kind === 'ok') return result;
  return { ...result, key: result.partition[0]?.input.key ?? '' };
}
