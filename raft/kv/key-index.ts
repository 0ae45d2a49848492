import { kvInvariant } from './errors.js';
import type { Revision } from './revision.js';
import type { KeyValue } from './types.js';

/**
 * The history of one key, as etcd's keyIndex: a list of generations. A generation starts with
 * the put that creates the key and ends with the delete that removes it (its tombstone); only
 * the last generation may be open (the key exists now). Each put of a generation is kept as the
 * full KeyValue it produced, so a read at any kept revision costs two binary searches and no
 * copy.
 *
 * Invariants:
 * - generations are ordered and never empty; every kv of a generation has a higher modRevision
 *   than the one before it, and the tombstone (if any) is higher than its last kv;
 * - every generation but the last is closed.
 *
 * Compaction at revision R (`compact`) keeps exactly what a read at R or later can see: it drops
 * every generation whose tombstone is <= R, and in the first remaining generation every kv
 * older than the newest one at or before R.
 */

export interface Generation {
  /** The puts of this generation, oldest first (after compaction: from the newest one <= R). */
  readonly kvs: readonly KeyValue[];
  /** The sub revision of each put, beside `kvs`. */
  readonly subs: readonly number[];
  /** The delete that closed the generation: its revision, 0 while open. */
  readonly tombstone: Revision;
  readonly tombstoneSub: number;
}

interface MutableGeneration {
  kvs: KeyValue[];
  subs: number[];
  tombstone: Revision;
  tombstoneSub: number;
}

export class KeyIndex {
  readonly key: string;
  private gens: MutableGeneration[] = [];

  constructor(key: string) {
    this.key = key;
  }

  /** Rebuilds a key's history from a snapshot; checks the invariants. */
  static fromGenerations(key: string, generations: readonly Generation[]): KeyIndex {
    const index = new KeyIndex(key);
    let last = 0;
    generations.forEach((g, i) => {
      kvInvariant(g.kvs.length > 0 && g.kvs.length === g.subs.length, `key ${key}: generation ${i} is empty or misaligned`);
      for (const kv of g.kvs) {
        kvInvariant(kv.key === key && kv.modRevision > last, `key ${key}: generation ${i} is out of order`);
        last = kv.modRevision;
      }
      kvInvariant(g.tombstone === 0 ? i === generations.length - 1 : g.tombstone > last, `key ${key}: generation ${i} has a bad tombstone`);
      last = g.tombstone || last;
      index.gens.push({ kvs: [...g.kvs], subs: [...g.subs], tombstone: g.tombstone, tombstoneSub: g.tombstoneSub });
    });
    return index;
  }

  get generations(): readonly Generation[] {
    return this.gens;
  }

  /** True when no history is left (after compaction removed every generation). */
  isEmpty(): boolean {
    return this.gens.length === 0;
  }

  /** The key's current state, undefined if it does not exist now. O(1). */
  current(): KeyValue | undefined {
    const g = this.gens[this.gens.length - 1];
    if (g === undefined || g.tombstone !== 0) return undefined;
    return g.kvs[g.kvs.length - 1];
  }

  /**
   * The key's state at `revision`, undefined if it did not exist then. The caller guarantees
   * `revision` is at or after the last compaction (older history may be gone).
   */
  at(revision: Revision): KeyValue | undefined {
    const gens = this.gens;
    // The last generation whose first kept put is at or before the revision.
    let lo = 0;
    let hi = gens.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (((gens[mid] as MutableGeneration).kvs[0] as KeyValue).modRevision <= revision) lo = mid + 1;
      else hi = mid;
    }
    const g = gens[lo - 1];
    if (g === undefined || (g.tombstone !== 0 && g.tombstone <= revision)) return undefined;
    const kvs = g.kvs;
    lo = 0;
    hi = kvs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((kvs[mid] as KeyValue).modRevision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return kvs[lo - 1];
  }

  /** Records a put; starts a new generation if the key does not exist now. */
  put(kv: KeyValue, sub: number): void {
    const g = this.gens[this.gens.length - 1];
    if (g === undefined || g.tombstone !== 0) {
      kvInvariant(g === undefined || kv.modRevision > g.tombstone, `key ${this.key}: put at ${kv.modRevision} is not after its tombstone`);
      kvInvariant(kv.version === 1 && kv.createRevision === kv.modRevision, `key ${this.key}: a create must have version 1`);
      this.gens = grow(this.gens, { kvs: [kv], subs: [sub], tombstone: 0, tombstoneSub: 0 });
      return;
    }
    const last = g.kvs[g.kvs.length - 1] as KeyValue;
    kvInvariant(kv.modRevision > last.modRevision, `key ${this.key}: put at ${kv.modRevision} is not after ${last.modRevision}`);
    g.kvs = grow(g.kvs, kv);
    g.subs = grow(g.subs, sub);
  }

  /** Records a delete of the existing key at `revision`; returns the kv it removed. */
  tombstone(revision: Revision, sub: number): KeyValue {
    const g = this.gens[this.gens.length - 1];
    kvInvariant(g !== undefined && g.tombstone === 0, `key ${this.key}: delete of a key that does not exist`);
    const last = g.kvs[g.kvs.length - 1] as KeyValue;
    kvInvariant(revision > last.modRevision, `key ${this.key}: delete at ${revision} is not after ${last.modRevision}`);
    g.tombstone = revision;
    g.tombstoneSub = sub;
    return last;
  }

  /** Drops history that no read at `revision` or later can see; returns isEmpty(). */
  compact(revision: Revision): boolean {
    let dropGenerations = 0;
    while (dropGenerations < this.gens.length) {
      const g = this.gens[dropGenerations] as MutableGeneration;
      if (g.tombstone === 0 || g.tombstone > revision) break;
      dropGenerations++;
    }
    if (dropGenerations > 0) this.gens.splice(0, dropGenerations);
    const first = this.gens[0];
    if (first !== undefined) {
      // Keep the newest put at or before the revision, and everything after it.
      let keepFrom = 0;
      while (keepFrom + 1 < first.kvs.length && (first.kvs[keepFrom + 1] as KeyValue).modRevision <= revision) keepFrom++;
      if (keepFrom > 0) {
        first.kvs.splice(0, keepFrom);
        first.subs.splice(0, keepFrom);
      }
    }
    return this.gens.length === 0;
  }
}

/**
 * `list` with `item` appended. A short list is copied to an exact-size one: V8 gives an array
 * pushed to room for 17, and most keys hold a few versions in a few generations, each kept
 * until compaction. A longer one is pushed to (a copy per append would be quadratic).
 */
function grow<T>(list: T[], item: T): T[] {
  if (list.length >= SHORT_LIST_MAX) {
    list.push(item);
    return list;
  }
  return list.concat([item]); // exact size (a spread would not be)
}

const SHORT_LIST_MAX = 8;
