import type { Message, NodeId } from '../core/types.js';
import { messageBytesEstimate, RAFT_FRAME_OVERHEAD_BYTES } from './codec.js';
import { PeerQueue } from './peer-queue.js';
import type { UnreachableHandler, TransportLimits } from './transport.js';
import type { DropReason, TransportCounters } from './transport-stats.js';

/**
 * The sending half shared by every transport: per-peer bounded queues, one flush pass per turn
 * of the event loop, and coalesced unreachable reports. A transport plugs in `flush(peer)`, which
 * writes whatever that peer's link can take now by calling `takeBatch(peer)` until it returns
 * undefined or the link is busy.
 *
 * `enqueue` never throws and never calls back synchronously: flushes and unreachable reports run
 * on a later turn (setImmediate), so a handler can never re-enter the Raft core while it is in
 * the middle of handing over its messages.
 *
 * Beside each queue, a one-message slot for a snapshot too large for a frame or the queue (up to
 * `snapshotBytesMax`): the transport takes it with `takeLarge` and sends it on its own, in chunks.
 * A newer one replaces one still waiting (the older is dropped as `queueFull`).
 */
export class Outbox {
  private readonly selfId: NodeId;
  private readonly limits: TransportLimits;
  private readonly counters: TransportCounters;
  private readonly flushPeer: (peer: NodeId) => void;
  private readonly queues = new Map<NodeId, PeerQueue>();
  private readonly large = new Map<NodeId, { readonly msg: Message; readonly bytes: number }>();
  private readonly unreachable = new Set<NodeId>();
  private readonly unreachableHandlers: UnreachableHandler[] = [];
  private pass: NodeJS.Immediate | undefined;
  private closed = false;

  private readonly busy: (peer: NodeId) => boolean;

  /** `busy(peer)`: the transport has more to write for `peer` than the outbox knows (a chunked transfer under way). */
  constructor(
    selfId: NodeId,
    limits: TransportLimits,
    counters: TransportCounters,
    flushPeer: (peer: NodeId) => void,
    busy: (peer: NodeId) => boolean = () => false,
  ) {
    this.selfId = selfId;
    this.limits = limits;
    this.counters = counters;
    this.flushPeer = flushPeer;
    this.busy = busy;
  }

  onUnreachable(handler: UnreachableHandler): void {
    this.unreachableHandlers.push(handler);
  }

  hasPeer(id: NodeId): boolean {
    return this.queues.has(id);
  }

  peerIds(): NodeId[] {
    return [...this.queues.keys()];
  }

  addPeer(id: NodeId): void {
    if (this.closed || id === this.selfId || this.queues.has(id)) return;
    this.queues.set(id, new PeerQueue(this.limits.queueMessagesMax, this.limits.queueBytesMax));
  }

  /** Forgets a peer; what was queued for it is dropped as `linkLost`. No unreachable report. */
  removePeer(id: NodeId): void {
    const queue = this.queues.get(id);
    if (!queue) return;
    this.queues.delete(id);
    this.unreachable.delete(id);
    this.counters.drop('linkLost', queue.clear().length + (this.large.delete(id) ? 1 : 0));
  }

  /** What waits for `id`: its queue plus its large-snapshot slot. */
  queued(id: NodeId): { readonly messages: number; readonly bytes: number } {
    const q = this.queues.get(id);
    const large = this.large.get(id);
    return { messages: (q?.length ?? 0) + (large ? 1 : 0), bytes: (q?.bytes ?? 0) + (large?.bytes ?? 0) };
  }

  /** Queues each message for its `to` peer and schedules a flush pass. Never throws. */
  enqueue(msgs: readonly Message[]): void {
    if (this.closed) {
      this.counters.drop('closed', msgs.length);
      return;
    }
    for (const m of msgs) {
      try {
        this.enqueueOne(m);
      } catch {
        // Only a value that is not a Message (a caller bug the types forbid) can get here.
        this.counters.drop('tooLarge');
      }
    }
    if (msgs.length > 0) this.schedule();
  }

  /**
   * Takes the next batch for `peer`: as many queued messages, oldest first, as fit one frame by
   * their estimates (at least one). Undefined when nothing is queued.
   */
  takeBatch(peer: NodeId): Message[] | undefined {
    const q = this.queues.get(peer);
    if (!q || q.length === 0) return undefined;
    return q.take(this.limits.frameBytesMax - RAFT_FRAME_OVERHEAD_BYTES);
  }

  /** Takes the large snapshot waiting for `peer`, if any (see the class comment). */
  takeLarge(peer: NodeId): Message | undefined {
    const item = this.large.get(peer);
    this.large.delete(peer);
    return item?.msg;
  }

  /**
   * Messages that were taken but could not be delivered (a link broke with them in flight, a
   * frame could not be encoded): counted, and the peer reported unreachable.
   */
  lost(peer: NodeId, msgs: readonly Message[], reason: DropReason): void {
    this.counters.drop(reason, msgs.length);
    if (msgs.length > 0) this.reportUnreachable(peer);
  }

  /** Reports `peer` unreachable on the next pass (coalesced per pass). */
  reportUnreachable(peer: NodeId): void {
    if (this.closed || !this.queues.has(peer)) return;
    this.unreachable.add(peer);
    this.schedule();
  }

  /** Requests a flush pass on a later turn (e.g. a link just came up). Idempotent within a turn. */
  schedule(): void {
    if (this.closed || this.pass) return;
    this.pass = setImmediate(() => this.runPass());
  }

  /** Drops everything queued (counted as `closed`); no pass or report runs after this. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pass) clearImmediate(this.pass);
    this.pass = undefined;
    for (const q of this.queues.values()) this.counters.drop('closed', q.clear().length);
    this.counters.drop('closed', this.large.size);
    this.large.clear();
    this.unreachable.clear();
  }

  private enqueueOne(m: Message): void {
    const queue = this.queues.get(m.to);
    if (!queue) {
      this.counters.drop('unknownPeer');
      return;
    }
    const bytes = messageBytesEstimate(m);
    const fitsQueue = bytes <= this.limits.frameBytesMax - RAFT_FRAME_OVERHEAD_BYTES && bytes <= queue.bytesMax;
    if (!fitsQueue && m.type === 'snap' && bytes <= this.limits.snapshotBytesMax) {
      if (this.large.has(m.to)) {
        this.counters.drop('queueFull');
        this.reportUnreachable(m.to);
      }
      this.large.set(m.to, { msg: m, bytes });
      return;
    }
    if (bytes > this.limits.frameBytesMax - RAFT_FRAME_OVERHEAD_BYTES) {
      this.counters.drop('tooLarge');
      this.reportUnreachable(m.to);
      return;
    }
    const dropped = queue.push(m, bytes);
    if (dropped.length === 0) return;
    // The only message that push refuses outright is one larger than the whole queue.
    const refused = dropped.length === 1 && dropped[0] === m;
    this.counters.drop(refused ? 'tooLarge' : 'queueFull', dropped.length);
    this.reportUnreachable(m.to);
  }

  private runPass(): void {
    this.pass = undefined;
    for (const [peer, queue] of this.queues) {
      if (this.closed) return;
      if (queue.length > 0 || this.large.has(peer) || this.busy(peer)) this.flushPeer(peer);
    }
    if (this.closed || this.unreachable.size === 0) return;
    const peers = [...this.unreachable];
    this.unreachable.clear();
    for (const peer of peers) for (const handler of this.unreachableHandlers) handler(peer);
  }
}
