import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { Message, NodeId } from '../core/types.js';
import { Reassembly } from './chunk-reassembly.js';
import { type ChunkFrame, decodeFrame, encodeFrame, type Frame, FrameError } from './codec.js';
import {
  AcceptorHandshake,
  type DialPolicy,
  DialerHandshake,
  HandshakeError,
  type HandshakeIdentity,
  type RandomBytes,
  REFUSAL_CLOSE_CODES,
} from './handshake.js';
import type { TransportCounters } from './transport-stats.js';

/**
 * One WebSocket between two replicas, from either end: it runs the handshake (handshake.ts)
 * under a deadline, then turns binary messages into validated Raft batches from the
 * authenticated peer, and watches the link with pings.
 *
 * States: handshaking → open → closed, or handshaking → closed. Only an open connection
 * delivers Raft frames; a Raft frame during the handshake is a protocol error that closes it.
 * Every frame goes through `decodeFrame` first: an oversized or malformed frame is counted and
 * dropped; during the handshake it also fails the handshake (an unauthenticated peer gets no
 * second chance), while on an open link it is only dropped, since the peer has proved it holds
 * the secret. A message whose `from` is not the authenticated peer, or whose `to` is not us, is
 * dropped and counted (`wrongSender`).
 *
 * Chunk frames (a snapshot message too large for one frame) are only heard on an open link: they
 * go through a `Reassembly` (chunk-reassembly.ts), which holds at most one transfer per link and
 * drops it when the link closes or the transfer stalls (checked on the keepalive tick). A bad
 * chunk counts as a malformed frame (one over `snapshotBytesMax` as oversized); the reassembled
 * bytes must decode to a raft frame holding exactly one snapshot message.
 */

export interface ConnectionSettings {
  readonly identity: HandshakeIdentity;
  readonly frameBytesMax: number;
  /** The largest reassembled snapshot message accepted (`TransportLimits.snapshotBytesMax`). */
  readonly snapshotBytesMax: number;
  /** A chunked transfer with no chunk for this long is abandoned. */
  readonly transferIdleTimeoutMs: number;
  /** Told of reassembly buffers allocated (+bytes) and released (−bytes). */
  readonly onReassemblyHeld?: (deltaBytes: number) => void;
  readonly handshakeTimeoutMs: number;
  /** A ping goes out this often on an open link; a link silent for two intervals is dropped. */
  readonly keepaliveIntervalMs: number;
  readonly counters: TransportCounters;
  readonly logger: Logger;
  readonly random?: RandomBytes;
}

export type ConnectionRole =
  | { readonly kind: 'acceptor'; readonly policy: DialPolicy }
  | { readonly kind: 'dialer'; readonly peerId: NodeId };

export interface ConnectionHooks {
  /** The handshake succeeded; `conn.peerId` is now authenticated. */
  opened(conn: WsConnection): void;
  /** A batch of valid messages from the authenticated peer, in order. */
  received(conn: WsConnection, msgs: readonly Message[]): void;
  /** The socket is closed; called once. `wasOpen`: the handshake had succeeded. */
  closed(conn: WsConnection, wasOpen: boolean): void;
}

const CLOSE_GRACE_MS = 1000;

export class WsConnection {
  private state: 'handshaking' | 'open' | 'closed' = 'handshaking';
  private readonly ws: WebSocket;
  private readonly settings: ConnectionSettings;
  private readonly role: ConnectionRole;
  private readonly hooks: ConnectionHooks;
  private readonly acceptor: AcceptorHandshake | undefined;
  private readonly dialer: DialerHandshake | undefined;
  private readonly log: Logger;
  private authenticatedId: NodeId | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private heardSinceLastPing = true;
  private readonly reassembly: Reassembly;
  /** Resolves once the socket is closed and every timer is cleared. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(ws: WebSocket, role: ConnectionRole, settings: ConnectionSettings, hooks: ConnectionHooks) {
    this.ws = ws;
    this.role = role;
    this.settings = settings;
    this.hooks = hooks;
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.log = settings.logger.child(role.kind === 'dialer' ? { dialing: role.peerId } : { accepted: true });
    this.reassembly = new Reassembly({ totalBytesMax: settings.snapshotBytesMax, idleTimeoutMs: settings.transferIdleTimeoutMs }, settings.onReassemblyHeld);
    if (role.kind === 'acceptor') {
      this.acceptor = new AcceptorHandshake(settings.identity, role.policy, settings.random);
    } else {
      this.dialer = new DialerHandshake(settings.identity, role.peerId, settings.random);
    }
    ws.on('message', (data, isBinary) => this.onData(data, isBinary));
    ws.on('pong', () => {
      this.heardSinceLastPing = true;
    });
    ws.on('error', (err) => this.onError(err));
    ws.on('close', (code, reason) => this.onClose(code, reason.toString('utf8')));
    this.handshakeTimer = setTimeout(
      () => this.fail(new HandshakeError('timeout', `handshake timed out after ${settings.handshakeTimeoutMs} ms`)),
      settings.handshakeTimeoutMs,
    );
    if (this.acceptor) this.writeFrame(this.acceptor.challenge());
  }

  /** The authenticated peer; undefined until the handshake succeeds. */
  get peerId(): NodeId | undefined {
    return this.authenticatedId;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Bytes handed to the socket and not yet written to the kernel. */
  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  /** Writes an encoded frame; `done` gets an error if it was not written (the link broke). */
  write(bytes: Uint8Array, done: (err?: Error) => void): void {
    if (this.state !== 'open') {
      done(new Error('link is not open'));
      return;
    }
    this.ws.send(bytes, { binary: true }, done);
  }

  /** Closes with a code and reason for the far end; terminates if it does not finish in time. */
  close(code: number, reason: string): void {
    if (this.state === 'closed' || this.closeTimer) return;
    this.clearLinkTimers();
    if (this.ws.readyState === this.ws.CONNECTING) {
      this.ws.terminate();
      return;
    }
    this.ws.close(code, closeReason(reason));
    this.closeTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
  }

  private onData(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.state === 'closed' || this.closeTimer) return;
    this.heardSinceLastPing = true;
    let frame: Frame;
    try {
      if (!isBinary) throw new FrameError('shape', 'text message; frames are binary');
      frame = decodeFrame(bytesOf(data), this.settings.frameBytesMax);
    } catch (err) {
      const e = err instanceof FrameError ? err : new FrameError('undecodable', String(err));
      this.settings.counters.inc(e.reason === 'oversized' ? 'oversizedFrames' : 'malformedFrames');
      if (this.state === 'handshaking') this.fail(new HandshakeError('protocol', e.message));
      else this.log.warn({ peer: this.authenticatedId, reason: e.reason, err: e.message }, 'dropped a malformed frame from a peer');
      return;
    }
    if (this.state === 'handshaking') this.handshake(frame);
    else this.deliver(frame);
  }

  private handshake(frame: Frame): void {
    try {
      if (this.acceptor) {
        const { peerId, welcome } = this.acceptor.receive(frame);
        this.writeFrame(welcome);
        this.open(peerId);
      } else if (this.dialer) {
        const step = this.dialer.receive(frame);
        if (step.kind === 'reply') this.writeFrame(step.hello);
        else this.open(step.peerId);
      }
    } catch (err) {
      this.fail(err instanceof HandshakeError ? err : new HandshakeError('protocol', String(err)));
    }
  }

  private open(peerId: NodeId): void {
    this.state = 'open';
    this.authenticatedId = peerId;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.keepaliveTimer = setInterval(() => this.keepalive(), this.settings.keepaliveIntervalMs);
    this.hooks.opened(this);
  }

  private deliver(frame: Frame): void {
    const peer = this.authenticatedId;
    if (frame.kind === 'chunk' && peer !== undefined) {
      this.deliverChunk(frame, peer);
      return;
    }
    if (frame.kind !== 'raft' || peer === undefined) {
      this.settings.counters.inc('malformedFrames');
      this.log.warn({ peer, kind: frame.kind }, 'dropped a handshake frame on an open link');
      return;
    }
    this.settings.counters.inc('framesReceived');
    this.deliverMessages(frame.msgs, peer);
  }

  private deliverChunk(chunk: ChunkFrame, peer: NodeId): void {
    const outcome = this.reassembly.accept(chunk, Date.now());
    if (outcome.kind === 'ignored') return;
    if (outcome.kind === 'refused') {
      this.settings.counters.inc(outcome.reason === 'oversized' ? 'oversizedFrames' : 'malformedFrames');
      this.log.warn({ peer, transfer: chunk.id, index: chunk.index, reason: outcome.reason, err: outcome.detail }, 'dropped a bad chunk from a peer');
      return;
    }
    this.settings.counters.inc('framesReceived');
    if (outcome.kind === 'partial') return;
    let frame: Frame;
    try {
      // The buffer is ours alone and almost all snapshot data: let the message keep it, uncopied.
      frame = decodeFrame(outcome.bytes, this.settings.snapshotBytesMax, { borrow: true });
      if (frame.kind !== 'raft' || frame.msgs.length !== 1 || frame.msgs[0]?.type !== 'snap') {
        throw new FrameError('shape', 'a chunked transfer carries one raft frame with one snapshot message');
      }
    } catch (err) {
      const e = err instanceof FrameError ? err : new FrameError('undecodable', String(err));
      this.settings.counters.inc(e.reason === 'oversized' ? 'oversizedFrames' : 'malformedFrames');
      this.log.warn({ peer, transfer: chunk.id, reason: e.reason, err: e.message }, 'dropped a reassembled message that is not a snapshot');
      return;
    }
    this.log.info({ peer, transfer: chunk.id, bytes: outcome.bytes.byteLength, chunks: chunk.count }, 'received a chunked snapshot message');
    this.deliverMessages(frame.msgs, peer);
  }

  private deliverMessages(msgs: readonly Message[], peer: NodeId): void {
    const selfId = this.settings.identity.selfId;
    const valid = msgs.filter((m) => m.from === peer && m.to === selfId);
    if (valid.length < msgs.length) {
      this.settings.counters.drop('wrongSender', msgs.length - valid.length);
      this.log.warn({ peer, dropped: msgs.length - valid.length }, 'dropped messages not from the authenticated peer or not for us');
    }
    if (valid.length > 0) this.hooks.received(this, valid);
  }

  private keepalive(): void {
    const stalled = this.reassembly.inProgress;
    if (this.reassembly.expire(Date.now())) {
      this.log.warn({ peer: this.authenticatedId, transfer: stalled }, 'abandoned a chunked transfer that stalled');
    }
    if (!this.heardSinceLastPing) {
      this.log.warn({ peer: this.authenticatedId }, 'peer link silent for two keepalive intervals; dropping it');
      this.ws.terminate();
      return;
    }
    this.heardSinceLastPing = false;
    this.ws.ping();
  }

  private fail(err: HandshakeError): void {
    if (this.state !== 'handshaking') return;
    this.settings.counters.authFailure(err.reason);
    this.log.warn({ reason: err.reason, code: err.closeCode }, `peer handshake failed: ${err.message}`);
    this.close(err.closeCode, err.message);
  }

  private onError(err: Error): void {
    const code = (err as { code?: unknown }).code;
    if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.settings.counters.inc('oversizedFrames');
      this.log.warn({ peer: this.authenticatedId }, `closed a link that sent an oversized frame: ${err.message}`);
    } else {
      // Dial failures land here too (ECONNREFUSED while a peer is down): routine, hence debug.
      this.log.debug({ peer: this.authenticatedId, err: err.message }, 'peer socket error');
    }
  }

  private onClose(code: number, reason: string): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    if (!wasOpen && this.role.kind === 'dialer' && REFUSAL_CLOSE_CODES.has(code) && !this.closeTimer) {
      this.settings.counters.authFailure('refused');
      this.log.warn({ peer: this.role.peerId, code }, `peer refused the handshake: ${reason}`);
    } else if (wasOpen) {
      this.log.info({ peer: this.authenticatedId, code, reason }, 'peer link closed');
    }
    this.state = 'closed';
    this.reassembly.clear();
    this.clearLinkTimers();
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.hooks.closed(this, wasOpen);
    this.resolveDone();
  }

  private writeFrame(frame: Frame): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeFrame(frame), { binary: true });
  }

  private clearLinkTimers(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.handshakeTimer = undefined;
    this.keepaliveTimer = undefined;
  }
}

function bytesOf(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/** RFC 6455 allows a close reason of at most 123 bytes of UTF-8; ws throws on a longer one. */
const CLOSE_REASON_BYTES_MAX = 123;

/** The reason cut to fit a close frame, never mid-character (a peer's garbage may be in it). */
export function closeReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  if (bytes.byteLength <= CLOSE_REASON_BYTES_MAX) return reason;
  let end = CLOSE_REASON_BYTES_MAX;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--; // back off continuation bytes
  return bytes.subarray(0, end).toString('utf8');
}
