import { Packr } from 'msgpackr';
import type { Command } from '../kv/commands.js';
import type { RangeOptions, KeyRangeOptions } from '../kv/types.js';
import type { WatchResponse } from '../kv/watch-hub.js';
import type { StoreErrorCode, StoreStatus } from './store-client.js';

/**
 * The store's client protocol: msgpack frames over one WebSocket per client and replica.
 *
 * A client sends requests `{id, op, ...}` and gets exactly one reply `{id, ok: true, result}`
 * or `{id, ok: false, error: {code, message, details}}` per request, in any order. Watches are
 * streams: `watch` replies with the watch id, then `{w: watchId, r: WatchResponse}` frames
 * follow until the watch is cancelled. The replica also pushes `{leader, term}` whenever it
 * learns of a new leader, so clients move to the new leader without waiting for a timeout.
 *
 * Writes carry a `command` whose `requestId` the state machine deduplicates: a client may retry
 * a write on another replica after a failover and it still applies once.
 */
export const CLIENT_FRAME_BYTES_MAX = 4 * 1024 * 1024;

export type ClientRequest =
  | { readonly id: number; readonly op: 'range'; readonly key: string; readonly options: RangeOptions; readonly serializable?: boolean }
  | { readonly id: number; readonly op: 'write'; readonly command: Command }
  | { readonly id: number; readonly op: 'watch'; readonly key: string; readonly options: KeyRangeOptions & { readonly startRevision?: number; readonly prevKv?: boolean; readonly progressNotify?: boolean } }
  | { readonly id: number; readonly op: 'cancelWatch'; readonly watchId: number }
  | { readonly id: number; readonly op: 'progress'; readonly watchId: number }
  | { readonly id: number; readonly op: 'status' }
  | { readonly id: number; readonly op: 'leaseTimeToLive'; readonly leaseId: number }
  | { readonly id: number; readonly op: 'leases' }
  | { readonly id: number; readonly op: 'memberAdd'; readonly memberId: number; readonly peerAddress: string; readonly clientAddress: string; readonly learner: boolean }
  | { readonly id: number; readonly op: 'memberPromote'; readonly memberId: number }
  | { readonly id: number; readonly op: 'memberRemove'; readonly memberId: number }
  | { readonly id: number; readonly op: 'snapshot' }
  | { readonly id: number; readonly op: 'transferLeader'; readonly to: number }
  | { readonly id: number; readonly op: 'hash'; readonly revision: number };

export type ClientRequestOp = ClientRequest['op'];

export interface WireError {
  readonly code: StoreErrorCode;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

export type ServerFrame =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: WireError }
  | { readonly w: number; readonly r: WatchResponse }
  | { readonly leader: number; readonly term: number };

export type { StoreStatus };

const packr = new Packr({ useRecords: false, moreTypes: false });

export function encodeFrame(frame: unknown): Uint8Array {
  return packr.pack(frame);
}

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

const OPS: ReadonlySet<string> = new Set<ClientRequestOp>([
  'range',
  'write',
  'watch',
  'cancelWatch',
  'progress',
  'status',
  'leaseTimeToLive',
  'leases',
  'memberAdd',
  'memberPromote',
  'memberRemove',
  'snapshot',
  'transferLeader',
  'hash',
]);

/**
 * Decodes a client's request. Only the envelope is checked here (an object with a numeric id
 * and a known op); each handler validates its own fields, and a write's command is validated
 * by the state machine's decoder, the one boundary for replicated data.
 */
export function decodeRequest(bytes: Uint8Array): ClientRequest {
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch (e) {
    throw new ProtocolError(`frame is not msgpack: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ProtocolError('frame is not a map');
  const { id, op } = raw as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw new ProtocolError('frame has no numeric id');
  if (typeof op !== 'string' || !OPS.has(op)) throw new ProtocolError(`unknown op ${String(op)}`);
  return raw as ClientRequest;
}

export function decodeServerFrame(bytes: Uint8Array): ServerFrame {
  const raw: unknown = packr.unpack(bytes);
  if (typeof raw !== 'object' || raw === null) throw new ProtocolError('frame is not a map');
  return raw as ServerFrame;
}
