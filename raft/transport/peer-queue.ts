import type { Message } from '../core/types.js';

/**
 * The bounded queue of messages waiting to be written to one peer.
 *
 * Invariant: after every `push`, `length <= messagesMax` and `bytes <= bytesMax` (bytes are the
 * callers' estimates). To stay within them it evicts, oldest first, messages that are not
 * snapshots; only if that is not enough, the oldest snapshots. Raft tolerates losing any message,
 * but a snapshot is expensive to produce and to resend, and the newest messages are the ones the
 * leader's progress tracking expects to arrive, so they are kept. A message that could never fit
 * (larger than `bytesMax` alone) is refused: `push` returns it with the evicted ones.
 */
export class PeerQueue {
  readonly messagesMax: number;
  readonly bytesMax: number;
  private items: { readonly msg: Message; readonly bytes: number }[] = [];
  private bytesQueued = 0;

  constructor(messagesMax: number, bytesMax: number) {
    this.messagesMax = messagesMax;
    this.bytesMax = bytesMax;
  }

  get length(): number {
    return this.items.length;
  }

  /** The sum of the estimates of the queued messages. */
  get bytes(): number {
    return this.bytesQueued;
  }

  /** Appends `msg` (estimated at `bytes`); returns what was dropped to make room, oldest first. */
  push(msg: Message, bytes: number): Message[] {
    if (bytes > this.bytesMax) return [msg];
    const dropped: Message[] = [];
    const fits = (): boolean => this.items.length < this.messagesMax && this.bytesQueued + bytes <= this.bytesMax;
    for (let i = 0; !fits() && i < this.items.length; ) {
      if (this.items[i]?.msg.type === 'snap') i++;
      else dropped.push(this.removeAt(i));
    }
    while (!fits()) dropped.push(this.removeAt(0));
    this.items.push({ msg, bytes });
    this.bytesQueued += bytes;
    return dropped;
  }

  /**
   * Removes a batch from the head and returns it: at least one message if any is queued, then
   * more while the sum of their estimates stays within `bytesBudget`.
   */
  take(bytesBudget: number): Message[] {
    let n = 0;
    let sum = 0;
    for (const item of this.items) {
      if (n > 0 && sum + item.bytes > bytesBudget) break;
      sum += item.bytes;
      n++;
    }
    const batch = this.items.splice(0, n);
    this.bytesQueued -= sum;
    return batch.map((item) => item.msg);
  }

  /** Empties the queue and returns what it held, oldest first. */
  clear(): Message[] {
    const all = this.items.map((item) => item.msg);
    this.items = [];
    this.bytesQueued = 0;
    return all;
  }

  private removeAt(i: number): Message {
    const [item] = this.items.splice(i, 1);
    if (!item) throw new Error(`peer queue: no item at ${i}`);
    this.bytesQueued -= item.bytes;
    return item.msg;
  }
}
