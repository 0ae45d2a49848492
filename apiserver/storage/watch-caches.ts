import type { Logger } from 'pino';
import type { StoreClient } from '../../raft/client/store-client.js';
import type { ResourceDef } from '../registry/types.js';
import { WatchCache } from '../watch-cache/watch-cache.js';
import type { KubeObject } from '../../kube/object.js';
import { objectKey, resourcePrefix } from './keys.js';
import { decodeObject } from './object-codec.js';

export interface WatchCachesOptions {
  readonly store: StoreClient;
  readonly logger: Logger;
  readonly eventWindowMax?: number;
  readonly bookmarkIntervalMs?: number;
}

/**
 * One watch cache per served resource, all started with the apiserver (as kube's cacher is), so
 * that `/readyz` can say whether every resource is in sync and every watch is served from memory.
 */
export class WatchCaches {
  private readonly caches = new Map<ResourceDef, WatchCache>();
  private readonly watchers = new Map<string, number>();

  constructor(defs: readonly ResourceDef[], options: WatchCachesOptions) {
    for (const def of defs) {
      // Reviews are never stored: nothing to cache.
      if (def.virtual) continue;
      const cacheOptions = {
        store: options.store,
        prefix: resourcePrefix(def),
        decode: decodeObject,
        logger: options.logger.child({ resource: def.plural }),
        ...(options.eventWindowMax === undefined ? {} : { eventWindowMax: options.eventWindowMax }),
        ...(options.bookmarkIntervalMs === undefined ? {} : { bookmarkIntervalMs: options.bookmarkIntervalMs }),
      };
      this.caches.set(def, new WatchCache(cacheOptions));
    }
  }

  /** Starts every cache; resolves when all are in sync. */
  async start(): Promise<void> {
    await Promise.all([...this.caches.values()].map((c) => c.start()));
  }

  ready(): boolean {
    for (const c of this.caches.values()) if (!c.ready()) return false;
    return true;
  }

  /** Names of the resources whose cache is not in sync (for /readyz). */
  notReady(): string[] {
    return [...this.caches].filter(([, c]) => !c.ready()).map(([d]) => d.plural);
  }

  forResource(def: ResourceDef): WatchCache | undefined {
    return this.caches.get(def);
  }

  /**
   * The cache's copy of one object, or undefined if it has none or is not in sync yet (callers
   * then read the store). The copy is shared: clone it before changing it.
   */
  cachedObject(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    const cache = this.caches.get(def);
    return cache?.ready() ? cache.get(objectKey(def, namespace, name)) : undefined;
  }

  watcherStarted(def: ResourceDef): void {
    this.watchers.set(def.plural, (this.watchers.get(def.plural) ?? 0) + 1);
  }

  watcherEnded(def: ResourceDef): void {
    this.watchers.set(def.plural, Math.max(0, (this.watchers.get(def.plural) ?? 0) - 1));
  }

  /** Open client watches by resource (for metrics). */
  watcherCounts(): ReadonlyMap<string, number> {
    return this.watchers;
  }

  stop(): void {
    for (const c of this.caches.values()) c.stop();
  }
}
