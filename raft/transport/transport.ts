import type { Message, NodeId } from '../core/types.js';
import { CHUNK_FRAME_OVERHEAD_BYTES, FRAME_BYTES_MAX_DEFAULT } from './codec.js';

/**
 * The transport port: how a store replica's driver hands Raft messages to its peers and gets
 * theirs. Two implementations: ws-transport.ts (real WebSocket links between processes) and
 * mem-transport.ts (an in-memory twin for tests of the server); one conformance suite
 * (test/unit/raft/transport/transport.conformance.test.ts) runs against both.
 *
 * What callers may rely on:
 * - `send` never blocks and never throws. Messages are queued per peer and written on a later
 *   turn of the event loop, all messages queued for a peer in that turn in one frame (batching;
 *   a batch over the frame size limit goes out as several frames).
 * - Delivery is at most once and, on a link, in send order: a message may be lost (queue
 *   overflow, a link that breaks with it in flight) but is never duplicated, and messages from A
 *   to B arrive in the order A sent them while the link stays up (across a reconnect, what was in
 *   flight may be lost; what was queued still goes out in order). Raft tolerates loss and
 *   reordering; the transport never reports a lost message as delivered.
 * - Each peer's queue is bounded by count and bytes (`TransportLimits`). While a peer cannot be
 *   reached its messages wait in that queue; when it is full, the oldest messages that are not
 *   snapshots are dropped (and counted), then the oldest snapshots if it must.
 * - `onUnreachable(peer)` fires, on a later turn, when the transport dropped a message for that
 *   peer or lost its link: the driver calls the core's `reportUnreachable` so the leader stops
 *   pipelining to it. A snapshot message that is dropped or whose write fails always reports its
 *   peer unreachable, so the driver can call `reportSnapshot(peer, failure)`. Reports for a
 *   peer are coalesced to at most one per event-loop turn.
 * - `onMessage` handlers get each received message that passed validation: its `from` is the
 *   authenticated peer of the link it came on, its `to` is this replica. Handlers run in
 *   registration order. An exception thrown by a handler is a bug in the caller: it is not caught.
 *   Register handlers before `start()`: a message that arrives with no handler is dropped.
 * - After `close()` resolves, nothing is delivered or reported, `send` drops everything, and the
 *   transport holds no socket, server or timer: the process can exit.
 */
export interface Transport {
  /** Starts listening (if the implementation listens) and connecting. Call once. */
  start(): Promise<void>;
  /** Queues messages to their `to` peers. Messages to an unknown peer are dropped and counted. */
  send(msgs: readonly Message[]): void;
  onMessage(handler: MessageHandler): void;
  onUnreachable(handler: UnreachableHandler): void;
  /**
   * Makes `id` a peer: messages to it are queued and its link is set up; a link from it is
   * accepted. Adding an existing peer updates its address (and redials if it changed).
   */
  addPeer(id: NodeId, address: string): void;
  /** Forgets a peer: closes its link, drops its queue, refuses it from now on. */
  removePeer(id: NodeId): void;
  stats(): TransportStats;
  /** Stops everything; idempotent. */
  close(): Promise<void>;
}

export type MessageHandler = (m: Message) => void;
export type UnreachableHandler = (peer: NodeId) => void;

/** Why messages were dropped without being written to a link. */
export interface DroppedCounts {
  /** Evicted from a full peer queue. */
  readonly queueFull: number;
  /** Addressed to a replica that is not a peer (or to this replica itself). */
  readonly unknownPeer: number;
  /** One message alone larger than a frame (or a queue) may be. */
  readonly tooLarge: number;
  /** Received on a link whose authenticated peer is not the message's `from`, or not for us. */
  readonly wrongSender: number;
  /** In flight on a link that broke, or queued for a peer that was removed. */
  readonly linkLost: number;
  /** Sent after `close()`, or still queued when it was called. */
  readonly closed: number;
  /** Received while no `onMessage` handler was registered. */
  readonly noHandler: number;
}

export interface PeerStats {
  readonly connected: boolean;
  readonly queuedMessages: number;
  readonly queuedBytes: number;
}

/**
 * Counters since the transport was created (they only grow), and gauges (`peersConnected`,
 * `peers`). A plain object: the server maps it into Prometheus metrics.
 */
export interface TransportStats {
  readonly framesSent: number;
  readonly framesReceived: number;
  readonly messagesSent: number;
  readonly messagesReceived: number;
  readonly messagesDropped: DroppedCounts;
  /** Frames that did not decode or validate (the frame is dropped; see `FrameError`). */
  readonly malformedFrames: number;
  /** Frames over the size limit, refused before decoding. */
  readonly oversizedFrames: number;
  /** Handshakes that failed on either side: wrong secret, unknown id, wrong cluster, timeout. */
  readonly authFailures: number;
  readonly peersConnected: number;
  /** Per peer, keyed by replica id. */
  readonly peers: Readonly<Record<string, PeerStats>>;
}

/** The bounds every transport keeps. Units last, as everywhere. */
export interface TransportLimits {
  /** Messages queued for one peer at most. */
  readonly queueMessagesMax: number;
  /** Estimated bytes (`messageBytesEstimate`) queued for one peer at most. */
  readonly queueBytesMax: number;
  /** The largest frame sent or accepted; larger incoming frames are refused before decoding. */
  readonly frameBytesMax: number;
  /**
   * The largest snapshot message sent or accepted, encoded. Larger than a frame: such a message
   * goes as chunk frames and is reassembled by the receiver, which holds at most one per link.
   * Other messages keep the frame limit.
   */
  readonly snapshotBytesMax: number;
  /** The data in one chunk frame; cut to fit `frameBytesMax` if it is larger. */
  readonly snapshotChunkBytes: number;
}

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = {
  queueMessagesMax: 4096,
  queueBytesMax: 64 * 1024 * 1024,
  frameBytesMax: FRAME_BYTES_MAX_DEFAULT,
  // A store of ~100k pods snapshots to a few hundred MiB; a GiB leaves room without inviting abuse.
  snapshotBytesMax: 1024 * 1024 * 1024,
  // Small enough that a heartbeat waits behind at most a few ms of one chunk on a LAN.
  snapshotChunkBytes: 4 * 1024 * 1024,
};

/** Fills in defaults and refuses limits that could not work. */
export function transportLimits(partial: Partial<TransportLimits> = {}): TransportLimits {
  const limits = { ...DEFAULT_TRANSPORT_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`transport limit ${name} must be a positive integer, got ${value}`);
  }
  if (limits.frameBytesMax < 1024) throw new RangeError(`frameBytesMax must be at least 1024, got ${limits.frameBytesMax}`);
  return { ...limits, snapshotChunkBytes: Math.min(limits.snapshotChunkBytes, limits.frameBytesMax - CHUNK_FRAME_OVERHEAD_BYTES) };
}
