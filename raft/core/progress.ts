import { Inflights } from './inflights.js';

/**
 * How the leader replicates to one follower (etcd-io/raft tracker/state.go):
 * - probe: the match point is unknown; at most one append per heartbeat until it is found;
 * - replicate: the follower is in step; appends are pipelined optimistically (next advances on
 *   send) up to the inflights window;
 * - snapshot: the follower needs a snapshot; appends pause until it is installed.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** Highest index known to be replicated on the follower. */
  match = 0;
  /** Next index to send. Invariant: match < next. */
  next: number;
  state: ProgressState = 'probe';
  /** In probe: an append was sent and we wait for its answer or the next heartbeat. */
  probeSent = false;
  /** In snapshot: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Ticks without an acknowledgement while appends or a snapshot are outstanding. */
  stalledTicks = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  isLearner: boolean;
  readonly inflights: Inflights;

  constructor(next: number, isLearner: boolean, inflightsMax: number, inflightBytesMax: number) {
    this.next = next;
    this.isLearner = isLearner;
    this.inflights = new Inflights(inflightsMax, inflightBytesMax);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.stalledTicks = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot the follower has at least the snapshot: probe just past it.
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** Records that an append carrying entries up to `lastIndex` (`bytes` in all) was sent. */
  sentEntries(count: number, lastIndex: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** An acknowledgement up to `index`; false if it told us nothing new (stale or duplicate). */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * A rejection of the append after `rejected`, with the follower's hint that its log matches
   * at most up to `matchHint`. Returns false when the rejection is stale and must be ignored.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (rejected === this.match && matchHint < this.match) {
      // The follower rejects the entry it acknowledged: it lost its tail (a disk that broke its
      // promise, or a WAL tail repaired at restart). Believe it and go back to what it has, or
      // it would never catch up. The commit index never moves back, so this is safe.
      this.match = matchHint;
    }
    if (this.state === 'replicate') {
      if (rejected < this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // In probe only the answer to the one outstanding probe counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
