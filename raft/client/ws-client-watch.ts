import type { WatchResponse } from '../kv/watch-hub.js';
import { AsyncQueue } from './async-queue.js';
import { StoreError, type StoreWatch, type StoreWatchOptions, type WatchBatch } from './store-client.js';

/** What a ClientWatch needs from the client that made it; `C` is the client's connection handle. */
export interface ClientWatchHost<C> {
  /**
   * Sends a watch start to some replica, if possible not the one behind `avoid`; the answer
   * comes back through `attach` (or `restart`/`fail`).
   */
  startWatch(w: ClientWatch<C>, body: Record<string, unknown> & { op: 'watch' }, avoid?: C): void;
  /** Forgets the watch on `c`, and cancels it on the replica if asked. */
  detachWatch(c: C, watchId: number, cancelOnServer: boolean): void;
  requestWatchProgress(c: C, watchId: number): void;
}

/**
 * One watch of the leader-aware client as the consumer sees it: a stream of batches that
 * survives replica failures. Its cursor is the next revision to deliver; a restart on another
 * replica asks for exactly that, so each revision is delivered once and in order.
 *
 * Every start has a generation; only the answer to the current one may attach (`attach`
 * refuses a stale one, and the client cancels that watch on its replica instead of leaving it
 * running there). A progress request made while no replica serves the watch (before the first
 * start is answered, or between a replica's death and the restart) is sent once one does, and
 * resent after a restart until a progress response arrives.
 */
export class ClientWatch<C> implements StoreWatch {
  private readonly queue = new AsyncQueue<WatchBatch>();
  private next: number | undefined;
  private conn: C | undefined;
  private watchId = 0;
  private done = false;
  private generationSeq = 0;
  private attachedGeneration = -1;
  /** requestProgress() was called and no progress response has arrived since. */
  private progressWanted = false;

  constructor(
    private readonly host: ClientWatchHost<C>,
    private readonly key: string,
    private readonly options: StoreWatchOptions,
  ) {
    this.next = options.fromRevision;
  }

  /** The generation of the start in flight (or of the attached one). */
  get generation(): number {
    return this.generationSeq;
  }

  /** Whether the watch is over (cancelled, failed, or its client closed). */
  get isDone(): boolean {
    return this.done;
  }

  /** Starts (again) from the cursor, on whichever replica the client picks, if possible not `avoid`. */
  restart(avoid?: C): void {
    if (this.done) return;
    this.conn = undefined;
    this.generationSeq++;
    const { fromRevision: _from, ...rest } = this.options;
    this.host.startWatch(this, { op: 'watch', key: this.key, options: { ...rest, startRevision: this.next ?? 0 } }, avoid);
  }

  /**
   * The replica behind `c` answered start `generation` with `watchId`. False if that start is
   * no longer wanted (the watch is over, or a newer start replaced it): the caller cancels it.
   */
  attach(c: C, watchId: number, generation: number): boolean {
    if (this.done || generation !== this.generationSeq || this.attachedGeneration === generation) return false;
    this.attachedGeneration = generation;
    this.conn = c;
    this.watchId = watchId;
    if (this.progressWanted) this.host.requestWatchProgress(c, watchId);
    return true;
  }

  onResponse(r: WatchResponse): void {
    if (this.done) return;
    switch (r.kind) {
      case 'created':
        // A watch "from now" pins its start, so a resume elsewhere does not skip or repeat.
        if (this.next === undefined || this.next === 0) this.next = r.revision + 1;
        return;
      case 'events':
        if (this.next !== undefined && r.revision < this.next) return;
        this.next = r.revision + 1;
        this.queue.push({ revision: r.revision, events: r.events });
        return;
      case 'progress':
        this.progressWanted = false;
        if (this.next === undefined || r.revision >= this.next) this.next = r.revision + 1;
        this.queue.push({ revision: r.revision, events: [], progress: true });
        return;
      case 'cancelled':
        if (this.conn !== undefined) this.host.detachWatch(this.conn, this.watchId, false);
        if (r.compactRevision !== undefined) {
          this.fail(
            new StoreError('Compacted', `watch start revision ${this.next} is compacted (compact revision ${r.compactRevision})`, {
              compactRevision: r.compactRevision,
            }),
          );
        } else {
          // A slow-watcher cancel: resume from our cursor; history still holds what we missed.
          this.restart();
        }
        return;
    }
  }

  fail(e: Error): void {
    if (this.done) return;
    this.done = true;
    this.queue.fail(e);
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    if (this.conn !== undefined) this.host.detachWatch(this.conn, this.watchId, true);
    this.queue.end();
  }

  requestProgress(): void {
    if (this.done) return;
    this.progressWanted = true;
    if (this.conn !== undefined) this.host.requestWatchProgress(this.conn, this.watchId);
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchBatch> {
    return this.queue[Symbol.asyncIterator]();
  }
}
