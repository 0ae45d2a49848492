import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { isAuthorizedStoreClient } from '../client/client-auth.js';
import { sendCorked } from '../client/cork.js';
import { CLIENT_FRAME_BYTES_MAX, type ClientRequest, decodeRequest, encodeFrame, ProtocolError, type WireError } from '../client/protocol.js';
import { StoreError } from '../client/store-client.js';
import { parseCommand } from '../kv/commands.js';
import { KvError, toErrorData } from '../kv/errors.js';
import type { WatchResponse } from '../kv/watch-hub.js';
import type { ReplicaMetrics } from './metrics.js';
import type { Replica } from './replica.js';

/** A socket holding more than this unsent is a slow consumer: its watches pause. */
const SOCKET_BUFFER_BYTES_MAX = 8 * 1024 * 1024;

export interface ClientEndpointOptions {
  /**
   * When set, the store protocol is only for clients that prove this cluster secret on the
   * WebSocket upgrade (raft/client/client-auth.ts); others get 401 before any frame is read.
   * The HTTP probes (/healthz, /readyz, /metrics) stay open either way.
   */
  readonly clientSecret?: Uint8Array | undefined;
}

/**
 * The replica's client port: HTTP for /healthz, /readyz and /metrics, and the store protocol
 * (raft/client/protocol.ts) over WebSocket on the same port. Malformed frames are dropped and
 * counted; oversized ones close the connection; nothing a client sends can crash the replica.
 */
export class ClientEndpoint {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  /** Upgrades refused for a missing or wrong secret, since start. */
  refusedClients = 0;

  constructor(
    private readonly replica: Replica,
    private readonly metrics: ReplicaMetrics,
    private readonly logger: Logger,
    /** Bytes the replica holds on disk (WAL and snapshots), for status. */
    private readonly diskBytes: () => number,
    options: ClientEndpointOptions = {},
  ) {
    this.http = createServer((req, res) => void this.serveHttp(req, res));
    const secret = options.clientSecret;
    this.wss = new WebSocketServer({
      server: this.http,
      maxPayload: CLIENT_FRAME_BYTES_MAX,
      ...(secret
        ? {
            verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) => {
              if (isAuthorizedStoreClient(info.req.headers.authorization, secret)) return done(true);
              this.refusedClients++;
              // One line per burst, not per attempt: a misconfigured client retries every second.
              if (this.refusedClients === 1 || this.refusedClients % 100 === 0) {
                this.logger.warn({ remote: info.req.socket.remoteAddress, refused: this.refusedClients }, 'refused a store client without the cluster secret');
              }
              done(false, 401, 'Unauthorized', { 'WWW-Authenticate': 'Bearer realm="picokube-store"' });
            },
          }
        : {}),
    });
    this.wss.on('connection', (ws) => this.accept(ws));
    replica.onLeaderChange((leader, term) => {
      const frame = encodeFrame({ leader, term });
      for (const ws of this.sockets) if (ws.readyState === WebSocket.OPEN) ws.send(frame);
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => resolve((this.http.address() as AddressInfo).port));
    });
  }

  private async serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (path === '/readyz') {
      const ready = this.replica.ready;
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok' : 'not ready: no leader known, or behind the commit index');
    } else if (path === '/metrics') {
      this.metrics.observe(this.replica);
      res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(await this.metrics.registry.metrics());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    const watches = new Map<number, NodeJS.Timeout | undefined>();
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.metrics.clientOversizedFrames.inc();
      else this.metrics.clientMalformedFrames.inc();
    });
    ws.on('close', () => {
      this.sockets.delete(ws);
      for (const [id, timer] of watches) {
        if (timer) clearInterval(timer);
        this.replica.hub.cancel(id, 'client went away');
      }
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        this.metrics.clientMalformedFrames.inc();
        return;
      }
      let req: ClientRequest;
      try {
        req = decodeRequest(toBytes(data));
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.metrics.clientMalformedFrames.inc();
        return;
      }
      void this.dispatch(ws, req, watches);
    });
    ws.send(encodeFrame({ leader: this.replica.leader, term: this.replica.node.raft.term }));
  }

  private async dispatch(ws: WebSocket, req: ClientRequest, watches: Map<number, NodeJS.Timeout | undefined>): Promise<void> {
    let code = 'OK';
    try {
      const result = await this.handle(ws, req, watches);
      send(ws, { id: req.id, ok: true, result });
    } catch (e) {
      const error = toWireError(e);
      code = error.code;
      if (error.code === 'Internal') this.logger.error({ err: e, op: req.op }, 'client request failed');
      send(ws, { id: req.id, ok: false, error });
    }
    this.metrics.clientRequests.inc({ op: req.op, code });
  }

  private async handle(ws: WebSocket, req: ClientRequest, watches: Map<number, NodeJS.Timeout | undefined>): Promise<unknown> {
    const r = this.replica;
    switch (req.op) {
      case 'range': {
        if (typeof req.key !== 'string') throw new StoreError('InvalidRequest', 'range needs a string key');
        if (!req.serializable) await r.readBarrier();
        return r.store.range(req.key, req.options ?? {});
      }
      case 'write': {
        const outcome = await r.propose(parseCommand(req.command));
        if (!outcome.ok) throw outcome.error;
        return outcome.result;
      }
      case 'watch': {
        if (typeof req.key !== 'string') throw new StoreError('InvalidRequest', 'watch needs a string key');
        // `watches` holds this connection's live watches (with a drain timer while one is paused).
        let over = false;
        const sink = {
          send: (resp: WatchResponse): boolean => {
            const open = ws.readyState === WebSocket.OPEN;
            if (open) sendCorked(ws, encodeFrame({ w: resp.watchId, r: resp }));
            if (resp.kind === 'cancelled') {
              over = true;
              const t = watches.get(resp.watchId);
              if (t) clearInterval(t);
              watches.delete(resp.watchId);
              return true;
            }
            if (!open || ws.bufferedAmount <= SOCKET_BUFFER_BYTES_MAX) return true;
            // Resume the watch once the socket drains; the hub buffers or pauses meanwhile.
            if (!watches.get(resp.watchId)) {
              const id = resp.watchId;
              const timer = setInterval(() => {
                if (ws.bufferedAmount > SOCKET_BUFFER_BYTES_MAX / 2) return;
                clearInterval(timer);
                watches.set(id, undefined);
                this.replica.hub.resume(id);
              }, 20);
              watches.set(id, timer);
            }
            return false;
          },
        };
        const watchId = r.hub.watch(req.key, req.options ?? {}, sink);
        // A watch that ended inside watch() (a failing sink) is not this connection's to hold.
        if (!over && !watches.has(watchId)) watches.set(watchId, undefined);
        return { watchId };
      }
      // A connection may cancel or ask progress of its own watches only; another's id is unknown here.
      case 'cancelWatch':
        return { cancelled: watches.has(req.watchId) && r.hub.cancel(req.watchId) };
      case 'progress':
        return { sent: watches.has(req.watchId) && r.hub.requestProgress(req.watchId) };
      case 'status':
        return this.status();
      case 'leaseTimeToLive':
        await r.readBarrier();
        return r.store.leaseTimeToLive(req.leaseId);
      case 'leases':
        await r.readBarrier();
        return r.store.leases();
      case 'memberAdd':
        await r.memberAdd(req.memberId, req.peerAddress, req.clientAddress, req.learner);
        return this.status();
      case 'memberPromote':
        await r.memberPromote(req.memberId);
        return this.status();
      case 'memberRemove':
        await r.memberRemove(req.memberId);
        return this.status();
      case 'snapshot':
        await r.readBarrier();
        return r.snapshotNow();
      case 'transferLeader':
        if (!r.transferLeader(req.to)) throw r.notLeaderError();
        return { transferring: req.to };
      case 'hash':
        return r.store.hash(req.revision ?? 0);
    }
  }

  status(): unknown {
    const r = this.replica;
    const raft = r.node.raft;
    const conf = raft.conf;
    const members = r.members.list().map((m) => ({ ...m, name: `store-${m.id}`, isLearner: conf.learners.includes(m.id) }));
    return {
      id: r.id,
      leader: raft.lead,
      term: raft.term,
      role: raft.role,
      revision: r.store.revision,
      compactRevision: r.store.compactRevision,
      raftIndex: raft.log.lastIndex(),
      raftCommitIndex: raft.log.committed,
      raftAppliedIndex: r.applied,
      dbSizeBytes: this.diskBytes(),
      voters: conf.voters,
      learners: conf.learners,
      members,
    };
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

function toBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

function send(ws: WebSocket, frame: unknown): void {
  if (ws.readyState === WebSocket.OPEN) sendCorked(ws, encodeFrame(frame));
}

function toWireError(e: unknown): WireError {
  if (e instanceof StoreError) return { code: e.code, message: e.message, details: { ...e.details } };
  if (e instanceof KvError) {
    const data = toErrorData(e);
    return { code: data.code, message: e.message, details: { ...data } };
  }
  return { code: 'Internal', message: (e as Error)?.message ?? String(e) };
}
