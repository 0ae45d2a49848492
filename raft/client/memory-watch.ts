import type { WatchResponse } from '../kv/watch-hub.js';
import { AsyncQueue } from './async-queue.js';
import { StoreError, type StoreWatch, type WatchBatch } from './store-client.js';

/** What a MemoryWatch needs from the client that made it. */
export interface MemoryWatchHost {
  cancelWatch(watchId: number): void;
  requestWatchProgress(watchId: number): void;
  /** The watch is over; the host forgets it. */
  forget(watch: MemoryWatch): void;
}

/**
 * One watch of the memory store client, as the consumer sees it: the store's watch responses
 * turned into batches exactly as WsStoreClient's watch does (one batch per revision, progress
 * as an empty batch with `progress: true`, Compacted as a StoreError carrying compactRevision).
 *
 * A `requestProgress()` made before the store has answered the watch request is sent once it
 * has, as with the real client. Unlike it, leaving a `for await` loop early cancels the watch in the store
 * (the real client leaves it running there until `cancel()`); the consumer sees no difference.
 */
export class MemoryWatch implements StoreWatch {
  private readonly queue = new AsyncQueue<WatchBatch>();
  private watchId: number | undefined;
  private done = false;
  /** requestProgress() was called before the watch was attached. */
  private progressWanted = false;

  constructor(private readonly host: MemoryWatchHost) {}

  /** The store answered the watch request; false if the watch is already over. */
  attach(watchId: number): boolean {
    if (this.done) return false;
    this.watchId = watchId;
    if (this.progressWanted) {
      this.progressWanted = false;
      this.host.requestWatchProgress(watchId);
    }
    return true;
  }

  onResponse(r: WatchResponse): void {
    if (this.done) return;
    switch (r.kind) {
      case 'created':
        return;
      case 'events':
        this.queue.push({ revision: r.revision, events: r.events });
        return;
      case 'progress':
        this.queue.push({ revision: r.revision, events: [], progress: true });
        return;
      case 'cancelled':
        this.watchId = undefined;
        if (r.compactRevision !== undefined) {
          this.fail(new StoreError('Compacted', `watch history is compacted (compact revision ${r.compactRevision})`, { compactRevision: r.compactRevision }));
        } else {
          // The real client resumes elsewhere; the only store here has closed, or the client has.
          this.fail(new StoreError('Closed', `watch ended by the store: ${r.reason}`));
        }
        return;
    }
  }

  fail(e: Error): void {
    if (this.done) return;
    this.done = true;
    this.host.forget(this);
    this.queue.fail(e);
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.host.forget(this);
    if (this.watchId !== undefined) this.host.cancelWatch(this.watchId);
    this.queue.end();
  }

  requestProgress(): void {
    if (this.done) return;
    if (this.watchId === undefined) this.progressWanted = true;
    else this.host.requestWatchProgress(this.watchId);
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchBatch> {
    const inner = this.queue[Symbol.asyncIterator]();
    return {
      next: () => inner.next(),
      return: () => {
        this.cancel();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
