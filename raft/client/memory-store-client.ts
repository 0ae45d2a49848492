import type { Command } from '../kv/commands.js';
import type { DeleteResult, KeyRangeOptions, PutResult, RangeOptions, RangeResult, TxnRequest, TxnResult } from '../kv/types.js';
import type { WatchResponse } from '../kv/watch-hub.js';
import { type MemoryConnection, MemoryStoreServer, type MemoryStoreServerOptions } from './memory-store-server.js';
import { MemoryWatch, type MemoryWatchHost } from './memory-watch.js';
import { CLIENT_FRAME_BYTES_MAX, decodeServerFrame, encodeFrame, type ServerFrame } from './protocol.js';
import { type StoreClient, StoreError, type StoreStatus, type StoreWatch, type StoreWatchOptions } from './store-client.js';

/** How a frame crosses the pretend network: a microtask, or a turn of the event loop (setImmediate). */
export type MemoryHop = 'microtask' | 'immediate';

export interface MemoryStoreClientOptions extends MemoryStoreServerOptions {
  /**
   * The store to talk to; several clients may share one, as several apiservers share the real
   * store. Absent: a store of its own, made with the other options and closed with the client.
   * (`nowMs` and `leaseCheckIntervalMs` are the server's; they are ignored when one is given.)
   */
  readonly server?: MemoryStoreServer;
  /** Default 'microtask'. */
  readonly hop?: MemoryHop;
}

type Body = Record<string, unknown> & { op: string };

interface Pending {
  readonly resolve: (result: unknown) => void;
  readonly reject: (e: StoreError) => void;
}

/**
 * The in-memory twin of WsStoreClient: the same StoreClient contract over an in-process store
 * (memory-store-server.ts) that runs the replicas' own state machine, for developing and
 * unit-testing the apiserver without processes. test/conformance/store-client.conformance.ts
 * holds both to the same behaviour.
 *
 * It speaks the real client protocol: every request and every reply is encoded to msgpack
 * frames and decoded on the other side, so results are fresh objects (values are Buffers, as
 * the real client returns), a caller mutating a result or reusing a value it wrote cannot
 * touch the store, and errors are StoreErrors with the codes and details the real one gives.
 * Requests and watch deliveries each cross one asynchronous hop, in order: nothing runs inside
 * the caller's stack, and a write's watch events are delivered before its reply.
 *
 * Differences from the real client, all where the real one has no better answer to give: a
 * request frame over CLIENT_FRAME_BYTES_MAX fails at once with TooLarge (the real client
 * retries it until its request timeout); a request msgpack cannot encode fails with
 * InvalidRequest; there are no failovers, so no retries, NotLeader or Timeout.
 */
export class MemoryStoreClient implements StoreClient, MemoryWatchHost {
  readonly server: MemoryStoreServer;
  private readonly ownsServer: boolean;
  private readonly conn: MemoryConnection;
  private readonly hop: (f: () => void) => void;
  private readonly pending = new Map<number, Pending>();
  private readonly watches = new Map<number, MemoryWatch>();
  /** Every watch not yet over, attached or not: close() fails them all. */
  private readonly live = new Set<MemoryWatch>();
  /** Frames of a watch that arrive before the reply naming it (the store sends them first). */
  private readonly early = new Map<number, WatchResponse[]>();
  private watchRequestsInFlight = 0;
  private reqSeq = 0;
  private closed = false;

  constructor(options: MemoryStoreClientOptions = {}) {
    this.server = options.server ?? new MemoryStoreServer(options);
    this.ownsServer = options.server === undefined;
    this.hop = options.hop === 'immediate' ? (f) => setImmediate(f) : queueMicrotask;
    this.conn = this.server.connect((frame) => this.hop(() => this.onFrame(frame)));
  }

  async range(key: string, options: RangeOptions & { readonly serializable?: boolean } = {}): Promise<RangeResult> {
    const { serializable, ...rest } = options;
    return this.call<RangeResult>({ op: 'range', key, options: rest, serializable: serializable ?? false });
  }

  async put(key: string, value: Uint8Array, options: { readonly lease?: number; readonly prevKv?: boolean } = {}): Promise<PutResult> {
    return this.write<PutResult>({ t: 'put', key, value, ...options });
  }

  async delete(key: string, options: KeyRangeOptions & { readonly prevKv?: boolean } = {}): Promise<DeleteResult> {
    return this.write<DeleteResult>({ t: 'delete', key, ...options });
  }

  async txn(request: TxnRequest): Promise<TxnResult> {
    return this.write<TxnResult>({ t: 'txn', ...request });
  }

  async compact(revision: number): Promise<{ revision: number; compactRevision: number }> {
    return this.write({ t: 'compact', revision });
  }

  async leaseGrant(ttlSeconds: number, id?: number): Promise<{ id: number; ttlSeconds: number }> {
    return this.write({ t: 'leaseGrant', ttlSeconds, ...(id === undefined ? {} : { id }) });
  }

  async leaseKeepAlive(id: number): Promise<{ id: number; ttlSeconds: number }> {
    return this.write({ t: 'leaseKeepAlive', id });
  }

  async leaseRevoke(id: number): Promise<{ deleted: number }> {
    return this.write({ t: 'leaseRevoke', id });
  }

  /** As WsStoreClient's: the lease's TTL and attached keys. */
  async leaseTimeToLive(id: number): Promise<{ id: number; ttlSeconds: number; keys: string[] }> {
    return this.call({ op: 'leaseTimeToLive', leaseId: id });
  }

  async status(): Promise<StoreStatus> {
    return this.call<StoreStatus>({ op: 'status' });
  }

  watch(key: string, options: StoreWatchOptions = {}): StoreWatch {
    const w = new MemoryWatch(this);
    this.live.add(w);
    const { fromRevision, ...rest } = options;
    this.watchRequestsInFlight++;
    const settled = (): void => {
      this.watchRequestsInFlight--;
      // Whatever is left belongs to watches already over (their last frames, after a cancel).
      if (this.watchRequestsInFlight === 0) this.early.clear();
    };
    this.send(
      { op: 'watch', key, options: { ...rest, startRevision: fromRevision ?? 0 } },
      {
        resolve: (result) => {
          const { watchId } = result as { watchId: number };
          const held = this.early.get(watchId) ?? [];
          this.early.delete(watchId);
          settled();
          if (!w.attach(watchId)) {
            this.cancelWatch(watchId);
            return;
          }
          this.watches.set(watchId, w);
          for (const r of held) w.onResponse(r);
        },
        reject: (e) => {
          settled();
          w.fail(e);
        },
      },
    );
    return w;
  }

  /** Ends every open watch and pending request with Closed; later calls fail with Closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new StoreError('Closed', 'store client is closed');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const w of [...this.live]) w.fail(err);
    this.conn.close();
    if (this.ownsServer) this.server.close();
  }

  // ---- MemoryWatchHost -----------------------------------------------------------------------

  /** @internal */
  cancelWatch(watchId: number): void {
    this.watches.delete(watchId);
    this.send({ op: 'cancelWatch', watchId }, { resolve: () => {}, reject: () => {} });
  }

  /** @internal */
  requestWatchProgress(watchId: number): void {
    this.send({ op: 'progress', watchId }, { resolve: () => {}, reject: () => {} });
  }

  /** @internal */
  forget(watch: MemoryWatch): void {
    this.live.delete(watch);
    for (const [id, w] of this.watches) if (w === watch) this.watches.delete(id);
  }

  // ---- the pretend network -------------------------------------------------------------------

  private write<T>(command: Command): Promise<T> {
    return this.call<T>({ op: 'write', command });
  }

  private call<T>(body: Body): Promise<T> {
    return new Promise<T>((resolve, reject) => this.send(body, { resolve: resolve as (v: unknown) => void, reject }));
  }

  /** Encodes now (so the caller may reuse what it passed), then hands the frame to the store after one hop. */
  private send(body: Body, pending: Pending): void {
    if (this.closed) {
      pending.reject(new StoreError('Closed', 'store client is closed'));
      return;
    }
    const id = ++this.reqSeq;
    let frame: Uint8Array;
    try {
      frame = encodeFrame({ ...body, id });
    } catch (e) {
      pending.reject(new StoreError('InvalidRequest', `${body.op} request cannot be encoded: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    if (frame.byteLength > CLIENT_FRAME_BYTES_MAX) {
      pending.reject(new StoreError('TooLarge', `${body.op} request of ${frame.byteLength} bytes exceeds the ${CLIENT_FRAME_BYTES_MAX}-byte frame limit`));
      return;
    }
    this.pending.set(id, pending);
    this.hop(() => this.conn.receive(frame));
  }

  private onFrame(bytes: Uint8Array): void {
    if (this.closed) return;
    const frame: ServerFrame = decodeServerFrame(bytes);
    if ('leader' in frame) return;
    if ('w' in frame) {
      const w = this.watches.get(frame.w);
      if (w !== undefined) w.onResponse(frame.r);
      else if (this.watchRequestsInFlight > 0) {
        const held = this.early.get(frame.w);
        if (held === undefined) this.early.set(frame.w, [frame.r]);
        else held.push(frame.r);
      }
      return;
    }
    const p = this.pending.get(frame.id);
    if (p === undefined) return;
    this.pending.delete(frame.id);
    if (frame.ok) p.resolve(frame.result);
    else p.reject(new StoreError(frame.error.code, frame.error.message, frame.error.details ?? {}));
  }
}
