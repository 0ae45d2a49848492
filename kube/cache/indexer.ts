import { objectKey } from '../client/resource.js';
import type { KubeObject } from '../object.js';
import { defaultIndexers, type IndexFunc, type Lister } from './lister.js';

/**
 * The informer's cache: objects by key plus secondary indexes kept in step on every change
 * (client-go's `threadSafeStore` with its `indexers`). Single-threaded JavaScript makes every
 * method atomic.
 */
export class Indexer<T extends KubeObject = KubeObject> implements Lister<T> {
  private readonly items = new Map<string, T>();
  /** index name → index value → keys. */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  /** A copy: `addIndexers` must never change the caller's (or the shared default) record. */
  private readonly indexers: Record<string, IndexFunc<T>>;

  constructor(indexers: Readonly<Record<string, IndexFunc<T>>> = defaultIndexers as Record<string, IndexFunc<T>>) {
    this.indexers = { ...indexers };
    for (const name of Object.keys(indexers)) this.indices.set(name, new Map());
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  byIndex(index: string, value: string): T[] {
    const keys = this.indices.get(index)?.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const obj = this.items.get(k);
      if (obj) out.push(obj);
    }
    return out;
  }

  /** Add or replace; returns the object it replaced. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  /** Remove by key; returns what was there. */
  remove(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  /**
   * Add indexes (client-go's AddIndexers), building them over what is cached already. A name
   * that exists with the same function is a no-op; with another function it throws, since two
   * callers would disagree about what the index means.
   */
  addIndexers(extra: Readonly<Record<string, IndexFunc<T>>>): void {
    for (const [name, fn] of Object.entries(extra)) {
      const existing = this.indexers[name];
      if (existing === fn) continue;
      if (existing) throw new Error(`indexer ${name} already exists with another function`);
      this.indexers[name] = fn;
      const idx = new Map<string, Set<string>>();
      this.indices.set(name, idx);
      for (const [key, obj] of this.items) for (const value of fn(obj)) addKey(idx, value, key);
    }
  }

  /** Replace everything (a relist); returns nothing, callers diff before if they need events. */
  replace(objs: readonly T[]): void {
    this.items.clear();
    for (const idx of this.indices.values()) idx.clear();
    for (const obj of objs) this.upsert(obj);
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indices.get(name);
      if (!idx) continue;
      for (const value of fn(obj)) addKey(idx, value, key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indices.get(name);
      if (!idx) continue;
      for (const value of fn(obj)) {
        const keys = idx.get(value);
        keys?.delete(key);
        if (keys?.size === 0) idx.delete(value);
      }
    }
  }
}

function addKey(idx: Map<string, Set<string>>, value: string, key: string): void {
  const keys = idx.get(value);
  if (keys) keys.add(key);
  else idx.set(value, new Set([key]));
}
