import type { KeyValue, TxnOp } from '../../../../raft/kv/types.js';

/**
 * The obviously-correct store the MVCC store is checked against: a full copy of the key space
 * per revision. Slow and memory-hungry on purpose; nothing clever to get wrong.
 */
export class NaiveKvModel {
  /** spaces[r - 1]: the key space at revision r. */
  private readonly spaces: Map<string, KeyValue>[] = [new Map()];
  compactRevision = 0;

  get revision(): number {
    return this.spaces.length;
  }

  /** The kvs at `revision` whose key is in [start, end) (end undefined: unbounded), in key order. */
  rangeAt(revision: number, start: string, end: string | undefined): KeyValue[] {
    const space = this.spaces[revision - 1];
    if (space === undefined) throw new Error(`no revision ${revision}`);
    return [...space.values()].filter((kv) => kv.key >= start && (end === undefined || kv.key < end)).sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  get(key: string): KeyValue | undefined {
    return this.spaces[this.spaces.length - 1]?.get(key);
  }

  /** Runs writes as one transaction: copies the space, changes the copy, keeps it if anything changed. */
  write(ops: readonly TxnOp[]): void {
    const next = new Map(this.spaces[this.spaces.length - 1]);
    const revision = this.revision + 1;
    let changed = false;
    for (const op of ops) {
      if (op.t === 'put') {
        const prev = next.get(op.key);
        next.set(op.key, {
          key: op.key,
          value: op.value,
          createRevision: prev?.createRevision ?? revision,
          modRevision: revision,
          version: (prev?.version ?? 0) + 1,
          lease: op.lease ?? 0,
        });
        changed = true;
      } else if (op.t === 'delete') {
        for (const key of [...next.keys()]) {
          const matches = op.prefix === true ? key.startsWith(op.key) : key === op.key;
          if (matches) {
            next.delete(key);
            changed = true;
          }
        }
      }
    }
    if (changed) this.spaces.push(next);
  }
}
