import type { NodeId } from './types.js';

/**
 * ReadIndex bookkeeping on the leader (dissertation §6.4). A read request records the commit
 * index at its arrival; it becomes safe once a majority has answered a heartbeat sent after it,
 * which proves no newer leader existed when the read was taken. Requests are answered in order:
 * an acknowledged later request also confirms every earlier one.
 */
export interface ReadIndexStatus {
  readonly index: number;
  /** Who asked: the leader itself or a follower that forwarded the read. */
  readonly from: NodeId;
  readonly context: Uint8Array;
  readonly acks: Set<NodeId>;
}

export function contextKey(ctx: Uint8Array): string {
  let s = '';
  for (const b of ctx) s += b.toString(16).padStart(2, '0');
  return s;
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** Limit on queued reads; beyond it new reads are refused, never buffered without bound. */
  constructor(readonly maxPending: number) {}

  get size(): number {
    return this.queue.length;
  }

  addRequest(index: number, from: NodeId, context: Uint8Array): boolean {
    const key = contextKey(context);
    if (this.pending.has(key)) return true;
    if (this.queue.length >= this.maxPending) return false;
    this.pending.set(key, { index, from, context, acks: new Set() });
    this.queue.push(key);
    return true;
  }

  /** Records an acknowledgement of the heartbeat that carried `context`; returns who acked. */
  recvAck(id: NodeId, context: Uint8Array): ReadonlySet<NodeId> | undefined {
    const st = this.pending.get(contextKey(context));
    if (!st) return undefined;
    st.acks.add(id);
    return st.acks;
  }

  /** Removes and returns every request up to and including the one with `context`. */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const key = contextKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const st = this.pending.get(k);
      this.pending.delete(k);
      if (st) out.push(st);
    }
    return out;
  }

  lastPendingContext(): Uint8Array | undefined {
    const k = this.queue[this.queue.length - 1];
    return k === undefined ? undefined : this.pending.get(k)?.context;
  }

  clear(): void {
    this.pending.clear();
    this.queue = [];
  }
}
