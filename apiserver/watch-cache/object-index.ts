import type { KubeObject } from '../../kube/object.js';

/**
 * The current objects of one resource by store key, listable in key order (the store's order:
 * UTF-16 code units, which `<` compares) and by key prefix (one namespace).
 *
 * A map for lookups beside a sorted key array kept up to date by binary-search splices: a
 * create or delete costs one memmove of the array, a list costs nothing but the copy out.
 */
export class ObjectIndex {
  private readonly byKey = new Map<string, KubeObject>();
  private keys: string[] = [];

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): KubeObject | undefined {
    return this.byKey.get(key);
  }

  /** Stores `object` under `key`; returns the object it replaced. */
  set(key: string, object: KubeObject): KubeObject | undefined {
    const prev = this.byKey.get(key);
    this.byKey.set(key, object);
    if (prev === undefined) this.keys.splice(this.lowerBound(key), 0, key);
    return prev;
  }

  /** Removes `key`; returns the object it held. */
  delete(key: string): KubeObject | undefined {
    const prev = this.byKey.get(key);
    if (prev === undefined) return undefined;
    this.byKey.delete(key);
    this.keys.splice(this.lowerBound(key), 1);
    return prev;
  }

  /** Replaces everything with `entries`, which must be in strictly increasing key order. */
  replace(entries: readonly (readonly [string, KubeObject])[]): void {
    this.byKey.clear();
    this.keys = [];
    for (const [key, object] of entries) {
      const last = this.keys[this.keys.length - 1];
      if (last !== undefined && !(last < key)) throw new Error(`object index: keys out of order (${last}, ${key})`);
      this.keys.push(key);
      this.byKey.set(key, object);
    }
  }

  /** The objects whose keys start with `prefix`, in key order, that pass `filter`. */
  list(prefix: string, filter?: (o: KubeObject) => boolean): KubeObject[] {
    const out: KubeObject[] = [];
    for (let i = this.lowerBound(prefix); i < this.keys.length; i++) {
      const key = this.keys[i] as string;
      if (!key.startsWith(prefix)) break;
      const o = this.byKey.get(key) as KubeObject;
      if (filter === undefined || filter(o)) out.push(o);
    }
    return out;
  }

  /** The first index whose key is not below `key`. */
  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.keys[mid] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
