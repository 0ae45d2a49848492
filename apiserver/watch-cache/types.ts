import type { Logger } from 'pino';
import type { KubeObject } from '../../kube/object.js';
import type { KeyValue, StoreClient } from '../../raft/client/store-client.js';

/**
 * The watch cache's public types: what the HTTP watch and list handlers see.
 *
 * Objects handed out (list items, get results, event objects) are shared by every reader and
 * every watcher: they must be treated as immutable. That sharing is what makes fan-out cheap.
 */

/**
 * A change of one object as one watcher sees it. The same event instance goes to every watcher
 * that sees the same change the same way, so a handler can serialize it once per format
 * (memoize on the instance, e.g. a WeakMap).
 *
 * - ADDED: the object now matches (created, or started matching the watcher's predicate).
 * - MODIFIED: it matched before and after the change.
 * - DELETED: deleted, or stopped matching; `object` is its state before the change with
 *   `metadata.resourceVersion` set to the change's revision (kube's cacher does the same).
 */
export interface CacheObjectEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubeObject;
  /** The store revision of the change; for initial events, the object's own modRevision. */
  readonly revision: number;
}

/**
 * Tells the client that every change up to `revision` has been sent (it carries no object: the
 * handler builds kube's BOOKMARK object with only `metadata.resourceVersion`).
 * `initialEventsEnd` marks the end of the initial events (kube's annotation
 * `k8s.io/initial-events-end: "true"` for sendInitialEvents=true).
 */
export interface CacheBookmarkEvent {
  readonly type: 'BOOKMARK';
  readonly revision: number;
  readonly initialEventsEnd?: true;
}

export type CacheWatchEvent = CacheObjectEvent | CacheBookmarkEvent;

/**
 * Why a watcher ended without its owner asking. `onClose` is called once, on a later microtask
 * than the `watch()` call at the earliest, never for `handle.stop()`.
 *
 * - Expired: `fromRevision` is older than the event window; the handler sends kube's
 *   410 Gone `too old resource version: <revision> (<oldestRevision>)` as an ERROR event.
 * - TooSlow: the client fell `watcherBufferMax` events behind; the handler ends the stream and
 *   the client re-watches from its last revision (kube terminates slow watchers the same way).
 * - Reinitializing: the cache lost its store watch and is re-listing; every watcher ends and
 *   clients re-watch (kube's cacher terminates all watchers on re-list). A client re-watching
 *   from a revision older than the re-list gets Expired and re-lists.
 * - Stopped: the cache was stopped (server shutdown).
 * - Failed: the watcher's own callback or predicate threw (a handler bug).
 */
export type CacheWatchCloseReason =
  | { readonly kind: 'Expired'; readonly revision: number; readonly oldestRevision: number; readonly message: string }
  | { readonly kind: 'TooSlow'; readonly bufferedEvents: number; readonly message: string }
  | { readonly kind: 'Reinitializing'; readonly message: string }
  | { readonly kind: 'Stopped'; readonly message: string }
  | { readonly kind: 'Failed'; readonly error: unknown; readonly message: string };

export interface CacheWatchOptions {
  /**
   * Deliver the changes after this revision (kube's resourceVersion=N, "start at exact").
   * Absent or 0 without `initialEvents`: changes after the cache's current revision.
   * Older than the window: the watcher closes with Expired. Newer than the cache: events up to
   * it are skipped as the cache reaches them (kube's cacher waits the same way), so the
   * watcher sees nothing until then; the handler's own timeout bounds the wait.
   * With `initialEvents`: the snapshot is taken once the cache has reached this revision
   * (kube's sendInitialEvents with resourceVersionMatch=NotOlderThan).
   */
  readonly fromRevision?: number;
  /**
   * First a synthetic ADDED for every current match (in key order, each carrying the object's
   * own revision), then the changes after the snapshot's revision: kube's resourceVersion
   * unset or "0". Never duplicates or drops a change between the two.
   */
  readonly initialEvents?: boolean;
  /** After the initial events, a BOOKMARK at the snapshot revision with `initialEventsEnd`. */
  readonly initialEventsEndBookmark?: boolean;
  /** Only this namespace's objects (keys `<prefix><namespace>/…`). */
  readonly namespace?: string;
  /** Label/field selector; ADDED/DELETED on transitions, as kube's cacher. Must be pure. */
  readonly predicate?: (object: KubeObject) => boolean;
  /** Receive periodic BOOKMARKs (kube's allowWatchBookmarks). */
  readonly bookmarks?: boolean;
  /**
   * Takes one event, in revision order. Return false when the client cannot take more now
   * (a socket write returned false): delivery pauses until `handle.resume()`; live events
   * queue meanwhile, and more than `watcherBufferMax` of them close the watcher TooSlow.
   * Never called from inside `watch()`.
   */
  readonly onEvent: (event: CacheWatchEvent) => boolean | undefined;
  readonly onClose: (reason: CacheWatchCloseReason) => void;
}

/** The owner's side of one watcher. */
export interface CacheWatchHandle {
  /** Ends the watcher; idempotent; `onClose` is not called. */
  stop(): void;
  /** Resumes delivery after `onEvent` returned false. */
  resume(): void;
  /**
   * Queues a BOOKMARK at the cache's current revision after the events already queued (the
   * handler's bookmark before its watch deadline). Skipped when the client already knows that
   * revision. Works whether or not the watcher asked for periodic bookmarks.
   */
  bookmark(): void;
}

export interface WatchCacheOptions {
  readonly store: StoreClient;
  /** The resource's key prefix, ending in '/': `/registry/pods/`. */
  readonly prefix: string;
  /** Decodes a stored kv into the object with `metadata.resourceVersion` = its modRevision. */
  readonly decode: (kv: KeyValue) => KubeObject;
  readonly logger: Logger;
  /** Recent events kept for watchers resuming from an older revision. Default 10,000. */
  readonly eventWindowMax?: number;
  /** Live events one watcher may fall behind before it is closed TooSlow. Default 1,000. */
  readonly watcherBufferMax?: number;
  /** How often the cache asks the store for a progress notification (fresh idle revisions). Default 1,000. */
  readonly progressIntervalMs?: number;
  /** How often watchers that asked get a BOOKMARK (kube: about a minute). Default 60,000; 0: never. */
  readonly bookmarkIntervalMs?: number;
  /** First delay before re-listing after the store watch failed; doubles up to `relistBackoffMaxMs`. Default 100. */
  readonly relistBackoffMs?: number;
  /** Default 10,000. */
  readonly relistBackoffMaxMs?: number;
  /** Page size of the re-list range. Default 5,000. */
  readonly listPageSize?: number;
}

export type WatchCacheErrorCode = 'NotReady' | 'Timeout' | 'Stopped' | 'InvalidArgument';

/**
 * The cache's one error type, thrown (or rejected) at request time:
 * - NotReady: the cache is (re)listing; kube answers 429 "storage is (re)initializing" with
 *   Retry-After 1, or serves the list from the store.
 * - Timeout: `waitForRevision` gave up; kube answers 504 Timeout "Too large resource version:
 *   <requested>, current: <current>" with cause ResourceVersionTooLarge (or reads the store).
 * - Stopped: the cache was stopped.
 * - InvalidArgument: a revision that is not a non-negative safe integer (validate before).
 */
export class WatchCacheError extends Error {
  readonly code: WatchCacheErrorCode;
  readonly details: Readonly<Record<string, number>>;
  constructor(code: WatchCacheErrorCode, message: string, details: Record<string, number> = {}) {
    super(message);
    this.name = 'WatchCacheError';
    this.code = code;
    this.details = details;
  }
}
