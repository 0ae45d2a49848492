import { Packr } from 'msgpackr';
import type { ConfChange, NodeId } from '../core/types.js';

/**
 * Who the replicas are: the addresses of each member, replicated with the membership itself.
 * A member added at run time carries its addresses in the conf change's context, so every
 * replica learns them from the log; the table travels inside state machine snapshots so a
 * replica restored from one still knows them.
 */
export interface Member {
  readonly id: NodeId;
  readonly peerAddress: string;
  readonly clientAddress: string;
}

const packr = new Packr({ useRecords: false, moreTypes: false });

export class MemberTable {
  private readonly members = new Map<NodeId, Member>();

  constructor(initial: Iterable<Member> = []) {
    for (const m of initial) this.members.set(m.id, m);
  }

  get(id: NodeId): Member | undefined {
    return this.members.get(id);
  }

  list(): Member[] {
    return [...this.members.values()].sort((a, b) => a.id - b.id);
  }

  /** Applies a committed membership change. */
  apply(cc: ConfChange): void {
    if (cc.type === 'remove') {
      this.members.delete(cc.nodeId);
      return;
    }
    const ctx = cc.context ? decodeMemberContext(cc.context) : undefined;
    const known = this.members.get(cc.nodeId);
    this.members.set(cc.nodeId, {
      id: cc.nodeId,
      peerAddress: ctx?.peerAddress ?? known?.peerAddress ?? '',
      clientAddress: ctx?.clientAddress ?? known?.clientAddress ?? '',
    });
  }

  /** Fills in addresses learned from flags for members the table does not know yet. */
  learn(m: Member): void {
    const known = this.members.get(m.id);
    this.members.set(m.id, {
      id: m.id,
      peerAddress: known?.peerAddress || m.peerAddress,
      clientAddress: known?.clientAddress || m.clientAddress,
    });
  }

  replaceAll(members: readonly Member[]): void {
    this.members.clear();
    for (const m of members) this.members.set(m.id, m);
  }
}

export function encodeMemberContext(m: { peerAddress: string; clientAddress: string }): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ peerAddress: m.peerAddress, clientAddress: m.clientAddress }));
}

function decodeMemberContext(data: Uint8Array): { peerAddress?: string; clientAddress?: string } | undefined {
  try {
    const doc: unknown = JSON.parse(new TextDecoder().decode(data));
    if (typeof doc !== 'object' || doc === null) return undefined;
    const { peerAddress, clientAddress } = doc as Record<string, unknown>;
    return {
      ...(typeof peerAddress === 'string' ? { peerAddress } : {}),
      ...(typeof clientAddress === 'string' ? { clientAddress } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * The replica's state machine snapshot: the key-value store's own snapshot bytes plus the member
 * table. Empty bytes are the empty state of a freshly bootstrapped cluster.
 */
export interface StateSnapshot {
  readonly kv: Uint8Array | undefined;
  readonly members: readonly Member[];
}

const SNAPSHOT_ENVELOPE_VERSION = 1;

export function encodeStateSnapshot(s: StateSnapshot): Uint8Array {
  return packr.pack({ v: SNAPSHOT_ENVELOPE_VERSION, kv: s.kv, members: s.members });
}

/**
 * The same bytes as `encodeStateSnapshot` with the kv snapshot given as slices of
 * `kvByteLength` bytes in all: the slices go between a head and a tail, uncopied, for a caller
 * that assembles a large snapshot a few slices at a time.
 */
export function stateSnapshotParts(kvChunks: readonly Uint8Array[], kvByteLength: number, members: readonly Member[]): Uint8Array[] {
  // {v, kv, members} as msgpackr packs it: a map header, 'v' and its value, 'kv' and a bin header, the bytes, 'members' and its value.
  const head = packr.pack({ v: SNAPSHOT_ENVELOPE_VERSION, kv: new Uint8Array(0) });
  const fields = head.subarray(mapHeaderLength(head), head.byteLength - 2); // without the empty bin (0xc4 0x00)
  const binHeader =
    kvByteLength < 0x100
      ? [0xc4, kvByteLength]
      : kvByteLength < 0x10000
        ? [0xc5, kvByteLength >> 8, kvByteLength & 0xff]
        : [0xc6, ...uint32Bytes(kvByteLength)];
  const start = Uint8Array.from([0xde, 0, 3, ...fields, ...binHeader]);
  const tail = packr.pack({ members });
  return [start, ...kvChunks, tail.subarray(mapHeaderLength(tail))];
}

/** The length of the msgpack map header `packed` starts with. */
function mapHeaderLength(packed: Uint8Array): number {
  const first = packed[0] as number;
  if (first >= 0x80 && first <= 0x8f) return 1;
  if (first === 0xde) return 3;
  if (first === 0xdf) return 5;
  throw new Error(`not a packed map (first byte ${first})`);
}

function uint32Bytes(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

export function decodeStateSnapshot(data: Uint8Array): StateSnapshot {
  if (data.byteLength === 0) return { kv: undefined, members: [] };
  const raw = packr.unpack(data) as { v?: unknown; kv?: unknown; members?: unknown };
  if (raw.v !== SNAPSHOT_ENVELOPE_VERSION) throw new Error(`state snapshot version ${String(raw.v)} is not supported`);
  if (!(raw.kv instanceof Uint8Array) && raw.kv !== undefined) throw new Error('state snapshot kv is not bytes');
  if (!Array.isArray(raw.members)) throw new Error('state snapshot members is not a list');
  return { kv: raw.kv as Uint8Array | undefined, members: raw.members as Member[] };
}
