import { CompactedError, InvalidRequestError, kvInvariant } from './errors.js';
import { type KeyRange, rangeContains, resolveKeyRange } from './key-range.js';
import type { MvccStore } from './mvcc-store.js';
import type { Revision } from './revision.js';
import type { KeyRangeOptions, KvEvent, RevisionBatch } from './types.js';

/**
 * Watchers on keys or key ranges, fed by the store as it applies writes. Pure: it delivers
 * through a sink the server plugs a socket into, and never waits.
 *
 * Guarantees per watcher (etcd's): events arrive in revision order, each exactly once, a
 * revision's events together in one `events` response (never split), and a `progress`
 * response at revision r means every event up to r has been delivered.
 *
 * - Start: `startRevision` (inclusive) in the past replays history from the store's log, then
 *   continues live; absent or 0 means "from the next revision"; a future one waits for it.
 *   A start at or before the compact revision throws CompactedError carrying it (the events of
 *   the compact revision itself are not kept, so its changes could not all be delivered).
 * - Back-pressure: `sink.send` returns false when it cannot take more for now. The hub then
 *   holds this watcher's responses until `resume(watchId)`: a watcher catching up from history
 *   simply pauses (its cursor is a revision), a live one buffers. A live buffer over
 *   `bufferEventsMax` events or `bufferBytesMax` bytes cancels the watcher with a reason (etcd's
 *   slow watcher); writes never wait for a watcher. A watcher paused in history that falls
 *   behind a compaction is cancelled with Compacted when it resumes.
 * - Progress: a `progress` response at the current revision goes only to a watcher that is
 *   caught up (synced, nothing held, the sink ready). `progress()` sends one to every such
 *   watcher now. `requestProgress(id)` (etcd's RequestProgress) sends one to that watcher now, or,
 *   if it is behind or paused, as soon as it has caught up: a request is never dropped.
 *   `progressNotify()` is the server's periodic tick (etcd's progress notify interval): each
 *   watcher that asked for `progressNotify`, is caught up, and got no events since the previous
 *   tick gets one; a watcher that got events needs no reminder of where it is.
 * - Sinks must not call back into the hub from `send`. A sink that throws is cancelled.
 */

export type WatchResponse =
  /** First response of every watch: its id and the store revision when it was created. */
  | { readonly kind: 'created'; readonly watchId: number; readonly revision: Revision }
  | { readonly kind: 'events'; readonly watchId: number; readonly revision: Revision; readonly events: readonly KvEvent[] }
  | { readonly kind: 'progress'; readonly watchId: number; readonly revision: Revision }
  /** Last response of a watch. `compactRevision` is set when it ended because history was compacted. */
  | { readonly kind: 'cancelled'; readonly watchId: number; readonly reason: string; readonly compactRevision?: Revision };

export interface WatchSink {
  /** Takes one response; returns whether it can take more now (false: hold until resume). */
  send(response: WatchResponse): boolean;
}

export interface WatchOptions extends KeyRangeOptions {
  /** First revision to deliver (inclusive); 0 or absent: the next one. */
  readonly startRevision?: Revision;
  /** Include each event's previous kv. */
  readonly prevKv?: boolean;
  /** Receive the periodic progress notifications of `progressNotify()`. */
  readonly progressNotify?: boolean;
}

export interface WatchHubOptions {
  /** Live events a paused watcher may hold before it is cancelled. */
  readonly bufferEventsMax?: number;
  /** Bytes (keys and values, roughly) a paused watcher may hold before it is cancelled. */
  readonly bufferBytesMax?: number;
}

export const WATCH_BUFFER_EVENTS_MAX_DEFAULT = 10_000;
export const WATCH_BUFFER_BYTES_MAX_DEFAULT = 32 * 1024 * 1024;
/** How often servers call `progressNotify()` unless told otherwise: etcd's default, 10 minutes. */
export const WATCH_PROGRESS_NOTIFY_INTERVAL_MS_DEFAULT = 600_000;
/** A rough fixed cost per buffered event, beside its keys and values. */
const EVENT_OVERHEAD_BYTES = 64;

interface Watcher {
  readonly id: number;
  readonly range: KeyRange;
  readonly prevKv: boolean;
  readonly progressNotify: boolean;
  readonly sink: WatchSink;
  /**
   * Synced: gets live batches as they are made, from `nextRevision` on (> current for a future
   * start). Not synced: behind; catches up from the log, `nextRevision` being its cursor.
   */
  synced: boolean;
  nextRevision: Revision;
  /** Whether the sink last said it can take more. */
  ready: boolean;
  /** Live responses held while not ready. */
  buffer: WatchResponse[];
  bufferedEvents: number;
  bufferedBytes: number;
  cancelled: boolean;
  /** Events were sent since the last periodic tick (so that tick skips it, as etcd's does). */
  eventsSinceTick: boolean;
  /** A requested progress response waits for the watcher to catch up. */
  progressPending: boolean;
}

export class WatchHub {
  private readonly store: MvccStore;
  private readonly bufferEventsMax: number;
  private readonly bufferBytesMax: number;
  private readonly watchers = new Map<number, Watcher>();
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly rangeWatchers = new Set<Watcher>();
  /** Watchers with a requested progress response not yet sent. */
  private readonly progressPending = new Set<Watcher>();
  private nextId = 1;
  /** The last store revision the hub has seen. */
  private seenRevision: Revision;
  private readonly unsubscribe: () => void;

  constructor(store: MvccStore, options: WatchHubOptions = {}) {
    this.store = store;
    this.bufferEventsMax = options.bufferEventsMax ?? WATCH_BUFFER_EVENTS_MAX_DEFAULT;
    this.bufferBytesMax = options.bufferBytesMax ?? WATCH_BUFFER_BYTES_MAX_DEFAULT;
    this.seenRevision = store.revision;
    this.unsubscribe = store.subscribe({ revision: (batch) => this.onRevision(batch), restored: () => this.onRestored() });
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /**
   * Starts a watch and returns its id, after sending `created` and whatever history the sink
   * takes. Throws CompactedError for a start at or before the compact revision, and
   * InvalidRequestError for a bad key range or start revision.
   */
  watch(key: string, options: WatchOptions, sink: WatchSink): number {
    const range = resolveKeyRange(key, options);
    const start = options.startRevision ?? 0;
    if (!Number.isSafeInteger(start) || start < 0) throw new InvalidRequestError(`start revision must be a non-negative integer, got ${start}`);
    const current = this.store.revision;
    const nextRevision = start === 0 ? current + 1 : start;
    const compacted = this.store.compactRevision;
    if (nextRevision <= compacted) throw new CompactedError(nextRevision, compacted);
    const w: Watcher = {
      id: this.nextId++,
      range,
      prevKv: options.prevKv === true,
      progressNotify: options.progressNotify === true,
      sink,
      synced: nextRevision > current,
      nextRevision,
      ready: true,
      buffer: [],
      bufferedEvents: 0,
      bufferedBytes: 0,
      cancelled: false,
      eventsSinceTick: false,
      progressPending: false,
    };
    this.watchers.set(w.id, w);
    if (range.kind === 'single') {
      const set = this.byKey.get(range.key);
      if (set === undefined) this.byKey.set(range.key, new Set([w]));
      else set.add(w);
    } else {
      this.rangeWatchers.add(w);
    }
    this.send(w, { kind: 'created', watchId: w.id, revision: current });
    this.catchUp(w);
    return w.id;
  }

  /** Ends a watch (the client asked); sends `cancelled`. Returns whether it existed. */
  cancel(watchId: number, reason = 'cancelled by the client'): boolean {
    const w = this.watchers.get(watchId);
    if (w === undefined) return false;
    this.end(w, reason);
    return true;
  }

  /** The sink can take more: flush what is held, then continue catching up. */
  resume(watchId: number): void {
    const w = this.watchers.get(watchId);
    if (w === undefined) return;
    w.ready = true;
    while (w.ready && !w.cancelled && w.buffer.length > 0) {
      const response = w.buffer.shift() as WatchResponse;
      if (response.kind === 'events') {
        w.bufferedEvents -= response.events.length;
        w.bufferedBytes -= eventsBytes(response.events);
      }
      this.send(w, response);
    }
    this.catchUp(w);
    this.flushPendingProgress();
  }

  /** Sends the current revision to every caught-up watcher with nothing held; returns how many. */
  progress(): number {
    let sent = 0;
    for (const w of [...this.watchers.values()]) if (this.sendProgress(w)) sent++;
    return sent;
  }

  /**
   * The periodic tick: a progress response to each caught-up watcher that asked for
   * `progressNotify` and got no events since the previous tick; returns how many were sent.
   */
  progressNotify(): number {
    let sent = 0;
    for (const w of [...this.watchers.values()]) {
      if (!w.progressNotify) continue;
      if (!w.eventsSinceTick && this.sendProgress(w)) sent++;
      w.eventsSinceTick = false;
    }
    return sent;
  }

  /**
   * A progress response for one watcher: now if it is caught up, else as soon as it is.
   * Returns whether the watch exists (false: nothing will be sent).
   */
  requestProgress(watchId: number): boolean {
    const w = this.watchers.get(watchId);
    if (w === undefined) return false;
    if (!this.sendProgress(w)) {
      w.progressPending = true;
      this.progressPending.add(w);
    }
    return true;
  }

  /** Cancels every watch and stops listening to the store. */
  close(): void {
    this.unsubscribe();
    for (const w of [...this.watchers.values()]) this.end(w, 'watch hub closed');
  }

  /**
   * Sends a progress response at the current revision if the watcher is caught up: synced,
   * nothing held, the sink ready, and not waiting for a future start revision. Returns whether it did.
   */
  private sendProgress(w: Watcher): boolean {
    const revision = this.store.revision;
    if (w.cancelled || !w.synced || !w.ready || w.buffer.length > 0 || w.nextRevision > revision + 1) return false;
    if (w.progressPending) {
      w.progressPending = false;
      this.progressPending.delete(w);
    }
    this.send(w, { kind: 'progress', watchId: w.id, revision });
    return true;
  }

  /** Sends the requested progress responses of watchers that have caught up since. */
  private flushPendingProgress(): void {
    if (this.progressPending.size === 0) return;
    for (const w of [...this.progressPending]) this.sendProgress(w);
  }

  private onRevision(batch: RevisionBatch): void {
    kvInvariant(batch.revision === this.seenRevision + 1, () => `watch hub: revision ${batch.revision} after ${this.seenRevision}`);
    this.seenRevision = batch.revision;
    let matches: Map<Watcher, KvEvent[]> | undefined;
    const add = (w: Watcher, event: KvEvent): void => {
      if (!w.synced || w.nextRevision > batch.revision) return;
      matches ??= new Map();
      const list = matches.get(w);
      if (list === undefined) matches.set(w, [event]);
      else list.push(event);
    };
    for (const event of batch.events) {
      const exact = this.byKey.get(event.kv.key);
      if (exact !== undefined) for (const w of exact) add(w, event);
    }
    for (const w of this.rangeWatchers) {
      for (const event of batch.events) if (rangeContains(w.range, event.kv.key)) add(w, event);
    }
    if (matches !== undefined) for (const [w, events] of matches) this.deliverLive(w, batch.revision, events);
    // A watcher waiting for a future start revision may have reached it.
    this.flushPendingProgress();
  }

  private deliverLive(w: Watcher, revision: Revision, events: KvEvent[]): void {
    if (w.cancelled) return;
    const response = { kind: 'events', watchId: w.id, revision, events: w.prevKv ? events : withoutPrevKv(events) } as const;
    w.nextRevision = revision + 1;
    w.eventsSinceTick = true;
    if (w.ready && w.buffer.length === 0) {
      this.send(w, response);
      return;
    }
    w.buffer.push(response);
    w.bufferedEvents += response.events.length;
    w.bufferedBytes += eventsBytes(response.events);
    if (w.bufferedEvents > this.bufferEventsMax) this.end(w, `slow watcher: buffer of ${this.bufferEventsMax} events exceeded`);
    else if (w.bufferedBytes > this.bufferBytesMax) this.end(w, `slow watcher: buffer of ${this.bufferBytesMax} bytes exceeded`);
  }

  /** Delivers history from the watcher's cursor while the sink takes it; then it is synced. */
  private catchUp(w: Watcher): void {
    while (!w.cancelled && !w.synced && w.ready && w.buffer.length === 0) {
      const revision = w.nextRevision;
      if (revision > this.store.revision) {
        w.synced = true;
        if (w.progressPending) this.sendProgress(w);
        return;
      }
      let events: readonly KvEvent[];
      try {
        events = this.store.eventsAt(revision);
      } catch (err) {
        if (!(err instanceof CompactedError)) throw err;
        this.end(w, `required revision ${revision} has been compacted`, err.compactRevision);
        return;
      }
      w.nextRevision = revision + 1;
      const matching = events.filter((event) => rangeContains(w.range, event.kv.key));
      if (matching.length > 0) {
        w.eventsSinceTick = true;
        this.send(w, { kind: 'events', watchId: w.id, revision, events: w.prevKv ? matching : withoutPrevKv(matching) });
      }
    }
  }

  /** After a snapshot restore the revision may have jumped: every watcher catches up from where it was. */
  private onRestored(): void {
    const previous = this.seenRevision;
    this.seenRevision = this.store.revision;
    for (const w of [...this.watchers.values()]) {
      if (this.store.revision < previous) {
        this.end(w, `store restored to revision ${this.store.revision}, before revision ${previous} already delivered`);
        continue;
      }
      if (w.synced) {
        w.synced = false;
        w.nextRevision = Math.max(w.nextRevision, previous + 1);
      }
      this.catchUp(w);
    }
  }

  private send(w: Watcher, response: WatchResponse): void {
    if (w.cancelled) return;
    let more: boolean;
    try {
      more = w.sink.send(response);
    } catch (err) {
      this.end(w, `watch sink failed: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    w.ready = more;
  }

  /** Removes the watcher and sends its final `cancelled` response, whatever the sink's state. */
  private end(w: Watcher, reason: string, compactRevision?: Revision): void {
    if (w.cancelled) return;
    w.cancelled = true;
    w.buffer = [];
    this.watchers.delete(w.id);
    this.progressPending.delete(w);
    if (w.range.kind === 'single') {
      const set = this.byKey.get(w.range.key);
      set?.delete(w);
      if (set?.size === 0) this.byKey.delete(w.range.key);
    } else {
      this.rangeWatchers.delete(w);
    }
    const response: WatchResponse =
      compactRevision === undefined ? { kind: 'cancelled', watchId: w.id, reason } : { kind: 'cancelled', watchId: w.id, reason, compactRevision };
    try {
      w.sink.send(response);
    } catch {
      // The watch is over either way; a sink that cannot take its last response has nothing to lose.
    }
  }
}

function withoutPrevKv(events: readonly KvEvent[]): KvEvent[] {
  return events.map((event) => (event.prevKv === undefined ? event : { type: event.type, kv: event.kv }));
}

function eventsBytes(events: readonly KvEvent[]): number {
  let bytes = 0;
  for (const event of events) {
    bytes += EVENT_OVERHEAD_BYTES + event.kv.key.length + event.kv.value.byteLength;
    if (event.prevKv !== undefined) bytes += event.prevKv.key.length + event.prevKv.value.byteLength;
  }
  return bytes;
}
