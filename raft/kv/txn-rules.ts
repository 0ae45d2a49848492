import { DuplicateKeyInTxnError, InvalidRequestError } from './errors.js';
import { type KeyRange, rangeContains, resolveKeyRange } from './key-range.js';
import type { Compare, KeyValue, TxnOp, TxnRequest } from './types.js';
import { TXN_OPS_MAX } from './types.js';

/**
 * The rules of a txn that do not depend on the store's state, and compare evaluation.
 *
 * A txn is checked whole before it runs (etcd checks both branches up front, whichever runs):
 * - at most TXN_OPS_MAX compares, and at most TXN_OPS_MAX ops per branch;
 * - in each branch, no key is written twice: two puts of one key, or a put of a key inside a
 *   deleted range, are DuplicateKeyInTxn. Deleted ranges may overlap each other (the second
 *   deletes what is left), and reads may touch written keys (they see the writes before them).
 * Etcd's reason: one revision holds at most one change per key, so watchers can tell the order.
 */
export function checkTxnRequest(request: TxnRequest): void {
  if (request.compare.length > TXN_OPS_MAX) throw new InvalidRequestError(`too many compares in txn: ${request.compare.length} > ${TXN_OPS_MAX}`);
  for (const branch of [request.success, request.failure]) {
    if (branch.length > TXN_OPS_MAX) throw new InvalidRequestError(`too many operations in txn branch: ${branch.length} > ${TXN_OPS_MAX}`);
  }
  for (const c of request.compare) {
    if (c.key === '') throw new InvalidRequestError('compare key is empty');
  }
  checkBranchWritesDistinct(request.success);
  checkBranchWritesDistinct(request.failure);
}

function checkBranchWritesDistinct(ops: readonly TxnOp[]): void {
  const putKeys = new Set<string>();
  const deleted: KeyRange[] = [];
  for (const op of ops) {
    if (op.t === 'put') {
      if (putKeys.has(op.key)) throw new DuplicateKeyInTxnError(op.key);
      putKeys.add(op.key);
    } else if (op.t === 'delete') {
      deleted.push(resolveKeyRange(op.key, op));
    } else {
      resolveKeyRange(op.key, op); // throws InvalidRequest for a bad range
    }
  }
  if (deleted.length === 0) return;
  for (const key of putKeys) {
    if (deleted.some((range) => rangeContains(range, key))) throw new DuplicateKeyInTxnError(key);
  }
}

/**
 * Whether a compare holds for the key's current kv (undefined: the key does not exist). A
 * missing key fails every compare on `value` and reads as 0 for the others (etcd's rule).
 */
export function compareHolds(compare: Compare, kv: KeyValue | undefined): boolean {
  let order: number;
  if (compare.target === 'value') {
    if (kv === undefined) return false;
    order = compareBytes(kv.value, compare.operand);
  } else {
    const actual = kv === undefined ? 0 : kv[compare.target];
    order = actual === compare.operand ? 0 : actual < compare.operand ? -1 : 1;
  }
  switch (compare.result) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '>':
      return order > 0;
  }
}

/** Lexicographic byte order: negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
