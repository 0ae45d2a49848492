import { applyCommand, applyEncoded } from '../kv/apply.js';
import { encodeCommand, parseCommand } from '../kv/commands.js';
import { KvError, toErrorData } from '../kv/errors.js';
import { LeaseClock } from '../kv/lease-clock.js';
import { MvccStore } from '../kv/mvcc-store.js';
import { WATCH_PROGRESS_NOTIFY_INTERVAL_MS_DEFAULT, WatchHub, type WatchResponse } from '../kv/watch-hub.js';
import { type ClientRequest, decodeRequest, encodeFrame, ProtocolError, type WireError } from './protocol.js';
import { StoreError } from './store-client.js';

/**
 * One store replica without Raft, in memory: the state machine every replica runs (MvccStore
 * fed through apply.ts, WatchHub, the leader's LeaseClock) behind the store's client protocol
 * (protocol.ts), as raft/server/client-endpoint.ts serves it. It always leads, applies each
 * write the moment it arrives, and answers in frames exactly as a replica does, so a client
 * talking to it sees the store's semantics, results and error codes, not an imitation of them.
 *
 * Several connections may share one server (several apiservers on one store). Frames are
 * handled synchronously: a write's watch frames are sent before its reply, as on a replica.
 * What a replica does that this does not: slow-watcher back-pressure (a connection takes every
 * frame), and leadership.
 */

export interface MemoryStoreServerOptions {
  /** The clock lease deadlines run on, in milliseconds. Default Date.now. */
  readonly nowMs?: () => number;
  /**
   * How often expired leases are revoked while no request arrives (the replica checks every
   * Raft tick). 0: only when a request arrives or `expireLeases()` is called, for tests that
   * drive `nowMs` by hand. Default 25.
   */
  readonly leaseCheckIntervalMs?: number;
  /**
   * How often idle watchers that asked for progress notifications are sent the current revision,
   * as a replica's --watch-progress-notify-interval-ms (default 600000). 0: never.
   */
  readonly watchProgressNotifyIntervalMs?: number;
}

/** A client's end of a connection: request frames in; replies and watch frames go to its listener. */
export interface MemoryConnection {
  /** Handles one request frame (protocol.ts bytes). Ignored once either side has closed. */
  receive(frame: Uint8Array): void;
  /** Ends the connection and cancels its watches. */
  close(): void;
}

export const LEASE_CHECK_INTERVAL_MS_DEFAULT = 25;

/** The one member a memory server pretends to be. */
const MEMBER_ID = 1;

interface Connection {
  readonly send: (frame: Uint8Array) => void;
  readonly watches: Set<number>;
  open: boolean;
}

export class MemoryStoreServer {
  readonly store = new MvccStore();
  readonly hub: WatchHub;
  private readonly leases = new LeaseClock();
  private readonly nowMs: () => number;
  private readonly connections = new Set<Connection>();
  private readonly ticker: NodeJS.Timeout | undefined;
  private readonly progressTicker: NodeJS.Timeout | undefined;
  /** Commands applied, as a replica's applied index counts log entries. */
  private appliedIndex = 0;
  private closed = false;

  constructor(options: MemoryStoreServerOptions = {}) {
    this.nowMs = options.nowMs ?? Date.now;
    this.hub = new WatchHub(this.store);
    const checkMs = options.leaseCheckIntervalMs ?? LEASE_CHECK_INTERVAL_MS_DEFAULT;
    if (checkMs > 0) {
      this.ticker = setInterval(() => this.expireLeases(), checkMs);
      this.ticker.unref();
    }
    const progressMs = options.watchProgressNotifyIntervalMs ?? WATCH_PROGRESS_NOTIFY_INTERVAL_MS_DEFAULT;
    if (progressMs > 0) {
      this.progressTicker = setInterval(() => this.hub.progressNotify(), progressMs);
      this.progressTicker.unref();
    }
  }

  /** Opens a connection whose outgoing frames go to `send`, in the order the server makes them. */
  connect(send: (frame: Uint8Array) => void): MemoryConnection {
    const conn: Connection = { send, watches: new Set(), open: true };
    this.connections.add(conn);
    return {
      receive: (frame) => this.receive(conn, frame),
      close: () => this.disconnect(conn),
    };
  }

  /** Revokes every lease whose TTL has run out on `nowMs`, as the leader's tick does; returns how many. */
  expireLeases(): number {
    if (this.closed) return 0;
    let revoked = 0;
    for (const id of this.leases.expiredLeases(this.nowMs())) {
      const outcome = applyCommand(this.store, { t: 'leaseRevoke', id });
      this.appliedIndex++;
      this.leases.forget(id);
      if (outcome.ok) revoked++;
    }
    return revoked;
  }

  /** Ends every connection's watches; later requests fail with Closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    if (this.progressTicker !== undefined) clearInterval(this.progressTicker);
    this.hub.close();
  }

  private disconnect(conn: Connection): void {
    if (!conn.open) return;
    conn.open = false;
    this.connections.delete(conn);
    for (const id of [...conn.watches]) this.hub.cancel(id, 'client went away');
  }

  private receive(conn: Connection, bytes: Uint8Array): void {
    if (!conn.open) return;
    let req: ClientRequest;
    try {
      req = decodeRequest(bytes);
    } catch (e) {
      // A replica drops a frame it cannot read; the memory client never sends one.
      if (e instanceof ProtocolError) return;
      throw e;
    }
    let frame: unknown;
    try {
      if (this.closed) throw new StoreError('Closed', 'the in-memory store is closed');
      this.expireLeases();
      frame = { id: req.id, ok: true, result: this.handle(conn, req) };
    } catch (e) {
      frame = { id: req.id, ok: false, error: toWireError(e) };
    }
    send(conn, frame);
  }

  private handle(conn: Connection, req: ClientRequest): unknown {
    switch (req.op) {
      case 'range':
        if (typeof req.key !== 'string') throw new StoreError('InvalidRequest', 'range needs a string key');
        return this.store.range(req.key, req.options ?? {});
      case 'write':
        return this.write(req.command);
      case 'watch': {
        if (typeof req.key !== 'string') throw new StoreError('InvalidRequest', 'watch needs a string key');
        const sink = {
          send: (r: WatchResponse): boolean => {
            if (r.kind === 'cancelled') conn.watches.delete(r.watchId);
            send(conn, { w: r.watchId, r });
            return true;
          },
        };
        const watchId = this.hub.watch(req.key, req.options ?? {}, sink);
        conn.watches.add(watchId);
        return { watchId };
      }
      case 'cancelWatch':
        return { cancelled: conn.watches.has(req.watchId) && this.hub.cancel(req.watchId) };
      case 'progress':
        return { sent: conn.watches.has(req.watchId) && this.hub.requestProgress(req.watchId) };
      case 'status':
        return this.status();
      case 'leaseTimeToLive':
        return this.store.leaseTimeToLive(req.leaseId);
      case 'leases':
        return this.store.leases();
      case 'hash':
        return this.store.hash(req.revision ?? 0);
      default:
        throw new StoreError('InvalidRequest', `${req.op} is not supported by the in-memory store`);
    }
  }

  /** A write as the replica applies it: validated at the boundary, encoded as a log entry, applied. */
  private write(raw: unknown): unknown {
    const outcome = applyEncoded(this.store, encodeCommand(parseCommand(raw)));
    this.appliedIndex++;
    if (!outcome.ok) throw outcome.error;
    const r = outcome.result;
    if (r.t === 'leaseGrant' || r.t === 'leaseKeepAlive') this.leases.renew(r.id, r.ttlSeconds, this.nowMs());
    else if (r.t === 'leaseRevoke') this.leases.forget(r.id);
    return r;
  }

  private status(): unknown {
    return {
      id: MEMBER_ID,
      leader: MEMBER_ID,
      term: 1,
      role: 'leader',
      revision: this.store.revision,
      compactRevision: this.store.compactRevision,
      raftIndex: this.appliedIndex,
      raftCommitIndex: this.appliedIndex,
      raftAppliedIndex: this.appliedIndex,
      dbSizeBytes: 0,
      voters: [MEMBER_ID],
      learners: [],
      members: [{ id: MEMBER_ID, peerAddress: '', clientAddress: 'memory', name: `store-${MEMBER_ID}`, isLearner: false }],
    };
  }
}

function send(conn: Connection, frame: unknown): void {
  if (conn.open) conn.send(encodeFrame(frame));
}

/** The same mapping as the replica's client endpoint: one wire code per error. */
function toWireError(e: unknown): WireError {
  if (e instanceof StoreError) return { code: e.code, message: e.message, details: { ...e.details } };
  if (e instanceof KvError) {
    const data = toErrorData(e);
    return { code: data.code, message: e.message, details: { ...data } };
  }
  return { code: 'Internal', message: e instanceof Error ? e.message : String(e) };
}
