import type { KubeObject } from '../../kube/object.js';
import type { CacheBookmarkEvent, CacheWatchCloseReason, CacheWatchEvent } from './types.js';
import type { WindowEvent } from './window-event.js';

export interface CacheWatcherConfig {
  /** Only keys of this namespace; undefined for all. */
  readonly namespace: string | undefined;
  readonly predicate: ((o: KubeObject) => boolean) | undefined;
  readonly bookmarks: boolean;
  /** Live events it may hold undelivered before it is closed TooSlow. */
  readonly bufferMax: number;
  readonly onEvent: (event: CacheWatchEvent) => boolean | undefined;
  readonly onClose: (reason: CacheWatchCloseReason) => void;
  /** Called once when it ends, however it ends, so the cache forgets it. */
  readonly detach: (w: CacheWatcher) => void;
  /** Where a throwing `onClose` is reported. */
  readonly report: (error: unknown, what: string) => void;
}

/**
 * One client watcher: its filter, its queue of undelivered events, and its flow control.
 *
 * The queue holds a backlog (initial or historical events, at the front, not counted against
 * the limit: their size is fixed when the watch starts) followed by live events. Delivery runs
 * while the owner says it can take more; a pause lets live events pile up, and more than
 * `bufferMax` of them close the watcher TooSlow, so one stuck client costs bounded memory and
 * never slows the others. Nothing is delivered before `start()`, which the cache calls on a
 * later microtask than `watch()`, so no callback runs inside `watch()`.
 */
export class CacheWatcher {
  /** Changes at or before this revision are covered by how the watch started; later ones are live. */
  afterRevision: number;
  /** The newest revision queued for the client, or the one it started from: a BOOKMARK must be newer. */
  private streamRevision: number;
  private queue: (CacheWatchEvent | undefined)[] = [];
  private head = 0;
  private backlog = 0;
  private ready = false;
  private flushing = false;
  private ended = false;
  private started = false;
  /** A close before `start()`: reported by `start()`, so onClose never runs inside `watch()`. */
  private closedBeforeStart: CacheWatchCloseReason | undefined;

  constructor(
    readonly id: number,
    private readonly cfg: CacheWatcherConfig,
    afterRevision: number,
    streamRevision: number,
  ) {
    this.afterRevision = afterRevision;
    this.streamRevision = streamRevision;
  }

  get closed(): boolean {
    return this.ended;
  }

  get namespace(): string | undefined {
    return this.cfg.namespace;
  }

  get wantsBookmarks(): boolean {
    return this.cfg.bookmarks;
  }

  /**
   * Queues a synthetic ADDED for each of `objects` (a snapshot in key order) this watcher's
   * predicate passes, then `endBookmark` if given.
   */
  queueSnapshot(objects: readonly KubeObject[], added: (o: KubeObject) => CacheWatchEvent, endBookmark: CacheBookmarkEvent | undefined): void {
    const events: CacheWatchEvent[] = [];
    const predicate = this.cfg.predicate;
    try {
      for (const o of objects) if (predicate === undefined || predicate(o)) events.push(added(o));
    } catch (e) {
      this.fail(e);
      return;
    }
    if (endBookmark !== undefined) events.push(endBookmark);
    this.queueBacklog(events);
  }

  /** Queues initial or historical events ahead of anything live. */
  queueBacklog(events: readonly CacheWatchEvent[]): void {
    if (this.ended) return;
    for (const e of events) this.enqueue(e, true);
    this.flush();
  }

  /** Queues the changes of the window this watcher sees (history on a resumed watch). */
  queueHistory(changes: readonly WindowEvent[]): void {
    const events: CacheWatchEvent[] = [];
    for (const c of changes) {
      const e = this.eventFor(c);
      if (e !== undefined) events.push(e);
    }
    this.queueBacklog(events);
  }

  /** A live change: queued and delivered if this watcher sees it. */
  offer(change: WindowEvent): void {
    if (this.ended || change.revision <= this.afterRevision) return;
    const e = this.eventFor(change);
    if (e === undefined) return;
    this.enqueue(e, false);
    const live = this.queue.length - this.head - this.backlog;
    if (live > this.cfg.bufferMax) {
      this.close({ kind: 'TooSlow', bufferedEvents: live, message: `watcher fell more than ${this.cfg.bufferMax} events behind` });
      return;
    }
    this.flush();
  }

  /** Queues `bookmark` if it tells the client something new. */
  bookmark(bookmark: CacheBookmarkEvent): void {
    if (this.ended || bookmark.revision <= this.streamRevision || bookmark.revision < this.afterRevision) return;
    this.enqueue(bookmark, false);
    this.flush();
  }

  /** Delivery may begin (the cache calls this after `watch()` has returned). */
  start(): void {
    this.started = true;
    const reason = this.closedBeforeStart;
    this.closedBeforeStart = undefined;
    if (reason !== undefined) this.report(reason);
    else this.resume();
  }

  resume(): void {
    if (this.ended) return;
    this.ready = true;
    this.flush();
  }

  /** Ends the watcher; `reason` undefined means its owner asked (no onClose). */
  close(reason: CacheWatchCloseReason | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.queue = [];
    this.head = 0;
    this.backlog = 0;
    this.cfg.detach(this);
    if (reason === undefined) return;
    if (this.started) this.report(reason);
    else this.closedBeforeStart = reason;
  }

  private report(reason: CacheWatchCloseReason): void {
    try {
      this.cfg.onClose(reason);
    } catch (e) {
      this.cfg.report(e, 'onClose threw');
    }
  }

  private eventFor(change: WindowEvent): CacheWatchEvent | undefined {
    if (this.cfg.namespace !== undefined && change.namespace !== this.cfg.namespace) return undefined;
    try {
      return change.eventFor(this.cfg.predicate);
    } catch (e) {
      this.fail(e);
      return undefined;
    }
  }

  private enqueue(e: CacheWatchEvent, backlog: boolean): void {
    if (this.ended) return;
    this.queue.push(e);
    if (backlog) this.backlog++;
    if (e.revision > this.streamRevision) this.streamRevision = e.revision;
  }

  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.ready && !this.ended && this.head < this.queue.length) {
        const e = this.queue[this.head] as CacheWatchEvent;
        this.queue[this.head] = undefined;
        this.head++;
        if (this.backlog > 0) this.backlog--;
        let more: boolean | undefined;
        try {
          more = this.cfg.onEvent(e);
        } catch (err) {
          this.fail(err);
          return;
        }
        if (more === false) this.ready = false;
      }
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    } finally {
      this.flushing = false;
    }
  }

  private fail(error: unknown): void {
    this.close({ kind: 'Failed', error, message: `watcher callback failed: ${error instanceof Error ? error.message : String(error)}` });
  }
}
