import { pino } from 'pino';
import { decodeObject, encodeObject } from '../../../../apiserver/storage/object-codec.js';
import type { CacheWatchCloseReason, CacheWatchEvent, CacheWatchOptions, WatchCacheOptions } from '../../../../apiserver/watch-cache/types.js';
import { WatchCache } from '../../../../apiserver/watch-cache/watch-cache.js';
import type { KubeObject } from '../../../../kube/object.js';
import { MemoryStoreClient } from '../../../../raft/client/memory-store-client.js';
import type { StoreClient } from '../../../../raft/client/store-client.js';

export const silentLogger = pino({ level: 'silent' });
export const PODS = '/registry/pods/';

export function podKey(namespace: string, name: string): string {
  return `${PODS}${namespace}/${name}`;
}

export function pod(namespace: string, name: string, labels: Record<string, string> = {}, phase = 'Pending'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name, labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: { phase } };
}

/** Stores `o` under its pod key; returns the write's revision. */
export async function putPod(store: StoreClient, o: KubeObject): Promise<number> {
  const key = podKey(o.metadata.namespace ?? '', o.metadata.name ?? '');
  return (await store.put(key, encodeObject(o))).revision;
}

export async function deletePod(store: StoreClient, namespace: string, name: string): Promise<number> {
  return (await store.delete(podKey(namespace, name))).revision;
}

export interface Harness {
  readonly store: MemoryStoreClient;
  readonly cache: WatchCache;
  /** Writes through `write`, then waits until the cache reflects the write; returns its revision. */
  applied(write: Promise<number>): Promise<number>;
  close(): Promise<void>;
}

/** A cache of pods over a fresh in-memory store (seen through `wrap`, e.g. to inject faults), started unless `start` is false. */
export async function startCache(options: Partial<WatchCacheOptions> = {}, wrap?: (memory: MemoryStoreClient) => StoreClient, start = true): Promise<Harness> {
  const memory = new MemoryStoreClient({ leaseCheckIntervalMs: 0 });
  const cache = new WatchCache({ store: wrap === undefined ? memory : wrap(memory), prefix: PODS, decode: decodeObject, logger: silentLogger, ...options });
  if (start) await cache.start();
  return {
    store: memory,
    cache,
    async applied(write) {
      const rev = await write;
      await cache.waitForRevision(rev, 10_000);
      return rev;
    },
    async close() {
      cache.stop();
      await memory.close();
    },
  };
}

/** "TYPE ns/name@rv" for an object event, "BOOKMARK@rv" (+ " end") for a bookmark. */
export function describe(e: CacheWatchEvent): string {
  if (e.type === 'BOOKMARK') return `BOOKMARK@${e.revision}${e.initialEventsEnd ? ' end' : ''}`;
  const m = e.object.metadata;
  if (m.resourceVersion !== String(e.revision)) throw new Error(`event revision ${e.revision} but object resourceVersion ${m.resourceVersion}`);
  return `${e.type} ${m.namespace}/${m.name}@${e.revision}`;
}

/**
 * Records one watcher's events and close, and lets a test wait for a condition on them. The
 * deadline only turns a hang into a failure; no assertion depends on timing.
 */
export class Recorder {
  readonly events: CacheWatchEvent[] = [];
  closed: CacheWatchCloseReason | undefined;
  /** What onEvent returns (false pauses delivery). */
  accept = true;
  private readonly waiters: { cond: () => boolean; resolve: () => void }[] = [];

  readonly onEvent = (e: CacheWatchEvent): boolean => {
    this.events.push(e);
    this.check();
    return this.accept;
  };

  readonly onClose = (reason: CacheWatchCloseReason): void => {
    this.closed = reason;
    this.check();
  };

  /** Callbacks to spread into watch options. */
  get callbacks(): Pick<CacheWatchOptions, 'onEvent' | 'onClose'> {
    return { onEvent: this.onEvent, onClose: this.onClose };
  }

  get lines(): string[] {
    return this.events.map(describe);
  }

  until(cond: () => boolean, what = 'condition', deadlineMs = 10_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`gave up waiting for ${what}; have ${JSON.stringify(this.lines)} closed=${this.closed?.kind}`)),
        deadlineMs,
      );
      this.waiters.push({
        cond,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  untilCount(n: number): Promise<void> {
    return this.until(() => this.events.length >= n, `${n} events`);
  }

  untilClosed(): Promise<CacheWatchCloseReason> {
    return this.until(() => this.closed !== undefined, 'close').then(() => this.closed as CacheWatchCloseReason);
  }

  private check(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w?.cond()) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}
