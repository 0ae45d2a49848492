/**
 * A map from string keys to values that also iterates keys in order from any start key: the
 * store's key index (etcd keeps a B-tree for the same purpose).
 *
 * Layout: a hash map for point lookups (O(1)), plus the keys in order as a list of sorted chunks
 * of at most `chunkKeysMax` keys (1024 by default), with each chunk's values beside its keys. Finding a key's place
 * is a binary search over the chunks' last keys, then one inside the chunk; inserting or removing
 * moves at most a chunk's worth of references, and splitting a full chunk moves the chunk list
 * (n / chunkKeysMax entries). For a million keys that is a few thousand references per new
 * key, far under a microsecond, and a range scan walks contiguous arrays with no lookups.
 * (The same idea as Python's sortedcontainers.)
 *
 * Keys are ordered by the `<` operator (UTF-16 code units).
 */

export const CHUNK_KEYS_MAX_DEFAULT = 1024;

interface Chunk<V> {
  keys: string[];
  values: V[];
}

export class SortedKeyMap<V> {
  /** A chunk holding more keys than this is split in two. */
  private readonly chunkKeysMax: number;
  private readonly byKey = new Map<string, V>();
  /** Non-empty chunks, in key order; every key of chunk i is less than every key of chunk i+1. */
  private readonly chunks: Chunk<V>[] = [];
  /** The last (greatest) key of each chunk. */
  private readonly lastKeys: string[] = [];

  constructor(chunkKeysMax = CHUNK_KEYS_MAX_DEFAULT) {
    this.chunkKeysMax = Math.max(2, chunkKeysMax);
  }

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): V | undefined {
    return this.byKey.get(key);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Sets the value of `key`, inserting the key in order if it is new. */
  set(key: string, value: V): void {
    if (this.byKey.has(key)) {
      this.byKey.set(key, value);
      const [chunk, pos] = this.locate(key);
      (chunk as Chunk<V>).values[pos] = value;
      return;
    }
    this.byKey.set(key, value);
    const chunkCount = this.chunks.length;
    if (chunkCount === 0) {
      this.chunks.push({ keys: [key], values: [value] });
      this.lastKeys.push(key);
      return;
    }
    let index = this.chunkIndexFor(key);
    if (index === chunkCount) index = chunkCount - 1; // greater than every key: append to the last chunk
    const chunk = this.chunks[index] as Chunk<V>;
    const pos = lowerBound(chunk.keys, key);
    chunk.keys.splice(pos, 0, key);
    chunk.values.splice(pos, 0, value);
    if (pos === chunk.keys.length - 1) this.lastKeys[index] = key;
    if (chunk.keys.length > this.chunkKeysMax) this.split(index);
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: string): boolean {
    if (!this.byKey.delete(key)) return false;
    const [chunk, pos, index] = this.locate(key);
    const c = chunk as Chunk<V>;
    c.keys.splice(pos, 1);
    c.values.splice(pos, 1);
    if (c.keys.length === 0) {
      this.chunks.splice(index, 1);
      this.lastKeys.splice(index, 1);
    } else if (pos === c.keys.length) {
      this.lastKeys[index] = c.keys[pos - 1] as string;
    }
    return true;
  }

  /**
   * Calls `visit` for each key in [start, end) in order (`end` undefined: to the last key),
   * stopping early when it returns `false` (any other result goes on). `visit` must not modify the map.
   */
  forEachInRange(start: string, end: string | undefined, visit: (key: string, value: V) => unknown): void {
    let index = this.chunkIndexFor(start);
    const chunkCount = this.chunks.length;
    if (index === chunkCount) return;
    let pos = lowerBound((this.chunks[index] as Chunk<V>).keys, start);
    for (; index < chunkCount; index++, pos = 0) {
      const { keys, values } = this.chunks[index] as Chunk<V>;
      for (; pos < keys.length; pos++) {
        const key = keys[pos] as string;
        if (end !== undefined && key >= end) return;
        if (visit(key, values[pos] as V) === false) return;
      }
    }
  }

  /** Every entry in key order. */
  *entries(): IterableIterator<[string, V]> {
    for (const { keys, values } of this.chunks) {
      for (let i = 0; i < keys.length; i++) yield [keys[i] as string, values[i] as V];
    }
  }

  /** The index of the first chunk whose last key is >= key (chunks.length if none). */
  private chunkIndexFor(key: string): number {
    return lowerBound(this.lastKeys, key);
  }

  /** Where a present key sits: its chunk, its position in it, the chunk's index. */
  private locate(key: string): [Chunk<V> | undefined, number, number] {
    const index = this.chunkIndexFor(key);
    const chunk = this.chunks[index];
    return [chunk, chunk === undefined ? -1 : lowerBound(chunk.keys, key), index];
  }

  private split(index: number): void {
    const chunk = this.chunks[index] as Chunk<V>;
    const half = chunk.keys.length >>> 1;
    const right: Chunk<V> = { keys: chunk.keys.splice(half), values: chunk.values.splice(half) };
    this.chunks.splice(index + 1, 0, right);
    this.lastKeys.splice(index, 1, chunk.keys[half - 1] as string, right.keys[right.keys.length - 1] as string);
  }
}

/** The first position in the sorted `keys` whose key is >= `key` (keys.length if none). */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
