/**
 * The Raft core's error catalogue. Each error is a class so callers can branch with instanceof;
 * messages say what happened and what the caller can do about it.
 */

/** The requested index is older than the first one kept: it was compacted into a snapshot. */
export class CompactedError extends Error {
  constructor(index: number, firstIndex: number) {
    super(`log index ${index} is compacted (first kept index is ${firstIndex})`);
    this.name = 'CompactedError';
  }
}

/** The requested index is past the end of the log. */
export class UnavailableError extends Error {
  constructor(index: number, lastIndex: number) {
    super(`log index ${index} is unavailable (last index is ${lastIndex})`);
    this.name = 'UnavailableError';
  }
}

/** The storage cannot produce a snapshot right now; the leader retries later. */
export class SnapshotTemporarilyUnavailableError extends Error {
  constructor() {
    super('snapshot is temporarily unavailable');
    this.name = 'SnapshotTemporarilyUnavailableError';
  }
}

/**
 * A proposal was not appended. `leader` is who to ask instead (0 if unknown). Reasons: this
 * replica is not the leader, a leadership transfer is in progress, too much is uncommitted,
 * or a membership change is still pending.
 */
export class ProposalDroppedError extends Error {
  readonly leader: number;
  readonly reason: 'notLeader' | 'transferring' | 'backPressure' | 'confChangePending' | 'invalidConfChange';
  constructor(reason: ProposalDroppedError['reason'], leader: number, detail = '') {
    super(`proposal dropped: ${reason}${detail ? ` (${detail})` : ''}${leader ? `; leader is ${leader}` : ''}`);
    this.name = 'ProposalDroppedError';
    this.reason = reason;
    this.leader = leader;
  }
}

/** An invariant of the algorithm was broken: the replica must stop rather than go on wrong. */
export class RaftInvariantError extends Error {
  constructor(message: string) {
    super(`raft invariant violated: ${message}`);
    this.name = 'RaftInvariantError';
  }
}

export function invariant(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new RaftInvariantError(typeof message === 'string' ? message : message());
}
