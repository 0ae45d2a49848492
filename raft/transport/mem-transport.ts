import type { Registry } from 'prom-client';
import type { Message, NodeId } from '../core/types.js';
import { decodeFrame, encodeFrame, FRAME_VERSION, FrameError } from './codec.js';
import { Outbox } from './outbox.js';
import type { MessageHandler, PeerStats, Transport, TransportLimits, TransportStats, UnreachableHandler } from './transport.js';
import { transportLimits } from './transport.js';
import { TransportCounters } from './transport-stats.js';

/**
 * The in-memory twin of ws-transport.ts, for tests of the server and anything above the
 * transport: several `MemTransport`s linked through one `MemHub`, which can cut and heal links.
 *
 * It keeps the contract of the port (transport.ts) the same way the real one does: the same
 * bounded per-peer queues and per-turn batching (outbox.ts), and every batch goes through the
 * real codec, so messages are copied as on the wire and a message the codec would refuse fails
 * here too. A link from A to B is up when both are started and not closed, each has the other as
 * a peer (as the handshake requires), and the hub has not cut A → B. While it is down, A's
 * messages for B wait in A's queue within its bounds; when it goes down, A gets an unreachable
 * report for B. Addresses are accepted and ignored: the hub routes by replica id.
 *
 * Unlike a socket, delivery happens in the sender's flush pass, synchronously: nothing is ever
 * in flight, so a cut loses only what the queue bounds drop. A snapshot too large for a frame
 * (the ws transport would chunk it) goes as one frame checked against `snapshotBytesMax` instead.
 */
export class MemHub {
  private readonly members = new Map<NodeId, MemTransport>();
  private readonly cuts = new Set<string>();
  private readonly defaultLimits: Partial<TransportLimits>;

  constructor(options: { readonly limits?: Partial<TransportLimits> } = {}) {
    this.defaultLimits = options.limits ?? {};
  }

  /**
   * A new transport for replica `id` on this hub. A closed transport's id can be reused (a
   * restarted replica); an open one's cannot.
   */
  transport(
    id: NodeId,
    options: { readonly peers?: Iterable<readonly [NodeId, string]>; readonly limits?: Partial<TransportLimits>; readonly registry?: Registry } = {},
  ): MemTransport {
    const existing = this.members.get(id);
    if (existing && !existing.isClosed) throw new Error(`mem hub: replica ${id} already has an open transport`);
    const t = new MemTransport(this, id, transportLimits({ ...this.defaultLimits, ...options.limits }), options.registry);
    this.members.set(id, t);
    for (const [peer, address] of options.peers ?? []) t.addPeer(peer, address);
    return t;
  }

  /** Cuts the link between `a` and `b` both ways. */
  cut(a: NodeId, b: NodeId): void {
    this.cuts.add(linkKey(a, b));
    this.cuts.add(linkKey(b, a));
    this.refresh();
  }

  /** Cuts only `from` → `to`: `to` still reaches `from`. */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.cuts.add(linkKey(from, to));
    this.refresh();
  }

  /** Cuts every link to and from `id`. */
  isolate(id: NodeId): void {
    for (const other of this.members.keys()) if (other !== id) this.cut(id, other);
  }

  heal(a: NodeId, b: NodeId): void {
    this.cuts.delete(linkKey(a, b));
    this.cuts.delete(linkKey(b, a));
    this.refresh();
  }

  healAll(): void {
    this.cuts.clear();
    this.refresh();
  }

  /** Whether a batch from `from` would reach `to` now. */
  linkUp(from: NodeId, to: NodeId): boolean {
    const a = this.members.get(from);
    const b = this.members.get(to);
    if (!a || !b || this.cuts.has(linkKey(from, to))) return false;
    return a.isRunning && b.isRunning && a.hasPeer(to) && b.hasPeer(from);
  }

  /** @internal Hands an encoded batch from `from` to `to`'s transport; `large`: a snapshot the ws transport would chunk. */
  deliver(from: NodeId, to: NodeId, frame: Uint8Array, large = false): void {
    this.members.get(to)?.receiveFrame(from, frame, large);
  }

  /** @internal Every transport recomputes which of its links are up. */
  refresh(): void {
    for (const t of this.members.values()) t.refreshLinks();
  }
}

export class MemTransport implements Transport {
  readonly id: NodeId;
  private readonly hub: MemHub;
  private readonly limits: TransportLimits;
  private readonly counters: TransportCounters;
  private readonly outbox: Outbox;
  private readonly handlers: MessageHandler[] = [];
  private readonly peers = new Map<NodeId, string>();
  private readonly up = new Set<NodeId>();
  private state: 'new' | 'started' | 'closed' = 'new';

  /** Use `MemHub.transport`. */
  constructor(hub: MemHub, id: NodeId, limits: TransportLimits, registry?: Registry) {
    this.hub = hub;
    this.id = id;
    this.limits = limits;
    this.counters = new TransportCounters({ peers: () => this.peerStats() }, registry);
    this.outbox = new Outbox(id, limits, this.counters, (peer) => this.flushPeer(peer));
  }

  get isRunning(): boolean {
    return this.state === 'started';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  hasPeer(id: NodeId): boolean {
    return this.peers.has(id);
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`transport ${this.id}: start() called when ${this.state}`);
    this.state = 'started';
    this.hub.refresh();
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
    this.peers.set(id, address);
    this.outbox.addPeer(id);
    this.hub.refresh();
  }

  removePeer(id: NodeId): void {
    if (!this.peers.delete(id)) return;
    this.outbox.removePeer(id);
    this.up.delete(id);
    this.hub.refresh();
  }

  stats(): TransportStats {
    return this.counters.snapshot();
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.outbox.close();
    this.up.clear();
    this.hub.refresh();
  }

  /** @internal Called by the hub after any change of topology. */
  refreshLinks(): void {
    if (this.state === 'closed') return;
    for (const peer of this.peers.keys()) {
      const isUp = this.hub.linkUp(this.id, peer);
      if (isUp === this.up.has(peer)) continue;
      if (isUp) {
        this.up.add(peer);
        this.outbox.schedule();
      } else {
        this.up.delete(peer);
        this.outbox.reportUnreachable(peer);
      }
    }
  }

  /** @internal A batch from the hub: decoded and checked as a socket's would be. */
  receiveFrame(from: NodeId, bytes: Uint8Array, large = false): void {
    if (this.state !== 'started') return;
    let msgs: readonly Message[];
    try {
      const frame = decodeFrame(bytes, large ? this.limits.snapshotBytesMax : this.limits.frameBytesMax);
      if (frame.kind !== 'raft') throw new FrameError('shape', `unexpected ${frame.kind} frame`);
      if (large && (frame.msgs.length !== 1 || frame.msgs[0]?.type !== 'snap')) throw new FrameError('shape', 'a large frame carries one snapshot');
      msgs = frame.msgs;
    } catch (err) {
      this.counters.inc(err instanceof FrameError && err.reason === 'oversized' ? 'oversizedFrames' : 'malformedFrames');
      return;
    }
    this.counters.inc('framesReceived');
    const valid = msgs.filter((m) => m.from === from && m.to === this.id);
    this.counters.drop('wrongSender', msgs.length - valid.length);
    this.counters.inc('messagesReceived', valid.length);
    for (const m of valid) {
      if (this.handlers.length === 0) this.counters.drop('noHandler');
      for (const handler of this.handlers) handler(m);
    }
  }

  private flushPeer(peer: NodeId): void {
    for (;;) {
      // Checked per batch: a handler run by the delivery may have cut the link or closed us.
      if (this.state !== 'started' || !this.hub.linkUp(this.id, peer)) return;
      const batch = this.outbox.takeBatch(peer);
      if (!batch) break;
      let bytes: Uint8Array;
      try {
        bytes = encodeFrame({ v: FRAME_VERSION, kind: 'raft', msgs: batch });
      } catch {
        this.outbox.lost(peer, batch, 'tooLarge');
        continue;
      }
      this.counters.inc('framesSent');
      this.counters.inc('messagesSent', batch.length);
      this.hub.deliver(this.id, peer, bytes);
    }
    const large = this.state === 'started' && this.hub.linkUp(this.id, peer) ? this.outbox.takeLarge(peer) : undefined;
    if (!large) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame({ v: FRAME_VERSION, kind: 'raft', msgs: [large] });
    } catch {
      this.outbox.lost(peer, [large], 'tooLarge');
      return;
    }
    this.counters.inc('framesSent');
    this.counters.inc('messagesSent');
    this.hub.deliver(this.id, peer, bytes, true);
  }

  private peerStats(): ReadonlyMap<NodeId, PeerStats> {
    const out = new Map<NodeId, PeerStats>();
    for (const peer of this.peers.keys()) {
      const q = this.outbox.queued(peer);
      out.set(peer, { connected: this.up.has(peer), queuedMessages: q.messages, queuedBytes: q.bytes });
    }
    return out;
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}
