import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NodeId } from '../core/types.js';
import type { ChallengeFrame, Frame, HelloFrame, WelcomeFrame } from './codec.js';
import { FRAME_VERSION } from './codec.js';
import type { AuthFailureReason } from './transport-stats.js';

/**
 * The peer handshake: a mutual challenge-response that proves both ends hold the cluster secret
 * without ever sending it, and names the replica at each end. It runs on every new link before
 * any Raft frame is accepted:
 *
 *     acceptor → dialer    {kind: 'challenge', nonce}                    nonce: 32 random bytes
 *     dialer → acceptor    {kind: 'hello', id, clusterId, nonce2, mac}   mac = helloMac(nonce, id, clusterId)
 *     acceptor → dialer    {kind: 'welcome', id, mac}                    mac = welcomeMac(nonce2, id, dialer id, clusterId)
 *
 * The acceptor checks, in this order: the MAC (`timingSafeEqual`; a wrong secret fails here),
 * the cluster id, that the id is a known peer, and that it may dial us (the lower id dials).
 * The dialer checks the welcome's MAC and that the acceptor is the replica it meant to dial.
 * Each nonce is fresh per connection, so a recorded handshake cannot be replayed, and the two
 * MACs use distinct labels, so one can never stand in for the other.
 *
 * MAC inputs are unambiguous: HMAC-SHA256(secret, label ‖ 0x00 ‖ fields), where a byte string or
 * text is prefixed with its length (u32 BE) and an id is a u64 BE:
 *
 *     hello:   'picokube-peer-v1 hello'   ‖ nonce ‖ dialer id ‖ clusterId
 *     welcome: 'picokube-peer-v1 welcome' ‖ nonce2 ‖ acceptor id ‖ dialer id ‖ clusterId
 *
 * The classes below are the two sides as explicit state machines, free of sockets and timers;
 * ws-connection.ts drives them and owns the timeout.
 */

export const HANDSHAKE_LABEL = 'picokube-peer-v1';
export const NONCE_BYTES = 32;
export const HANDSHAKE_TIMEOUT_MS_DEFAULT = 5000;

/**
 * WebSocket close codes (4000–4999 are for applications) with the reason sent alongside, so the
 * far end can log why it was refused. 1001 is the standard "going away" of a closing transport.
 */
export const CLOSE_CODES = {
  goingAway: 1001,
  badMac: 4001,
  wrongCluster: 4002,
  unknownPeer: 4003,
  wrongDirection: 4004,
  timeout: 4005,
  protocol: 4006,
  unexpectedPeer: 4007,
  replaced: 4008,
  peerRemoved: 4009,
  busy: 4010,
} as const;

/** The close code for each handshake failure. `refused` is ours when the far end refused us. */
const FAILURE_CLOSE: Record<Exclude<AuthFailureReason, 'refused'>, number> = {
  badMac: CLOSE_CODES.badMac,
  wrongCluster: CLOSE_CODES.wrongCluster,
  unknownPeer: CLOSE_CODES.unknownPeer,
  wrongDirection: CLOSE_CODES.wrongDirection,
  unexpectedPeer: CLOSE_CODES.unexpectedPeer,
  protocol: CLOSE_CODES.protocol,
  timeout: CLOSE_CODES.timeout,
};

/** Close codes by which a far end says it refused our handshake. */
export const REFUSAL_CLOSE_CODES: ReadonlySet<number> = new Set(Object.values(FAILURE_CLOSE));

/** A handshake failed; `closeCode` and `message` (short: it is the close reason) go to the peer. */
export class HandshakeError extends Error {
  readonly reason: Exclude<AuthFailureReason, 'refused'>;
  readonly closeCode: number;
  constructor(reason: Exclude<AuthFailureReason, 'refused'>, message: string) {
    super(message.slice(0, 120));
    this.name = 'HandshakeError';
    this.reason = reason;
    this.closeCode = FAILURE_CLOSE[reason];
  }
}

/** Who this replica is in the handshake. */
export interface HandshakeIdentity {
  readonly selfId: NodeId;
  readonly clusterId: string;
  /** The shared cluster secret (see `loadSecret`); never leaves the process. */
  readonly secret: Uint8Array;
}

/** Whether an acceptor takes a link from `id`: undefined to accept, or why not. */
export type DialPolicy = (id: NodeId) => 'unknownPeer' | 'wrongDirection' | undefined;

export type RandomBytes = (n: number) => Uint8Array;
const defaultRandom: RandomBytes = (n) => new Uint8Array(randomBytes(n));

export function helloMac(secret: Uint8Array, nonce: Uint8Array, dialerId: NodeId, clusterId: string): Uint8Array {
  return mac(secret, 'hello', [bin(nonce), u64(dialerId), text(clusterId)]);
}

export function welcomeMac(secret: Uint8Array, nonce2: Uint8Array, acceptorId: NodeId, dialerId: NodeId, clusterId: string): Uint8Array {
  return mac(secret, 'welcome', [bin(nonce2), u64(acceptorId), u64(dialerId), text(clusterId)]);
}

/** The accepting side: challenge, then verify the hello and answer with a welcome. */
export class AcceptorHandshake {
  private state: 'idle' | 'awaitingHello' | 'done' | 'failed' = 'idle';
  private readonly identity: HandshakeIdentity;
  private readonly policy: DialPolicy;
  private readonly nonce: Uint8Array;

  constructor(identity: HandshakeIdentity, policy: DialPolicy, random: RandomBytes = defaultRandom) {
    this.identity = identity;
    this.policy = policy;
    this.nonce = random(NONCE_BYTES);
  }

  /** The first frame on the link. */
  challenge(): ChallengeFrame {
    this.expect('idle', 'challenge');
    this.state = 'awaitingHello';
    return { v: FRAME_VERSION, kind: 'challenge', nonce: this.nonce };
  }

  /** Verifies the dialer's hello: returns who it is and the welcome to send, or throws HandshakeError. */
  receive(frame: Frame): { readonly peerId: NodeId; readonly welcome: WelcomeFrame } {
    this.expect('awaitingHello', `a ${frame.kind} frame`);
    this.state = 'failed';
    if (frame.kind !== 'hello') throw new HandshakeError('protocol', `expected hello, got ${frame.kind}`);
    const { selfId, clusterId, secret } = this.identity;
    if (!macEqual(frame.mac, helloMac(secret, this.nonce, frame.id, frame.clusterId))) {
      throw new HandshakeError('badMac', `authentication failed for replica ${frame.id}: wrong cluster secret`);
    }
    if (frame.clusterId !== clusterId) {
      throw new HandshakeError('wrongCluster', `wrong cluster id ${JSON.stringify(frame.clusterId.slice(0, 40))}`);
    }
    const refusal = this.policy(frame.id);
    if (refusal === 'unknownPeer') throw new HandshakeError('unknownPeer', `unknown replica id ${frame.id}`);
    if (refusal === 'wrongDirection') {
      throw new HandshakeError('wrongDirection', `replica ${frame.id} must accept a link from ${selfId}, not dial it`);
    }
    this.state = 'done';
    const welcome: WelcomeFrame = {
      v: FRAME_VERSION,
      kind: 'welcome',
      id: selfId,
      mac: welcomeMac(secret, frame.nonce2, selfId, frame.id, clusterId),
    };
    return { peerId: frame.id, welcome };
  }

  private expect(state: AcceptorHandshake['state'], what: string): void {
    if (this.state !== state) throw new HandshakeError('protocol', `unexpected ${what} in handshake state ${this.state}`);
  }
}

/** The dialing side: answer the challenge with a hello, then verify the welcome. */
export class DialerHandshake {
  private state: 'awaitingChallenge' | 'awaitingWelcome' | 'done' | 'failed' = 'awaitingChallenge';
  private readonly identity: HandshakeIdentity;
  private readonly peerId: NodeId;
  private readonly nonce2: Uint8Array;

  /** `peerId`: the replica this link was dialed to reach. */
  constructor(identity: HandshakeIdentity, peerId: NodeId, random: RandomBytes = defaultRandom) {
    this.identity = identity;
    this.peerId = peerId;
    this.nonce2 = random(NONCE_BYTES);
  }

  /**
   * The challenge yields the hello to send; the welcome yields the authenticated peer id.
   * Anything else, or a welcome that does not verify, throws HandshakeError.
   */
  receive(frame: Frame): { readonly kind: 'reply'; readonly hello: HelloFrame } | { readonly kind: 'done'; readonly peerId: NodeId } {
    const state = this.state;
    this.state = 'failed';
    const { selfId, clusterId, secret } = this.identity;
    if (state === 'awaitingChallenge' && frame.kind === 'challenge') {
      if (frame.nonce.byteLength !== NONCE_BYTES) throw new HandshakeError('protocol', `challenge nonce of ${frame.nonce.byteLength} bytes`);
      this.state = 'awaitingWelcome';
      const hello: HelloFrame = {
        v: FRAME_VERSION,
        kind: 'hello',
        id: selfId,
        clusterId,
        nonce2: this.nonce2,
        mac: helloMac(secret, frame.nonce, selfId, clusterId),
      };
      return { kind: 'reply', hello };
    }
    if (state === 'awaitingWelcome' && frame.kind === 'welcome') {
      if (!macEqual(frame.mac, welcomeMac(secret, this.nonce2, frame.id, selfId, clusterId))) {
        throw new HandshakeError('badMac', `replica ${frame.id} failed to prove the cluster secret`);
      }
      if (frame.id !== this.peerId) {
        throw new HandshakeError('unexpectedPeer', `dialed replica ${this.peerId} but replica ${frame.id} answered`);
      }
      this.state = 'done';
      return { kind: 'done', peerId: frame.id };
    }
    throw new HandshakeError('protocol', `unexpected ${frame.kind} frame in handshake state ${state}`);
  }
}

// ---- MAC input encoding ----------------------------------------------------------------------

function mac(secret: Uint8Array, role: 'hello' | 'welcome', fields: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', secret);
  h.update(`${HANDSHAKE_LABEL} ${role}\u0000`);
  for (const f of fields) h.update(f);
  return new Uint8Array(h.digest());
}

function bin(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.byteLength);
  new DataView(out.buffer).setUint32(0, bytes.byteLength);
  out.set(bytes, 4);
  return out;
}

function text(s: string): Uint8Array {
  return bin(new TextEncoder().encode(s));
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}
