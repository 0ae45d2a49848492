import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import type { Command } from '../kv/commands.js';
import type { DeleteResult, KeyRangeOptions, PutResult, RangeOptions, RangeResult, TxnRequest, TxnResult } from '../kv/types.js';
import type { WatchResponse } from '../kv/watch-hub.js';
import { storeClientHeaders } from './client-auth.js';
import { sendCorked } from './cork.js';
import { CLIENT_FRAME_BYTES_MAX, decodeServerFrame, encodeFrame, type ServerFrame } from './protocol.js';
import { type StoreClient, StoreError, type StoreStatus, type StoreWatch, type StoreWatchOptions } from './store-client.js';
import { ClientWatch, type ClientWatchHost } from './ws-client-watch.js';

export interface WsStoreClientOptions {
  /** Every replica's client address, host:port. */
  readonly endpoints: readonly string[];
  /** How long one attempt on one replica may take before the request moves on. */
  readonly attemptTimeoutMs?: number;
  /** How long a request may take in all, retries included. */
  readonly requestTimeoutMs?: number;
  /**
   * How often each open connection is pinged (default 1000). A replica that answers nothing
   * (no pong, no frame) for `keepaliveMisses` pings in a row (default 3) is cut off as dead:
   * a paused or partitioned replica never closes its socket, and its watches would stall.
   */
  readonly keepaliveIntervalMs?: number;
  readonly keepaliveMisses?: number;
  /**
   * The cluster secret (as `loadSecret` returns it), for replicas run with `--client-auth
   * secret`: the client proves it on every connection (client-auth.ts). Without it such a
   * replica refuses the connection (401) and requests fail with `Unavailable`.
   */
  readonly secret?: Uint8Array | undefined;
}

type Body = Record<string, unknown> & { op: string };

interface Pending {
  readonly body: Body;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly deadline: number;
  readonly toLeader: boolean;
  conn: Conn | undefined;
  timer: NodeJS.Timeout | undefined;
  attempts: number;
  /**
   * Instead of a retry on another replica when the connection dies or the replica answers with
   * a retryable error: a watch start restarts its watch (from the cursor) rather than resend
   * the same start.
   */
  readonly lost?: () => void;
}

interface Conn {
  readonly address: string;
  ws: WebSocket | undefined;
  open: boolean;
  id: number;
  retryMs: number;
  /** Pings sent since the replica last sent anything (a pong or any frame). */
  unanswered: number;
  /** The replica refused our last connection with 401: we lack its secret. Cleared on open. */
  refused: boolean;
  readonly inflight: Map<number, Pending>;
  /** Watch frames that arrived before the reply naming their watch. */
  readonly early: Map<number, WatchResponse[]>;
  readonly watches: Map<number, ClientWatch<Conn>>;
  /** Watches cancelled here whose last frames may still arrive: dropped until their `cancelled`. */
  readonly cancelling: Set<number>;
}

const RETRYABLE = new Set(['NotLeader', 'NoLeader', 'Unavailable', 'Timeout', 'Closed']);

/**
 * The leader-aware store client (the apiserver's way to the store). It keeps a connection to
 * every replica, learns who leads from the replicas themselves (each pushes leader changes,
 * and answers NotLeader with the leader's id), sends writes and linearizable reads to the
 * leader, and retries on another replica when a connection dies or an attempt times out.
 *
 * Retrying is safe: every write carries a request id that the state machine deduplicates, so a
 * write retried after a failover applies once. Watches resume on another replica from the
 * revision after the last one delivered, so the consumer sees each event once and in order.
 */
export class WsStoreClient implements StoreClient, ClientWatchHost<Conn> {
  private readonly conns: Conn[];
  private readonly clientId = randomUUID().slice(0, 13);
  private seq = 0;
  private reqSeq = 0;
  private leaderId = 0;
  private leaderTerm = 0;
  private waitingForLeader: Pending[] = [];
  private closed = false;
  private readonly attemptTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly keepaliveMisses: number;
  private readonly keepaliveTimer: NodeJS.Timeout;
  private readonly headers: Record<string, string>;

  constructor(options: WsStoreClientOptions) {
    if (options.endpoints.length === 0) throw new Error('store client: no endpoints');
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 3000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.keepaliveMisses = options.keepaliveMisses ?? 3;
    this.headers = options.secret ? storeClientHeaders(options.secret) : {};
    this.conns = options.endpoints.map((address) => ({
      address,
      ws: undefined,
      open: false,
      id: 0,
      retryMs: 50,
      unanswered: 0,
      refused: false,
      inflight: new Map(),
      early: new Map(),
      watches: new Map(),
      cancelling: new Set(),
    }));
    for (const c of this.conns) this.connect(c);
    this.keepaliveTimer = setInterval(() => this.keepalive(), options.keepaliveIntervalMs ?? 1000);
    this.keepaliveTimer.unref();
  }

  /**
   * Counts missed pings rather than elapsed time, so that a pause of this process's own event
   * loop (pongs waiting unread) costs one miss, not a cut connection.
   */
  private keepalive(): void {
    for (const c of this.conns) {
      if (!c.open || !c.ws) continue;
      if (c.unanswered >= this.keepaliveMisses) {
        // 'close' follows: in-flight requests retry elsewhere and watches resume elsewhere.
        c.ws.terminate();
        continue;
      }
      c.unanswered++;
      c.ws.ping();
    }
  }

  // ---- connections -------------------------------------------------------------------------

  private connect(c: Conn): void {
    if (this.closed) return;
    const ws = new WebSocket(`ws://${c.address}`, { maxPayload: 256 * 1024 * 1024, headers: this.headers });
    c.ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      c.open = true;
      c.refused = false;
      c.retryMs = 50;
      c.unanswered = 0;
      this.send(c, { id: -1, op: 'status' });
      this.flushWaiting();
      for (const w of [...this.watchesWithoutConn]) {
        this.watchesWithoutConn.delete(w);
        w.restart();
      }
    });
    ws.on('pong', () => {
      c.unanswered = 0;
    });
    ws.on('message', (data: Buffer) => {
      c.unanswered = 0;
      let frame: ServerFrame;
      try {
        frame = decodeServerFrame(data);
      } catch {
        return;
      }
      this.onFrame(c, frame);
    });
    ws.on('error', (err: Error) => {
      // ws's wording for a refused upgrade; 'close' follows either way.
      if (/Unexpected server response: 401/.test(err.message)) c.refused = true;
    });
    ws.on('close', () => {
      c.open = false;
      c.ws = undefined;
      if (c.id !== 0 && c.id === this.leaderId) this.leaderId = 0;
      const lost = [...c.inflight.values()];
      c.inflight.clear();
      for (const p of lost) {
        if (p.lost) p.lost();
        else this.retry(p, 0);
      }
      const watches = [...c.watches.values()];
      c.watches.clear();
      c.early.clear();
      // The replica ends a connection's watches when it goes; nothing is left to cancel there.
      c.cancelling.clear();
      for (const w of watches) w.restart();
      if (!this.closed) setTimeout(() => this.connect(c), c.retryMs).unref();
      c.retryMs = Math.min(c.retryMs * 2, 1000);
    });
  }

  private onFrame(c: Conn, frame: ServerFrame): void {
    if ('leader' in frame) {
      if (frame.term >= this.leaderTerm) {
        this.leaderTerm = frame.term;
        this.learnLeader(frame.leader);
        if (this.leaderId !== 0) this.flushWaiting();
      }
      return;
    }
    if ('w' in frame) {
      const w = c.watches.get(frame.w);
      if (w) w.onResponse(frame.r);
      else if (c.cancelling.has(frame.w)) {
        if (frame.r.kind === 'cancelled') c.cancelling.delete(frame.w);
      } else {
        const early = c.early.get(frame.w) ?? [];
        early.push(frame.r);
        c.early.set(frame.w, early);
      }
      return;
    }
    if (frame.id === -1) {
      if (frame.ok) {
        const s = frame.result as { id: number; leader: number; term: number };
        c.id = s.id;
        if (s.term >= this.leaderTerm && s.leader !== 0) {
          this.leaderTerm = s.term;
          this.learnLeader(s.leader);
          this.flushWaiting();
        }
      }
      return;
    }
    const p = c.inflight.get(frame.id);
    if (!p) return;
    c.inflight.delete(frame.id);
    if (p.timer) clearTimeout(p.timer);
    if (frame.ok) {
      p.resolve(frame.result);
      return;
    }
    const { code, message, details } = frame.error;
    if (RETRYABLE.has(code)) {
      if (p.lost) {
        p.lost();
        return;
      }
      if (code === 'NotLeader' && typeof details?.leader === 'number') this.learnLeader(details.leader);
      if (code === 'NoLeader' || (code === 'NotLeader' && this.leaderId === c.id)) this.leaderId = 0;
      // Straight to a named leader we can reach; otherwise give the election a moment.
      this.retry(p, code === 'NotLeader' && this.leaderId !== 0 ? 0 : 25);
      return;
    }
    p.reject(new StoreError(code, message, details ?? {}));
  }

  /**
   * False if the connection is down; 'tooLarge' for a frame the replica would refuse by closing
   * the socket (which would only make every retry fail the same way and restart the watches).
   */
  private send(c: Conn, frame: Record<string, unknown>): boolean | 'tooLarge' {
    if (!c.open || !c.ws) return false;
    const bytes = encodeFrame(frame);
    if (bytes.byteLength > CLIENT_FRAME_BYTES_MAX) return 'tooLarge';
    sendCorked(c.ws, bytes);
    return true;
  }

  private readonly watchesWithoutConn = new Set<ClientWatch<Conn>>();

  /**
   * The replica to ask: the leader if its connection is up; otherwise any open replica (it
   * serves what it can and names the leader for the rest), preferring one other than `avoid`.
   */
  private pick(toLeader: boolean, avoid?: Conn): Conn | undefined {
    if (this.leaderId !== 0) {
      const leader = this.conns.find((c) => c.open && c.id === this.leaderId);
      if (leader && (toLeader || leader !== avoid)) return leader;
    }
    const open = this.conns.filter((c) => c.open && c !== avoid);
    if (open.length === 0) return this.conns.find((c) => c.open);
    return open[this.reqSeq % open.length];
  }

  /** A leader hint is only useful if we can reach that replica; one we cannot is ignored. */
  private learnLeader(id: number): void {
    const conn = this.conns.find((c) => c.id === id);
    this.leaderId = conn && !conn.open ? 0 : id;
  }

  private flushTimer: NodeJS.Timeout | undefined;

  /** One timer for every request waiting for a connection, however many there are. */
  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushWaiting();
    }, 50);
  }

  // ---- requests ----------------------------------------------------------------------------

  private call<T>(body: Body, toLeader: boolean): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('Closed', 'store client is closed'));
    return new Promise<T>((resolve, reject) => {
      const p: Pending = {
        body,
        resolve: resolve as (v: unknown) => void,
        reject,
        deadline: Date.now() + this.requestTimeoutMs,
        toLeader,
        conn: undefined,
        timer: undefined,
        attempts: 0,
      };
      this.attempt(p);
    });
  }

  private attempt(p: Pending): void {
    if (this.closed) {
      p.reject(new StoreError('Closed', 'store client is closed'));
      return;
    }
    if (Date.now() >= p.deadline) {
      p.reject(new StoreError('Timeout', `store request ${p.body.op} timed out after ${p.attempts} attempts`));
      return;
    }
    const c = this.pick(p.toLeader, p.conn);
    if (!c && this.conns.every((x) => x.refused)) {
      p.reject(refusedError());
      return;
    }
    if (!c) {
      this.waitingForLeader.push(p);
      this.scheduleFlush();
      return;
    }
    const id = ++this.reqSeq;
    p.conn = c;
    p.attempts++;
    c.inflight.set(id, p);
    p.timer = setTimeout(
      () => {
        if (c.inflight.delete(id)) this.retry(p, 0);
      },
      Math.min(this.attemptTimeoutMs, Math.max(1, p.deadline - Date.now())),
    );
    const sent = this.send(c, { ...p.body, id });
    if (sent !== true) {
      c.inflight.delete(id);
      clearTimeout(p.timer);
      if (sent === 'tooLarge') p.reject(new StoreError('TooLarge', `${p.body.op} request exceeds the ${CLIENT_FRAME_BYTES_MAX}-byte frame limit`));
      else this.retry(p, 20);
    }
  }

  private retry(p: Pending, delayMs: number): void {
    if (delayMs === 0) this.attempt(p);
    else setTimeout(() => this.attempt(p), delayMs);
  }

  private flushWaiting(): void {
    const waiting = this.waitingForLeader;
    this.waitingForLeader = [];
    for (const p of waiting) this.attempt(p);
  }

  private write<T>(command: Command): Promise<T> {
    const requestId = `${this.clientId}-${++this.seq}`;
    return this.call<T>({ op: 'write', command: { ...command, requestId } }, true);
  }

  async range(key: string, options: RangeOptions & { readonly serializable?: boolean } = {}): Promise<RangeResult> {
    const { serializable, ...rest } = options;
    return this.call<RangeResult>({ op: 'range', key, options: rest, serializable: serializable ?? false }, !serializable);
  }

  async put(key: string, value: Uint8Array, options: { readonly lease?: number; readonly prevKv?: boolean } = {}): Promise<PutResult> {
    return this.write<PutResult>({ t: 'put', key, value, ...options });
  }

  async delete(key: string, options: KeyRangeOptions & { readonly prevKv?: boolean } = {}): Promise<DeleteResult> {
    return this.write({ t: 'delete', key, ...options });
  }

  async txn(request: TxnRequest): Promise<TxnResult> {
    return this.write({ t: 'txn', ...request });
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

  async leaseTimeToLive(id: number): Promise<{ id: number; ttlSeconds: number; keys: string[] }> {
    return this.call({ op: 'leaseTimeToLive', leaseId: id }, true);
  }

  async status(): Promise<StoreStatus> {
    return this.call<StoreStatus>({ op: 'status' }, false);
  }

  /** Status of every replica that answers, for `endpoint status`. */
  async statusAll(): Promise<{ address: string; status?: StoreStatus; error?: string }[]> {
    return Promise.all(
      this.conns.map(async (c) => {
        try {
          return { address: c.address, status: await this.callOn<StoreStatus>(c, { op: 'status' }) };
        } catch (e) {
          return { address: c.address, error: (e as Error).message };
        }
      }),
    );
  }

  /** One request to one replica, no retries elsewhere (status of a given endpoint, hashes). */
  callOn<T>(c: Conn | string, body: Body, timeoutMs = 3000): Promise<T> {
    const conn = typeof c === 'string' ? this.conns.find((x) => x.address === c) : c;
    return new Promise<T>((resolve, reject) => {
      const started = Date.now();
      const go = (): void => {
        if (!conn) {
          reject(new StoreError('Unavailable', `unknown endpoint ${String(c)}`));
          return;
        }
        if (!conn.open) {
          if (conn.refused) reject(refusedError());
          else if (Date.now() - started > timeoutMs) reject(new StoreError('Unavailable', `endpoint ${conn.address} is not reachable`));
          else setTimeout(go, 20);
          return;
        }
        const id = ++this.reqSeq;
        const timer = setTimeout(() => {
          conn.inflight.delete(id);
          reject(new StoreError('Timeout', `endpoint ${conn.address} did not answer`));
        }, timeoutMs);
        conn.inflight.set(id, {
          body,
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
          deadline: started + timeoutMs,
          toLeader: false,
          conn,
          timer: undefined,
          attempts: 1,
        });
        this.send(conn, { ...body, id });
      };
      go();
    });
  }

  /** Any request to the leader (membership, snapshots, leadership transfer). */
  request<T>(body: Body): Promise<T> {
    return this.call<T>(body, true);
  }

  get endpoints(): string[] {
    return this.conns.map((c) => c.address);
  }

  watch(key: string, options: StoreWatchOptions = {}): StoreWatch {
    const w = new ClientWatch<Conn>(this, key, options);
    w.restart();
    return w;
  }

  /**
   * @internal (ClientWatchHost): sends start `w.generation` of a watch to some replica. Only
   * that start's answer may attach. If the replica does not answer within the attempt timeout,
   * the watch restarts elsewhere and this start is abandoned: when its answer does come, the
   * watch it made is cancelled on that replica rather than left running there unread. If the
   * connection dies first, the replica has ended the watch itself.
   */
  startWatch(w: ClientWatch<Conn>, body: Body, avoid?: Conn): void {
    const c = this.pick(false, avoid);
    if (!c) {
      this.watchesWithoutConn.add(w);
      return;
    }
    this.watchesWithoutConn.delete(w);
    const generation = w.generation;
    let abandoned = false;
    const current = (): boolean => !abandoned && !w.isDone && w.generation === generation;
    const id = ++this.reqSeq;
    const timer = setTimeout(() => {
      if (!c.inflight.has(id) || !current()) return;
      abandoned = true;
      w.restart(c);
    }, this.attemptTimeoutMs);
    timer.unref();
    const pending: Pending = {
      body,
      resolve: (v) => {
        clearTimeout(timer);
        const watchId = (v as { watchId: number }).watchId;
        const early = c.early.get(watchId) ?? [];
        c.early.delete(watchId);
        if (abandoned || !w.attach(c, watchId, generation)) {
          this.cancelOnServer(c, watchId, early);
          return;
        }
        c.watches.set(watchId, w);
        for (const r of early) w.onResponse(r);
      },
      reject: (e) => {
        clearTimeout(timer);
        if (current()) w.fail(e);
      },
      lost: () => {
        clearTimeout(timer);
        // Retryable answers come from a replica in trouble: give it a moment before trying again.
        if (current()) setTimeout(() => w.generation === generation && w.restart(), 25).unref();
      },
      deadline: Date.now() + this.requestTimeoutMs,
      toLeader: false,
      conn: c,
      timer: undefined,
      attempts: 1,
    };
    c.inflight.set(id, pending);
    if (this.send(c, { ...body, id }) !== true) {
      c.inflight.delete(id);
      clearTimeout(timer);
      this.watchesWithoutConn.add(w);
    }
  }

  /**
   * Cancels a watch on the replica behind `c` that nobody here reads; its frames until its last
   * (`cancelled`) are dropped. `early`: frames of it already received (none needed if it ended).
   */
  private cancelOnServer(c: Conn, watchId: number, early: readonly WatchResponse[] = []): void {
    if (early.some((r) => r.kind === 'cancelled')) return;
    if (!c.open) return;
    c.cancelling.add(watchId);
    this.send(c, { id: ++this.reqSeq, op: 'cancelWatch', watchId });
  }

  /** @internal (ClientWatchHost) */
  detachWatch(c: Conn, watchId: number, cancelOnServer: boolean): void {
    c.watches.delete(watchId);
    if (cancelOnServer) this.cancelOnServer(c, watchId);
  }

  /** @internal (ClientWatchHost) */
  requestWatchProgress(c: Conn, watchId: number): void {
    this.send(c, { id: ++this.reqSeq, op: 'progress', watchId });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepaliveTimer);
    const err = new StoreError('Closed', 'store client is closed');
    for (const c of this.conns) {
      for (const p of c.inflight.values()) p.reject(err);
      c.inflight.clear();
      for (const w of c.watches.values()) w.fail(err);
      c.ws?.terminate();
    }
    for (const p of this.waitingForLeader) p.reject(err);
    this.waitingForLeader = [];
    for (const w of this.watchesWithoutConn) w.fail(err);
    this.watchesWithoutConn.clear();
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }
}

function refusedError(): StoreError {
  return new StoreError('Unavailable', 'the store refused this client (401 Unauthorized): it needs the cluster secret (--client-auth secret on the replicas)');
}
