import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import WebSocket from 'ws';
import type { Message, NodeId } from '../core/types.js';
import { Backoff } from './backoff.js';
import { OutgoingTransfer } from './chunk-sender.js';
import { encodeFrame, FRAME_VERSION } from './codec.js';
import { CLOSE_CODES, HANDSHAKE_TIMEOUT_MS_DEFAULT, type HandshakeIdentity } from './handshake.js';
import { Outbox } from './outbox.js';
import { PeerListener } from './peer-listener.js';
import type { MessageHandler, PeerStats, Transport, TransportLimits, TransportStats, UnreachableHandler } from './transport.js';
import { transportLimits } from './transport.js';
import { type AuthFailureReason, TransportCounters } from './transport-stats.js';
import { type ConnectionHooks, type ConnectionSettings, WsConnection } from './ws-connection.js';

/**
 * The transport over WebSockets (`ws`), one link per pair of replicas.
 *
 * Topology: every replica listens on its peer port (127.0.0.1 by default) and the replica with the
 * LOWER id dials the higher one; the higher one only accepts, and refuses a link dialed the other
 * way (close 4004). So there is exactly one link per pair with no tie-breaking race, and each
 * end knows which side must act after a failure: the dialer redials with exponential backoff and
 * jitter (50 ms → 2 s by default), the acceptor waits. Messages for a peer wait in its bounded
 * queue (outbox.ts) while its link is down and go out, in order, once it is back. A newer
 * authenticated link from a peer replaces an older one (the peer restarted before the old socket
 * noticed); addresses of peers we only accept from are kept but unused.
 *
 * Each link runs the handshake of handshake.ts before anything else (see ws-connection.ts).
 * Writes are paced by the socket: while more than `socketBufferedBytesMax` bytes wait in a link's
 * socket buffer, further batches stay in the bounded queue instead, so a slow or paused peer
 * costs bounded memory. Incoming frames are capped by ws `maxPayload` = `frameBytesMax`, and at
 * most `pendingHandshakesMax` unauthenticated connections are held at once.
 *
 * A snapshot message too large for a frame (up to `snapshotBytesMax`) goes as a chunked transfer
 * (chunk-sender.ts): one at a time per peer, its chunk frames alternating with batches from the
 * queue, each pass yielding to the event loop once the socket buffer is full, so heartbeats keep
 * flowing during a transfer of hundreds of MiB. If the link drops mid-transfer the message is
 * lost (counted `linkLost`, the peer reported unreachable, so Raft retries the snapshot); the
 * receiver drops its partial copy with the link.
 */

export interface WsTransportOptions {
  readonly id: NodeId;
  readonly clusterId: string;
  /** The cluster secret (`loadSecret`). */
  readonly secret: Uint8Array;
  readonly logger: Logger;
  /** The address to listen on for peers; default 127.0.0.1. */
  readonly host?: string;
  /** The peer port; default 0: any free port, read it from `address()` after `start()`. */
  readonly port?: number;
  /** Initial peers: id → address, `host:port` or `ws://host:port`. */
  readonly peers?: Iterable<readonly [NodeId, string]>;
  readonly limits?: Partial<TransportLimits>;
  readonly handshakeTimeoutMs?: number;
  readonly keepaliveIntervalMs?: number;
  readonly reconnectDelayMinMs?: number;
  readonly reconnectDelayMaxMs?: number;
  readonly socketBufferedBytesMax?: number;
  readonly pendingHandshakesMax?: number;
  /** A receiver abandons a chunked transfer with no chunk for this long; default 30 s. */
  readonly transferIdleTimeoutMs?: number;
  /** Jitter for redial delays, in [0, 1). */
  readonly random?: () => number;
  /** If given, the transport registers its `picokube_store_peer_*` metrics in it. */
  readonly registry?: Registry;
}

interface Peer {
  readonly id: NodeId;
  address: string;
  /** We dial it (its id is higher than ours); otherwise it dials us. */
  readonly dials: boolean;
  /** The authenticated link, if any. */
  link: WsConnection | undefined;
  /** A dial whose handshake is not done yet (dialing peers only). */
  dialing: WsConnection | undefined;
  redialTimer: NodeJS.Timeout | undefined;
  readonly backoff: Backoff;
  /** The chunked transfer being written to `link`, if any. */
  transfer: { readonly out: OutgoingTransfer; readonly conn: WsConnection } | undefined;
}

export class WsTransport implements Transport {
  private readonly id: NodeId;
  private readonly options: WsTransportOptions;
  private readonly limits: TransportLimits;
  private readonly log: Logger;
  private readonly counters: TransportCounters;
  private readonly outbox: Outbox;
  private readonly settings: ConnectionSettings;
  private readonly peers = new Map<NodeId, Peer>();
  private readonly pending = new Set<WsConnection>();
  private readonly handlers: MessageHandler[] = [];
  private listener: PeerListener | undefined;
  private state: 'new' | 'starting' | 'started' | 'closed' = 'new';
  private closing: Promise<void> | undefined;
  private nextTransferId = 1;
  private reassemblyHeld = 0;

  constructor(options: WsTransportOptions) {
    this.id = options.id;
    this.options = options;
    this.limits = transportLimits(options.limits);
    this.log = options.logger.child({ component: 'peer-transport', replica: options.id });
    this.counters = new TransportCounters({ peers: () => this.peerStats() }, options.registry);
    this.outbox = new Outbox(
      this.id,
      this.limits,
      this.counters,
      (peer) => this.flushPeer(peer),
      (peer) => this.peers.get(peer)?.transfer !== undefined,
    );
    const identity: HandshakeIdentity = { selfId: options.id, clusterId: options.clusterId, secret: options.secret };
    this.settings = {
      identity,
      frameBytesMax: this.limits.frameBytesMax,
      snapshotBytesMax: this.limits.snapshotBytesMax,
      transferIdleTimeoutMs: options.transferIdleTimeoutMs ?? 30_000,
      onReassemblyHeld: (delta) => {
        this.reassemblyHeld += delta;
      },
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS_DEFAULT,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 5000,
      counters: this.counters,
      logger: this.log,
    };
    for (const [id, address] of options.peers ?? []) this.addPeer(id, address);
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`transport ${this.id}: start() called when ${this.state}`);
    this.state = 'starting';
    const listener = new PeerListener({
      host: this.options.host ?? '127.0.0.1',
      port: this.options.port ?? 0,
      frameBytesMax: this.limits.frameBytesMax,
      upgradeTimeoutMs: this.settings.handshakeTimeoutMs,
      logger: this.log,
      onConnection: (ws) => this.accept(ws),
    });
    this.listener = listener;
    try {
      await listener.listen();
    } catch (err) {
      this.state = 'closed';
      await listener.close();
      throw err;
    }
    if (this.state !== 'starting') {
      await listener.close(); // close() was called while binding
      return;
    }
    this.state = 'started';
    const { port } = this.address();
    this.log.info({ port }, 'listening for peers');
    for (const peer of this.peers.values()) if (peer.dials) this.dial(peer);
  }

  /** Where peers reach this replica; only after `start()`. */
  address(): { readonly host: string; readonly port: number } {
    if (!this.listener) throw new Error(`transport ${this.id} is not listening`);
    return this.listener.address();
  }

  send(msgs: readonly Message[]): void {
    this.outbox.enqueue(msgs);
  }

  onMessage(handler: MessageHandler): void {
    this.handlers.push(handler);
  }

  onUnreachable(handler: UnreachableHandler): void {
    this.outbox.onUnreachable(handler);
  }

  addPeer(id: NodeId, address: string): void {
    if (this.state === 'closed' || id === this.id) return;
    const existing = this.peers.get(id);
    if (existing) {
      if (existing.address === address) return;
      existing.address = address;
      // The dial in progress or the link goes to the old address: close it; `closed` redials.
      if (existing.dials) (existing.link ?? existing.dialing)?.close(CLOSE_CODES.goingAway, 'peer address changed');
      return;
    }
    const { reconnectDelayMinMs = 50, reconnectDelayMaxMs = 2000, random } = this.options;
    const backoff = new Backoff(reconnectDelayMinMs, reconnectDelayMaxMs, random);
    const peer: Peer = { id, address, dials: id > this.id, link: undefined, dialing: undefined, redialTimer: undefined, backoff, transfer: undefined };
    this.peers.set(id, peer);
    this.outbox.addPeer(id);
    if (this.state === 'started' && peer.dials) this.dial(peer);
  }

  removePeer(id: NodeId): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    this.outbox.removePeer(id);
    if (peer.transfer) this.counters.drop('linkLost');
    peer.transfer = undefined;
    if (peer.redialTimer) clearTimeout(peer.redialTimer);
    peer.redialTimer = undefined;
    peer.link?.close(CLOSE_CODES.peerRemoved, 'peer removed from the cluster');
    peer.dialing?.close(CLOSE_CODES.peerRemoved, 'peer removed from the cluster');
  }

  stats(): TransportStats {
    return this.counters.snapshot();
  }

  /** Handshake failures by reason; `stats().authFailures` is their sum. */
  authFailuresByReason(): ReadonlyMap<AuthFailureReason, number> {
    return this.counters.authFailuresByReason();
  }

  /**
   * Bytes this transport holds for chunked transfers it is receiving, over all links. At most one
   * transfer per link, each within `snapshotBytesMax`; 0 once they complete, fail or their link drops.
   */
  reassemblyBytesHeld(): number {
    return this.reassemblyHeld;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closed';
    this.outbox.close();
    const conns: WsConnection[] = [...this.pending];
    for (const peer of this.peers.values()) {
      if (peer.redialTimer) clearTimeout(peer.redialTimer);
      peer.redialTimer = undefined;
      if (peer.transfer) this.counters.drop('closed');
      peer.transfer = undefined;
      if (peer.link) conns.push(peer.link);
      if (peer.dialing) conns.push(peer.dialing);
    }
    for (const conn of conns) conn.close(CLOSE_CODES.goingAway, 'replica shutting down');
    await Promise.all(conns.map((c) => c.done));
    await this.listener?.close();
    this.log.info('peer transport closed');
  }

  // ---- links ----------------------------------------------------------------------------------

  private accept(ws: WebSocket): void {
    if (this.state !== 'started') {
      ws.terminate();
      return;
    }
    if (this.pending.size >= (this.options.pendingHandshakesMax ?? 16)) {
      this.log.warn('too many pending peer handshakes; refusing a connection');
      ws.close(CLOSE_CODES.busy, 'too many pending handshakes');
      return;
    }
    const policy = (id: NodeId): 'unknownPeer' | 'wrongDirection' | undefined => {
      const peer = this.peers.get(id);
      if (!peer) return 'unknownPeer';
      return peer.dials ? 'wrongDirection' : undefined;
    };
    const conn = new WsConnection(ws, { kind: 'acceptor', policy }, this.settings, this.hooks);
    this.pending.add(conn);
  }

  private dial(peer: Peer): void {
    if (this.state !== 'started' || this.peers.get(peer.id) !== peer || peer.link || peer.dialing) return;
    const url = /^wss?:\/\//.test(peer.address) ? peer.address : `ws://${peer.address}`;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, { maxPayload: this.limits.frameBytesMax, perMessageDeflate: false });
    } catch (err) {
      this.log.error({ peer: peer.id, url, err: err instanceof Error ? err.message : String(err) }, 'cannot dial peer');
      this.redial(peer);
      return;
    }
    peer.dialing = new WsConnection(ws, { kind: 'dialer', peerId: peer.id }, this.settings, this.hooks);
  }

  private redial(peer: Peer): void {
    if (this.state !== 'started' || this.peers.get(peer.id) !== peer || peer.redialTimer) return;
    peer.redialTimer = setTimeout(() => {
      peer.redialTimer = undefined;
      this.dial(peer);
    }, peer.backoff.nextDelayMs());
  }

  private readonly hooks: ConnectionHooks = {
    opened: (conn) => {
      this.pending.delete(conn);
      const peer = conn.peerId === undefined ? undefined : this.peers.get(conn.peerId);
      if (this.state !== 'started' || !peer) {
        conn.close(CLOSE_CODES.peerRemoved, 'peer is not a member');
        return;
      }
      if (peer.dialing === conn) peer.dialing = undefined;
      if (peer.link && peer.link !== conn) peer.link.close(CLOSE_CODES.replaced, 'replaced by a newer link');
      peer.link = conn;
      peer.backoff.reset();
      this.log.info({ peer: peer.id }, 'peer link up');
      this.outbox.schedule();
    },
    received: (_conn, msgs) => {
      if (this.state === 'closed') return;
      this.counters.inc('messagesReceived', msgs.length);
      for (const m of msgs) {
        if (this.handlers.length === 0) this.counters.drop('noHandler');
        for (const handler of this.handlers) handler(m);
      }
    },
    closed: (conn, wasOpen) => {
      this.pending.delete(conn);
      for (const peer of this.peers.values()) {
        if (peer.dialing !== conn && peer.link !== conn) continue;
        if (peer.dialing === conn) peer.dialing = undefined;
        if (peer.transfer?.conn === conn) this.abandonTransfer(peer);
        if (peer.link === conn) {
          peer.link = undefined;
          this.log.info({ peer: peer.id }, 'peer link down');
          if (wasOpen) this.outbox.reportUnreachable(peer.id);
        }
        if (peer.dials) this.redial(peer);
      }
    },
  };

  /**
   * Writes to the peer's link while its socket buffer has room: a batch from the queue, then a
   * chunk of the transfer under way, and again; so neither starves the other. The write callback
   * of each frame schedules the next pass, which is how a transfer resumes once the socket drains.
   */
  private flushPeer(id: NodeId): void {
    const peer = this.peers.get(id);
    const conn = peer?.link;
    if (!peer || !conn?.isOpen) return;
    const bufferedMax = this.options.socketBufferedBytesMax ?? 4 * 1024 * 1024;
    while (conn.bufferedBytes < bufferedMax && this.peers.get(id) === peer && peer.link === conn) {
      const wroteBatch = this.writeBatch(peer, conn);
      const wroteChunk = conn.bufferedBytes < bufferedMax && this.writeChunk(peer, conn);
      if (!wroteBatch && !wroteChunk) return;
    }
  }

  /** Writes one batch from the queue; false if the queue is empty. */
  private writeBatch(peer: Peer, conn: WsConnection): boolean {
    const id = peer.id;
    const batch = this.outbox.takeBatch(id);
    if (!batch) return false;
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame({ v: FRAME_VERSION, kind: 'raft', msgs: batch });
    } catch (err) {
      this.log.error({ peer: id, err: err instanceof Error ? err.message : String(err) }, 'cannot encode a raft batch');
      this.outbox.lost(id, batch, 'tooLarge');
      return true;
    }
    if (bytes.byteLength > this.limits.frameBytesMax) {
      // messageBytesEstimate is an upper bound, so this is a bug there: never send what the peer must refuse.
      this.log.error({ peer: id, bytes: bytes.byteLength }, 'raft batch encodes larger than a frame; dropped');
      this.outbox.lost(id, batch, 'tooLarge');
      return true;
    }
    conn.write(bytes, (err) => {
      if (err) {
        this.outbox.lost(id, batch, 'linkLost');
        return;
      }
      this.counters.inc('framesSent');
      this.counters.inc('messagesSent', batch.length);
      if (this.outbox.queued(id).messages > 0 || peer.transfer) this.outbox.schedule();
    });
    return true;
  }

  /** Writes the next chunk of the peer's transfer, starting one if a large snapshot waits; false if none. */
  private writeChunk(peer: Peer, conn: WsConnection): boolean {
    const id = peer.id;
    if (peer.transfer && peer.transfer.conn !== conn) this.abandonTransfer(peer); // the link was replaced mid-transfer
    if (!peer.transfer) {
      const msg = this.outbox.takeLarge(id);
      if (!msg) return false;
      try {
        peer.transfer = { out: new OutgoingTransfer(this.nextTransferId++, msg, this.limits.snapshotChunkBytes), conn };
      } catch (err) {
        this.log.error({ peer: id, err: err instanceof Error ? err.message : String(err) }, 'cannot encode a snapshot message');
        this.outbox.lost(id, [msg], 'tooLarge');
        return true;
      }
      const { out } = peer.transfer;
      this.log.info({ peer: id, transfer: out.id, bytes: out.total, chunks: out.count }, 'sending a snapshot message in chunks');
    }
    const transfer = peer.transfer;
    const { out } = transfer;
    const bytes = out.next();
    const last = out.done;
    if (last) peer.transfer = undefined; // the rest is up to the socket; a failed write is still reported below
    conn.write(bytes, (err) => {
      if (err) {
        // The first failed chunk reports the loss; later ones of the same transfer find it gone.
        if (peer.transfer === transfer || last) this.abandonTransfer(peer, transfer);
        return;
      }
      this.counters.inc('framesSent');
      if (last) this.counters.inc('messagesSent');
      this.outbox.schedule();
    });
    return true;
  }

  /** The transfer's message is lost (its link broke): counted, and the peer reported unreachable. */
  private abandonTransfer(peer: Peer, transfer = peer.transfer): void {
    if (!transfer) return;
    if (peer.transfer === transfer) peer.transfer = undefined;
    this.log.warn({ peer: peer.id, transfer: transfer.out.id, sent: transfer.out.sent, chunks: transfer.out.count }, 'a chunked snapshot transfer was cut off');
    this.outbox.lost(peer.id, [transfer.out.msg], 'linkLost');
  }

  private peerStats(): ReadonlyMap<NodeId, PeerStats> {
    const out = new Map<NodeId, PeerStats>();
    for (const peer of this.peers.values()) {
      const q = this.outbox.queued(peer.id);
      out.set(peer.id, { connected: peer.link?.isOpen ?? false, queuedMessages: q.messages, queuedBytes: q.bytes });
    }
    return out;
  }
}
