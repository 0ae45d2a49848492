/**
 * `ListWatchInformer`: client-go's reflector + indexer + shared informer in one, over the
 * `ApiClient` port.
 *
 * Contract (after kube/cache/informer-types.ts):
 * - list (first from the apiserver's watch cache, `resourceVersion=0`; paged with `limit` only
 *   when `pageSize` is set) into the Indexer, then watch from the list's resourceVersion with
 *   bookmarks and a server timeout of 300–600 s (jittered from the injected rng);
 * - every watch event updates the cache first, then calls the handlers, in the order the server
 *   sent them; BOOKMARKs only advance the resourceVersion;
 * - a watch the server ends normally is reopened at once from the last resourceVersion seen; a
 *   transport error reopens it after a backoff (clock timers, 0.8 s doubling to 30 s, reset by a
 *   healthy watch) from the same resourceVersion, so no event is lost or repeated;
 * - 410 Gone/Expired (an in-stream ERROR event or a rejected watch/list) relists with
 *   `resourceVersion=""` (a consistent read) and tells the handlers what changed meanwhile:
 *   onAdd for new keys, onUpdate for a changed resourceVersion, onDelete (with the cached state)
 *   for keys that are gone; any other failure relists from the last resourceVersion after a backoff;
 * - handlers added after the first sync get onAdd for every cached object first;
 * - a handler that throws is logged and does not stop the informer or the other handlers;
 * - objects are given `kind`/`apiVersion` from the ResourceRef when the server left them out
 *   (list items), so handlers can build ownerReferences from them.
 * Cached objects are shared with handlers and listers: never mutate them.
 */
import pino, { type Logger } from 'pino';
import { type ApiClient, type ApiStatus, ApiStatusError, isGone, type ListOptions, type WatchEvent, type WatchHandle } from '../client/api-client.js';
import { apiVersionOf, objectKey, type ResourceRef } from '../client/resource.js';
import { type Clock, realClock } from '../clock.js';
import { isPlainObject, type KubeObject } from '../object.js';
import { Backoff } from './backoff.js';
import { Indexer } from './indexer.js';
import type { EventHandlers, Informer } from './informer-types.js';
import type { IndexFunc } from './lister.js';

export interface ListWatchOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface ListWatchInformerOptions<T extends KubeObject> extends ListWatchOptions {
  readonly client: ApiClient;
  readonly resource: ResourceRef;
  readonly clock?: Clock;
  /** Default: `defaultIndexers` (namespace, controllerUid, nodeName). */
  readonly indexers?: Readonly<Record<string, IndexFunc<T>>>;
  /** List in pages of this many (kube: 500); default one unpaged list. */
  readonly pageSize?: number;
  /** Watch timeouts are drawn from [min, 2·min) seconds; default 300 (client-go's minWatchTimeout). */
  readonly minWatchTimeoutSeconds?: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /** For jitter; default Math.random. */
  readonly rng?: () => number;
  readonly logger?: Logger;
}

/** Where the informer is; `stopped` is final. */
export type InformerState = 'idle' | 'listing' | 'watching' | 'waiting' | 'stopped';

type WatchOutcome = 'ended' | 'expired' | 'transport-error' | 'error';

export class ListWatchInformer<T extends KubeObject = KubeObject> implements Informer<T> {
  readonly lister: Indexer<T>;
  private readonly client: ApiClient;
  private readonly resource: ResourceRef;
  private readonly clock: Clock;
  private readonly selectors: ListWatchOptions;
  private readonly pageSize: number | undefined;
  private readonly minWatchTimeoutSeconds: number;
  private readonly backoff: Backoff;
  private readonly rng: () => number;
  private readonly logger: Logger;
  private readonly handlers: EventHandlers<T>[] = [];

  private state: InformerState = 'idle';
  private synced = false;
  private lastRv = '';
  private relists = 0;
  private watch: WatchHandle | undefined;
  private wake: (() => void) | undefined;
  private syncWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(options: ListWatchInformerOptions<T>) {
    this.client = options.client;
    this.resource = options.resource;
    this.clock = options.clock ?? realClock;
    this.lister = new Indexer<T>(...(options.indexers ? [options.indexers] : []));
    this.selectors = {
      ...(options.namespace ? { namespace: options.namespace } : {}),
      ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
      ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
    };
    this.pageSize = options.pageSize;
    this.minWatchTimeoutSeconds = options.minWatchTimeoutSeconds ?? 300;
    this.rng = options.rng ?? Math.random;
    this.backoff = new Backoff(options.backoffInitialMs ?? 800, options.backoffMaxMs ?? 30_000, this.rng, 0.2);
    this.logger = options.logger ?? pino({ level: 'silent' });
  }

  addHandlers(handlers: EventHandlers<T>): void {
    this.handlers.push(handlers);
    // As client-go: a late handler first hears of everything already known.
    if (this.synced) for (const obj of this.lister.list()) this.call(handlers, 'onAdd', obj);
  }

  start(): void {
    if (this.state !== 'idle') return;
    void this.run().catch((err: unknown) => this.logger.error({ err: String(err), resource: this.resource.resource }, 'informer loop failed'));
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.watch?.stop();
    this.wake?.();
    for (const w of this.syncWaiters.splice(0)) w.reject(new Error(`informer for ${this.resource.resource} stopped before it synced`));
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.state === 'stopped') return Promise.reject(new Error(`informer for ${this.resource.resource} stopped before it synced`));
    return new Promise((resolve, reject) => this.syncWaiters.push({ resolve, reject }));
  }

  /** The resourceVersion the next watch starts from. */
  lastSyncResourceVersion(): string {
    return this.lastRv;
  }

  /** How many times the informer listed after its first list. */
  relistCount(): number {
    return this.relists;
  }

  currentState(): InformerState {
    return this.state;
  }

  private stopped(): boolean {
    return this.state === 'stopped';
  }

  /** list → watch → watch … with relists on 410 and backoff on failures, until stopped. */
  private async run(): Promise<void> {
    let listRv: string | undefined = '0';
    /** 410s in a row with nothing delivered between them. */
    let expiredInARow = 0;
    while (!this.stopped()) {
      if (listRv !== undefined) {
        this.state = 'listing';
        try {
          await this.listAll(listRv);
          listRv = undefined;
        } catch (err) {
          if (this.stopped()) return;
          this.logger.warn({ err: String(err), resource: this.resource.resource }, 'list failed');
          if (isGone(err)) listRv = ''; // the continue token or RV was compacted: read afresh
          await this.sleep(this.backoff.next());
          continue;
        }
        if (this.stopped()) return;
      }
      this.state = 'watching';
      const { outcome, delivered } = await this.watchOnce();
      if (this.stopped()) return;
      if (outcome === 'ended' || delivered) {
        expiredInARow = 0;
        this.backoff.reset();
      }
      if (outcome === 'ended') continue;
      if (outcome === 'expired') {
        this.logger.info({ resource: this.resource.resource, resourceVersion: this.lastRv }, 'watch expired, relisting');
        listRv = '';
        // A fresh list that expires again at once means compaction outruns us: back off then.
        if (++expiredInARow > 1) await this.sleep(this.backoff.next());
        continue;
      }
      expiredInARow = 0;
      if (outcome === 'error') listRv = this.lastRv;
      await this.sleep(this.backoff.next());
    }
  }

  private async listAll(resourceVersion: string): Promise<void> {
    const items: T[] = [];
    let rv = '';
    let cont: string | undefined;
    do {
      const options: ListOptions = {
        ...this.selectors,
        ...(cont ? { continue: cont } : { resourceVersion }),
        ...(this.pageSize ? { limit: this.pageSize } : {}),
      };
      const page = await this.client.list<T>(this.resource, options);
      if (this.stopped()) return;
      for (const item of page.items) if (isObject(item)) items.push(this.typed(item));
      if (!cont) rv = page.metadata.resourceVersion ?? '';
      cont = page.metadata.continue || undefined;
    } while (cont);
    this.replace(items);
    this.lastRv = rv;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w.resolve();
    }
  }

  /** Swap the cache for a fresh list, telling the handlers what differs. */
  private replace(items: readonly T[]): void {
    const first = !this.synced;
    if (!first) this.relists++;
    const old = new Map<string, T>();
    for (const key of this.lister.keys()) old.set(key, this.lister.get(key) as T);
    this.lister.replace(items);
    for (const obj of items) {
      const key = objectKey(obj);
      const before = old.get(key);
      old.delete(key);
      if (!before) this.dispatch('onAdd', obj);
      else if (before.metadata.resourceVersion !== obj.metadata.resourceVersion) this.dispatch('onUpdate', obj, before);
    }
    for (const gone of old.values()) this.dispatch('onDelete', gone);
  }

  private watchOnce(): Promise<{ outcome: WatchOutcome; delivered: boolean }> {
    const span = this.minWatchTimeoutSeconds;
    const timeoutSeconds = Math.floor(span + this.rng() * span);
    let delivered = false;
    let expired = false;
    let failed = false;
    const onEvent = (event: WatchEvent<T>): void => {
      if (this.stopped()) return;
      const outcome = this.handleEvent(event);
      if (outcome === 'expired') expired = true;
      else if (outcome === 'error') failed = true;
      else delivered = true;
    };
    let handle: WatchHandle;
    try {
      handle = this.client.watch<T>(this.resource, { ...this.selectors, resourceVersion: this.lastRv, allowWatchBookmarks: true, timeoutSeconds }, onEvent);
    } catch (err) {
      this.logger.warn({ err: String(err), resource: this.resource.resource }, 'watch could not start');
      return Promise.resolve({ outcome: 'error', delivered });
    }
    this.watch = handle;
    const decide = (err?: unknown): { outcome: WatchOutcome; delivered: boolean } => {
      this.watch = undefined;
      if (expired || (err !== undefined && isGone(err))) return { outcome: 'expired', delivered };
      if (err !== undefined) {
        this.logger.warn({ err: String(err), resource: this.resource.resource, resourceVersion: this.lastRv }, 'watch failed');
        const transport = err instanceof ApiStatusError && err.code === 0;
        return { outcome: transport ? 'transport-error' : 'error', delivered };
      }
      return { outcome: failed ? 'error' : 'ended', delivered };
    };
    return handle.done.then(
      () => decide(),
      (err: unknown) => decide(err),
    );
  }

  /** Applies one watch event to the cache and the handlers. */
  private handleEvent(event: WatchEvent<T>): 'ok' | 'expired' | 'error' {
    const object: unknown = isPlainObject(event) ? event.object : undefined;
    if (event.type === 'ERROR') {
      const status = (isPlainObject(object) ? object : {}) as Partial<ApiStatus>;
      if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone') return 'expired';
      this.logger.warn({ resource: this.resource.resource, status }, 'watch ERROR event');
      return 'error';
    }
    if (!isObject(object)) {
      this.logger.warn({ resource: this.resource.resource, type: event.type }, 'watch event without an object, ignored');
      return 'ok';
    }
    const rv = object.metadata.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (rv) this.lastRv = rv;
      return 'ok';
    }
    const obj = this.typed(object as T);
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const old = this.lister.upsert(obj);
        if (old) this.dispatch('onUpdate', obj, old);
        else this.dispatch('onAdd', obj);
        break;
      }
      case 'DELETED': {
        this.lister.remove(objectKey(obj));
        // The event carries the final state, which is newer than what the cache held.
        this.dispatch('onDelete', obj);
        break;
      }
      default:
        this.logger.warn({ resource: this.resource.resource, type: String(event.type) }, 'unknown watch event type, ignored');
        return 'ok';
    }
    if (rv) this.lastRv = rv;
    return 'ok';
  }

  private dispatch(kind: 'onAdd' | 'onUpdate' | 'onDelete', obj: T, old?: T): void {
    for (const h of this.handlers) this.call(h, kind, obj, old);
  }

  private call(h: EventHandlers<T>, kind: 'onAdd' | 'onUpdate' | 'onDelete', obj: T, old?: T): void {
    try {
      if (kind === 'onAdd') h.onAdd?.(obj);
      else if (kind === 'onDelete') h.onDelete?.(obj);
      else h.onUpdate?.(old as T, obj);
    } catch (err) {
      this.logger.error({ err: String(err), resource: this.resource.resource, key: objectKey(obj), handler: kind }, 'informer handler threw');
    }
  }

  private typed(obj: T): T {
    if (obj.kind && obj.apiVersion) return obj;
    return { ...obj, kind: obj.kind || this.resource.kind, apiVersion: obj.apiVersion || apiVersionOf(this.resource) };
  }

  /** A clock timer that `stop()` cuts short. */
  private sleep(ms: number): Promise<void> {
    if (this.stopped()) return Promise.resolve();
    this.state = 'waiting';
    return new Promise((resolve) => {
      const cancel = this.clock.setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        cancel();
        this.wake = undefined;
        resolve();
      };
    });
  }
}

function isObject(v: unknown): v is KubeObject {
  return isPlainObject(v) && isPlainObject(v.metadata);
}
