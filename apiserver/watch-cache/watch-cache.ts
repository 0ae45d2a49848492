import type { Logger } from 'pino';
import type { KubeObject } from '../../kube/object.js';
import type { KeyValue, StoreClient, StoreWatch, WatchBatch } from '../../raft/client/store-client.js';
import { CacheWatcher } from './cache-watcher.js';
import { EventWindow } from './event-window.js';
import { ObjectIndex } from './object-index.js';
import { listPrefix } from './prefix-list.js';
import { RevisionWaiters } from './revision-waiters.js';
import { WatcherRegistry } from './watcher-registry.js';
import {
  type CacheBookmarkEvent,
  type CacheObjectEvent,
  type CacheWatchCloseReason,
  type CacheWatchHandle,
  type CacheWatchOptions,
  WatchCacheError,
  type WatchCacheOptions,
} from './types.js';
import { WindowEvent, namespaceOfKey } from './window-event.js';

export interface CacheListOptions {
  /** Only this namespace's objects; absent or '' for all. */
  readonly namespace?: string;
  readonly predicate?: (o: KubeObject) => boolean;
}

export interface CacheListResult {
  /** In key order; shared, immutable. */
  readonly items: KubeObject[];
  /** The revision the cache reflects: the list's resourceVersion. */
  readonly revision: number;
}

type State = 'new' | 'listing' | 'ready' | 'stopped';

const NOOP_HANDLE: CacheWatchHandle = { stop() {}, resume() {}, bookmark() {} };

/**
 * kube-apiserver's watch cache ("cacher") for one resource: one store watch feeds an
 * in-memory copy of the current objects and a window of recent changes, which every client
 * watcher of the resource shares.
 *
 * Guarantees:
 * - `revision()` is the newest store revision the cache reflects: every change of the
 *   resource up to it has been applied (and fanned out), none after. Progress notifications
 *   advance it too, requested every `progressIntervalMs`, so an idle resource stays fresh.
 * - Each watcher gets its changes in revision order, exactly once, with no gap or repeat
 *   between its initial (or historical) events and the live ones.
 * - Memory is bounded: `eventWindowMax` changes in the window, `watcherBufferMax` undelivered
 *   live events per watcher (beyond it, the watcher is closed TooSlow; others are unaffected).
 * - If the store watch ever fails (Compacted, Closed, anything), the cache goes not-ready,
 *   closes every watcher with Reinitializing (kube's cacher terminates all watchers), re-lists
 *   with backoff and serves again. While not ready, `list`, `get` and `watch` throw
 *   WatchCacheError 'NotReady' and `waitForRevision` waits.
 * - Nothing here throws into the store loop: decode failures are logged and the key treated
 *   as absent (as a list would); watcher callbacks that throw close only that watcher.
 *
 * How a watch handler maps kube's parameters (api-concepts, "Semantics for watch"):
 * - resourceVersion unset: `await waitForRevision(<store's current revision>)`, then
 *   `watch({ initialEvents: true })`: a snapshot at least as new as the request.
 * - resourceVersion "0": `watch({ initialEvents: true })` (any freshness will do).
 * - resourceVersion N: `watch({ fromRevision: N })`; `onClose(Expired)` becomes an ERROR event
 *   with the 410 Status in a 200 stream, as kube's cacher answers.
 * - sendInitialEvents=true: `watch({ initialEvents: true, fromRevision: N or the consistent
 *   revision, initialEventsEndBookmark: allowWatchBookmarks })`.
 * - allowWatchBookmarks: `bookmarks: true`, plus `handle.bookmark()` shortly before the
 *   watch's timeout so the client can resume from there.
 * - Serialize each event once per format, memoized on the event instance.
 */
export class WatchCache {
  private readonly store: StoreClient;
  private readonly prefix: string;
  private readonly decode: (kv: KeyValue) => KubeObject;
  private readonly logger: Logger;
  private readonly watcherBufferMax: number;
  private readonly progressIntervalMs: number;
  private readonly bookmarkIntervalMs: number;
  private readonly relistBackoffMs: number;
  private readonly relistBackoffMaxMs: number;
  private readonly listPageSize: number;

  private state: State = 'new';
  private rev = 0;
  private readonly index = new ObjectIndex();
  private readonly window: EventWindow;
  private readonly waiters = new RevisionWaiters();
  private storeWatch: StoreWatch | undefined;
  private started: Promise<void> | undefined;
  private settleStart: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  private readonly watchers = new WatcherRegistry();
  /** Initial-events watchers waiting for the cache to reach their revision. */
  private readonly pendingSnapshots = new Map<CacheWatcher, { readonly revision: number; readonly endBookmark: boolean }>();
  private nextWatcherId = 1;
  /** Synthetic ADDED events, one per object instance, shared by every watcher's snapshot. */
  private readonly addedEvents = new WeakMap<KubeObject, CacheObjectEvent>();
  private lastBookmark: CacheBookmarkEvent | undefined;
  private lastEndBookmark: CacheBookmarkEvent | undefined;
  private changes = 0;
  private tooSlow = 0;

  constructor(options: WatchCacheOptions) {
    if (!options.prefix.endsWith('/')) throw new RangeError(`watch cache prefix must end in '/', got ${options.prefix}`);
    this.store = options.store;
    this.prefix = options.prefix;
    this.decode = options.decode;
    this.logger = options.logger.child({ component: 'watch-cache', prefix: options.prefix });
    this.watcherBufferMax = positive('watcherBufferMax', options.watcherBufferMax ?? 1000);
    this.progressIntervalMs = positive('progressIntervalMs', options.progressIntervalMs ?? 1000);
    this.bookmarkIntervalMs = options.bookmarkIntervalMs === 0 ? 0 : positive('bookmarkIntervalMs', options.bookmarkIntervalMs ?? 60_000);
    this.relistBackoffMs = positive('relistBackoffMs', options.relistBackoffMs ?? 100);
    this.relistBackoffMaxMs = positive('relistBackoffMaxMs', options.relistBackoffMaxMs ?? 10_000);
    this.listPageSize = positive('listPageSize', options.listPageSize ?? 5000);
    this.window = new EventWindow(positive('eventWindowMax', options.eventWindowMax ?? 10_000), 0);
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** Lists, then follows the store; resolves once in sync (retrying until then), rejects if stopped first. */
  start(): Promise<void> {
    if (this.started !== undefined) return this.started;
    this.started = new Promise<void>((resolve, reject) => {
      this.settleStart = { resolve, reject };
    });
    if (this.state === 'stopped') {
      this.settleStart?.reject(new WatchCacheError('Stopped', 'watch cache is stopped'));
      return this.started;
    }
    this.state = 'listing';
    this.every(this.progressIntervalMs, () => {
      if (this.state === 'ready') this.storeWatch?.requestProgress();
    });
    if (this.bookmarkIntervalMs > 0) this.every(this.bookmarkIntervalMs, () => this.sendBookmarks());
    this.run().catch((e: unknown) => this.logger.fatal({ err: e }, 'watch cache store loop died'));
    return this.started;
  }

  /** Cancels the store watch, closes every watcher (Stopped) and fails every wait. Idempotent. */
  stop(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    this.storeWatch?.cancel();
    this.storeWatch = undefined;
    if (this.sleeping !== undefined) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.wake();
    }
    this.watchers.closeAll({ kind: 'Stopped', message: 'watch cache stopped' });
    const stopped = new WatchCacheError('Stopped', 'watch cache is stopped');
    this.waiters.rejectAll(stopped);
    this.settleStart?.reject(stopped);
    this.settleStart = undefined;
  }

  ready(): boolean {
    return this.state === 'ready';
  }

  /** The newest store revision the cache reflects (0 before the first list). */
  revision(): number {
    return this.rev;
  }

  /**
   * Resolves once the cache is ready and reflects `revision` (a consistent read: the handler
   * asks the store for its current revision, then waits here). Asks the store for a progress
   * notification at once, so an idle resource catches up without waiting for the next tick.
   * Rejects with WatchCacheError 'Timeout' after `timeoutMs`, 'Stopped' if the cache stops.
   */
  waitForRevision(revision: number, timeoutMs: number): Promise<void> {
    if (!isRevision(revision)) return Promise.reject(new WatchCacheError('InvalidArgument', `revision must be a non-negative integer, got ${revision}`));
    if (this.state === 'stopped') return Promise.reject(new WatchCacheError('Stopped', 'watch cache is stopped'));
    if (this.state === 'ready' && this.rev >= revision) return Promise.resolve();
    this.storeWatch?.requestProgress();
    return this.waiters.wait(revision, timeoutMs, () => this.rev);
  }

  // ---- reads -------------------------------------------------------------------------------

  /** The current objects (of one namespace, passing `predicate`) in key order, at `revision`. Throws NotReady. */
  list(options: CacheListOptions = {}): CacheListResult {
    this.assertReady();
    const ns = options.namespace;
    const prefix = ns === undefined || ns === '' ? this.prefix : `${this.prefix}${ns}/`;
    return { items: this.index.list(prefix, options.predicate), revision: this.rev };
  }

  /** The object under the full store key, if any. Throws NotReady. */
  get(key: string): KubeObject | undefined {
    this.assertReady();
    return this.index.get(key);
  }

  // ---- watch -------------------------------------------------------------------------------

  /**
   * Starts a client watcher (see CacheWatchOptions for the modes). Throws WatchCacheError
   * 'NotReady' while (re)listing and 'InvalidArgument' for a bad revision, so the handler can
   * answer before it commits to a stream; every other outcome arrives through the callbacks,
   * on a later microtask at the earliest: an expired `fromRevision` is `onClose(Expired)`.
   */
  watch(options: CacheWatchOptions): CacheWatchHandle {
    this.assertReady();
    const from = options.fromRevision ?? 0;
    if (!isRevision(from)) throw new WatchCacheError('InvalidArgument', `fromRevision must be a non-negative integer, got ${from}`);
    const initial = options.initialEvents === true;
    if (!initial && from > 0 && from < this.window.startRevision) {
      const oldest = this.window.startRevision;
      const reason: CacheWatchCloseReason = {
        kind: 'Expired',
        revision: from,
        oldestRevision: oldest,
        message: `too old resource version: ${from} (${oldest})`,
      };
      queueMicrotask(() => {
        try {
          options.onClose(reason);
        } catch (e) {
          this.report(e, 'onClose threw');
        }
      });
      return NOOP_HANDLE;
    }
    const namespace = options.namespace === '' ? undefined : options.namespace;
    const id = this.nextWatcherId++;
    const w = new CacheWatcher(
      id,
      {
        namespace,
        predicate: options.predicate,
        bookmarks: options.bookmarks === true,
        bufferMax: this.watcherBufferMax,
        onEvent: options.onEvent,
        onClose: (reason) => {
          if (reason.kind === 'TooSlow') {
            this.tooSlow++;
            this.logger.info({ watcher: id }, 'watch cache closed a slow watcher: %s', reason.message);
          }
          options.onClose(reason);
        },
        detach: (x) => this.detach(x),
        report: (e, what) => this.report(e, what),
      },
      // A snapshot waiting for a future revision takes no bookmark before it: after = from.
      from === 0 ? this.rev : from,
      initial || from === 0 ? 0 : from,
    );
    this.watchers.add(w);
    const endBookmark = options.initialEventsEndBookmark === true;
    if (initial && from > this.rev) this.pendingSnapshots.set(w, { revision: from, endBookmark });
    else if (initial) this.snapshotInto(w, endBookmark);
    else {
      if (from > 0 && from < this.rev) w.queueHistory(this.window.since(from) ?? []);
      this.watchers.goLive(w);
    }
    queueMicrotask(() => w.start());
    return {
      stop: () => w.close(undefined),
      resume: () => w.resume(),
      bookmark: () => {
        if (this.state === 'ready') w.bookmark(this.bookmarkAt(this.rev));
      },
    };
  }

  /** Queues a BOOKMARK at the current revision for every watcher that asked for bookmarks (and has not seen it). */
  sendBookmarks(): void {
    if (this.state !== 'ready') return;
    this.watchers.bookmark(this.bookmarkAt(this.rev));
  }

  // ---- figures -----------------------------------------------------------------------------

  get watcherCount(): number {
    return this.watchers.size;
  }

  get objectCount(): number {
    return this.index.size;
  }

  get windowSize(): number {
    return this.window.size;
  }

  /** Changes applied since start. */
  get eventCount(): number {
    return this.changes;
  }

  /** Watchers closed TooSlow since start. */
  get tooSlowCount(): number {
    return this.tooSlow;
  }

  // ---- the store loop ----------------------------------------------------------------------

  private async run(): Promise<void> {
    let backoffMs = this.relistBackoffMs;
    while (!this.isStopped()) {
      let why: string;
      try {
        await this.relist();
        if (this.state !== 'ready') return;
        backoffMs = this.relistBackoffMs;
        this.settleStart?.resolve();
        this.settleStart = undefined;
        await this.follow();
        why = 'store watch ended';
      } catch (e) {
        why = `store failed: ${e instanceof Error ? e.message : String(e)}`;
      }
      if (this.isStopped()) return;
      this.logger.warn('watch cache re-listing in %dms: %s', backoffMs, why);
      this.reinitialize(why);
      await this.sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, this.relistBackoffMaxMs);
    }
  }

  private async relist(): Promise<void> {
    const snap = await listPrefix(this.store, this.prefix, this.listPageSize);
    if (this.isStopped()) return;
    const entries: [string, KubeObject][] = [];
    for (const kv of snap.kvs) {
      const o = this.tryDecode(kv);
      if (o !== undefined) entries.push([kv.key, o]);
    }
    this.index.replace(entries);
    this.window.reset(snap.revision);
    this.rev = snap.revision;
    this.state = 'ready';
    this.logger.info({ revision: snap.revision, objects: entries.length }, 'watch cache listed');
    this.advanced();
  }

  private async follow(): Promise<void> {
    const watch = this.store.watch(this.prefix, { prefix: true, fromRevision: this.rev + 1, prevKv: true, progressNotify: true });
    this.storeWatch = watch;
    try {
      for await (const batch of watch) {
        if (this.state !== 'ready') break;
        this.apply(batch);
      }
    } finally {
      watch.cancel();
      if (this.storeWatch === watch) this.storeWatch = undefined;
    }
  }

  /** Applies one revision's changes (or a progress notification), then fans them out. */
  private apply(batch: WatchBatch): void {
    if (batch.events.length === 0) {
      if (batch.revision > this.rev) {
        this.rev = batch.revision;
        this.advanced();
      }
      return;
    }
    if (batch.revision <= this.rev) throw new Error(`store watch delivered revision ${batch.revision} after ${this.rev}`);
    const changes: WindowEvent[] = [];
    for (const ev of batch.events) {
      const key = ev.kv.key;
      if (!key.startsWith(this.prefix)) continue;
      const next = ev.type === 'put' ? this.tryDecode(ev.kv) : undefined;
      const prev = next !== undefined ? this.index.set(key, next) : this.index.delete(key);
      if (prev === undefined && next === undefined) continue;
      const change = new WindowEvent(batch.revision, key, namespaceOfKey(this.prefix, key), next, prev);
      this.window.push(change);
      changes.push(change);
    }
    this.rev = batch.revision;
    this.changes += changes.length;
    for (const change of changes) this.watchers.fanOut(change);
    this.advanced();
  }

  /** The revision moved: release waiters and start the snapshots that waited for it. */
  private advanced(): void {
    this.waiters.advance(this.rev);
    for (const [w, pending] of this.pendingSnapshots) {
      if (pending.revision > this.rev) continue;
      this.pendingSnapshots.delete(w);
      this.snapshotInto(w, pending.endBookmark);
    }
  }

  private reinitialize(why: string): void {
    this.state = 'listing';
    this.storeWatch?.cancel();
    this.storeWatch = undefined;
    this.watchers.closeAll({ kind: 'Reinitializing', message: `watch cache is re-listing: ${why}` });
  }

  // ---- watchers ----------------------------------------------------------------------------

  private snapshotInto(w: CacheWatcher, endBookmark: boolean): void {
    const prefix = w.namespace === undefined ? this.prefix : `${this.prefix}${w.namespace}/`;
    w.afterRevision = this.rev;
    w.queueSnapshot(this.index.list(prefix), (o) => this.addedEvent(o), endBookmark ? this.endBookmarkAt(this.rev) : undefined);
    this.watchers.goLive(w);
  }

  private detach(w: CacheWatcher): void {
    this.watchers.remove(w);
    this.pendingSnapshots.delete(w);
  }

  private addedEvent(o: KubeObject): CacheObjectEvent {
    let e = this.addedEvents.get(o);
    if (e === undefined) {
      const rv = Number(o.metadata.resourceVersion);
      e = { type: 'ADDED', object: o, revision: Number.isSafeInteger(rv) ? rv : this.rev };
      this.addedEvents.set(o, e);
    }
    return e;
  }

  private bookmarkAt(revision: number): CacheBookmarkEvent {
    if (this.lastBookmark?.revision !== revision) this.lastBookmark = { type: 'BOOKMARK', revision };
    return this.lastBookmark;
  }

  private endBookmarkAt(revision: number): CacheBookmarkEvent {
    if (this.lastEndBookmark?.revision !== revision) this.lastEndBookmark = { type: 'BOOKMARK', revision, initialEventsEnd: true };
    return this.lastEndBookmark;
  }

  // ---- helpers -----------------------------------------------------------------------------

  private tryDecode(kv: KeyValue): KubeObject | undefined {
    try {
      return this.decode(kv);
    } catch (e) {
      this.logger.error({ err: e, key: kv.key, revision: kv.modRevision }, 'watch cache cannot decode a stored object; treating it as absent');
      return undefined;
    }
  }

  /** A method, not a field test, so TypeScript does not keep a narrowing across awaits. */
  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  private assertReady(): void {
    if (this.state === 'ready') return;
    if (this.state === 'stopped') throw new WatchCacheError('Stopped', 'watch cache is stopped');
    throw new WatchCacheError('NotReady', 'storage is (re)initializing');
  }

  private report(e: unknown, what: string): void {
    this.logger.error({ err: e }, 'watch cache: %s', what);
  }

  private every(ms: number, f: () => void): void {
    const t = setInterval(f, ms);
    t.unref();
    this.timers.push(t);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      this.sleeping = { timer, wake: resolve };
    });
  }
}

function isRevision(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function positive(name: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`watch cache ${name} must be a positive integer, got ${n}`);
  return n;
}
