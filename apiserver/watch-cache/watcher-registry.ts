import type { CacheWatcher } from './cache-watcher.js';
import type { CacheBookmarkEvent, CacheWatchCloseReason } from './types.js';
import type { WindowEvent } from './window-event.js';

/**
 * The cache's client watchers: every open one (for bookmarks, shutdown and counting), and the
 * live ones indexed by namespace, so a change visits only the watchers that could see it (all
 * cluster-wide watchers plus that namespace's), not all of them.
 */
export class WatcherRegistry {
  private readonly open = new Set<CacheWatcher>();
  private readonly clusterWide = new Set<CacheWatcher>();
  private readonly byNamespace = new Map<string, Set<CacheWatcher>>();

  get size(): number {
    return this.open.size;
  }

  /** Tracks `w`; it gets live changes only once `goLive`. */
  add(w: CacheWatcher): void {
    this.open.add(w);
  }

  goLive(w: CacheWatcher): void {
    if (w.closed) return;
    if (w.namespace === undefined) {
      this.clusterWide.add(w);
      return;
    }
    let set = this.byNamespace.get(w.namespace);
    if (set === undefined) {
      set = new Set();
      this.byNamespace.set(w.namespace, set);
    }
    set.add(w);
  }

  remove(w: CacheWatcher): void {
    this.open.delete(w);
    if (w.namespace === undefined) {
      this.clusterWide.delete(w);
      return;
    }
    const set = this.byNamespace.get(w.namespace);
    set?.delete(w);
    if (set?.size === 0) this.byNamespace.delete(w.namespace);
  }

  /** Offers `change` to every live watcher that could see it (each filters further). */
  fanOut(change: WindowEvent): void {
    for (const w of this.clusterWide) w.offer(change);
    const scoped = this.byNamespace.get(change.namespace);
    if (scoped !== undefined) for (const w of scoped) w.offer(change);
  }

  /** Offers `bookmark` to every open watcher that asked for bookmarks. */
  bookmark(bookmark: CacheBookmarkEvent): void {
    for (const w of this.open) if (w.wantsBookmarks) w.bookmark(bookmark);
  }

  closeAll(reason: CacheWatchCloseReason): void {
    for (const w of [...this.open]) w.close(reason);
  }
}
