import { type WebSocket, WebSocketServer } from 'ws';
import { type ClientRequest, decodeRequest, encodeFrame } from '../../../../raft/client/protocol.js';

export type WatchMode = 'answer' | 'hang-up';

/**
 * A scripted fake replica on loopback for the store client's tests: says replica 1 leads,
 * answers status, serves watches as told, and records every request it gets. It plays the
 * cases a real cluster only hits by chance: a replica gone silent with its socket open, one
 * that dies between receiving a watch and answering it, one slower to answer than the client
 * waits.
 */
export class FakeReplica {
  readonly watchStarts: number[] = [];
  /** Every request received, in order. */
  readonly requests: ClientRequest[] = [];
  watchMode: WatchMode = 'answer';
  /** Holds each watch answer (its `created` frame and its reply) this long. */
  watchAnswerDelayMs = 0;
  /** Answers nothing at all (no pong, no reply) while set: a paused process. */
  silent = false;
  private readonly server: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly watchIds = new Map<WebSocket, number[]>();
  private nextWatchId = 100;

  private constructor(
    readonly id: number,
    server: WebSocketServer,
  ) {
    this.server = server;
    server.on('connection', (ws) => this.accept(ws));
  }

  static async start(id: number): Promise<FakeReplica> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return new FakeReplica(id, server);
  }

  get address(): string {
    const a = this.server.address();
    if (typeof a === 'string' || a === null) throw new Error('no address');
    return `127.0.0.1:${a.port}`;
  }

  /** The watch ids this replica serves now, over all connections. */
  get liveWatches(): number[] {
    return [...this.watchIds.values()].flat();
  }

  /** Requests of one op, in order. */
  requestsOf<Op extends ClientRequest['op']>(op: Op): Extract<ClientRequest, { op: Op }>[] {
    return this.requests.filter((r): r is Extract<ClientRequest, { op: Op }> => r.op === op);
  }

  /** Sends one revision's event to every watch this replica serves. */
  emit(revision: number): void {
    for (const [ws, ids] of this.watchIds)
      for (const w of ids)
        this.send(ws, {
          w,
          r: {
            kind: 'events',
            watchId: w,
            revision,
            events: [{ type: 'put', kv: { key: 'k', value: new Uint8Array([1]), createRevision: revision, modRevision: revision, version: 1, lease: 0 } }],
          },
        });
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.watchIds.delete(ws);
    });
    ws.on('ping', () => {
      if (!this.silent) ws.pong();
    });
    this.send(ws, { leader: 1, term: 1 });
    ws.on('message', (data: Buffer) => {
      if (this.silent) return;
      const req = decodeRequest(data);
      this.requests.push(req);
      if (req.op === 'status') this.send(ws, { id: req.id, ok: true, result: { id: this.id, leader: 1, term: 1 } });
      else if (req.op === 'watch') this.watch(ws, req);
      else if (req.op === 'cancelWatch') {
        const ids = this.watchIds.get(ws) ?? [];
        const owned = ids.includes(req.watchId);
        if (owned) {
          this.watchIds.set(
            ws,
            ids.filter((id) => id !== req.watchId),
          );
          this.send(ws, { w: req.watchId, r: { kind: 'cancelled', watchId: req.watchId, reason: 'cancelled by the client' } });
        }
        this.send(ws, { id: req.id, ok: true, result: { cancelled: owned } });
      } else if (req.op === 'progress') {
        const owned = (this.watchIds.get(ws) ?? []).includes(req.watchId);
        if (owned) this.send(ws, { w: req.watchId, r: { kind: 'progress', watchId: req.watchId, revision: 1 } });
        this.send(ws, { id: req.id, ok: true, result: { sent: owned } });
      } else this.send(ws, { id: req.id, ok: true, result: {} });
    });
  }

  private watch(ws: WebSocket, req: Extract<ClientRequest, { op: 'watch' }>): void {
    this.watchStarts.push(req.options.startRevision ?? 0);
    if (this.watchMode === 'hang-up') {
      ws.terminate();
      return;
    }
    const watchId = this.nextWatchId++;
    const answer = (): void => {
      this.watchIds.set(ws, [...(this.watchIds.get(ws) ?? []), watchId]);
      this.send(ws, { w: watchId, r: { kind: 'created', watchId, revision: 1 } });
      this.send(ws, { id: req.id, ok: true, result: { watchId } });
    };
    if (this.watchAnswerDelayMs > 0) setTimeout(answer, this.watchAnswerDelayMs);
    else answer();
  }

  private send(ws: WebSocket, frame: unknown): void {
    if (ws.readyState === ws.OPEN) ws.send(encodeFrame(frame));
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
