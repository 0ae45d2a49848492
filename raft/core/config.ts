import type { Rng } from './rng.js';
import type { Storage } from './storage.js';
import type { NodeId } from './types.js';

/** How one Raft replica behaves. Times are in ticks: the driver decides how long a tick is. */
export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: Storage;
  /** The only randomness of the core: draws the election timeout in [electionTicks, 2*electionTicks). */
  readonly rng: Rng;
  /** A follower that hears no leader for this long (randomized) starts an election. */
  readonly electionTicks?: number;
  /** The leader sends heartbeats this often. Must be less than electionTicks. */
  readonly heartbeatTicks?: number;
  /** The last index the state machine has applied, when restarting with a restored state machine. */
  readonly applied?: number;
  /** Largest append message, in bytes of entry data (at least one entry is always sent). */
  readonly maxSizePerMsgBytes?: number;
  /** Appends in flight per follower; 1 turns pipelining off (stop and wait). */
  readonly maxInflightMsgs?: number;
  /** Bytes in flight per follower; 0 for no byte cap. */
  readonly maxInflightBytes?: number;
  /** Proposal back-pressure: uncommitted entry bytes above this drop proposals; 0 for no cap. */
  readonly maxUncommittedEntriesBytes?: number;
  /** Bytes of committed entries handed out in one Ready. */
  readonly maxCommittedBytesPerReady?: number;
  /** ReadIndex requests queued at once on the leader. */
  readonly maxPendingReads?: number;
  /** Pre-vote (dissertation §9.6): a replica asks whether it could win before it bumps its term. */
  readonly preVote?: boolean;
  /** A leader that has not heard from a quorum for an election timeout steps down (§6.2). */
  readonly checkQuorum?: boolean;
  /** Leave leadership when the configuration that removes this replica is applied. */
  readonly stepDownOnRemoval?: boolean;
}

export type ResolvedConfig = Required<RaftConfig>;

export function resolveConfig(c: RaftConfig): ResolvedConfig {
  const resolved: ResolvedConfig = {
    applied: 0,
    electionTicks: 10,
    heartbeatTicks: 1,
    maxSizePerMsgBytes: 1024 * 1024,
    maxInflightMsgs: 256,
    maxInflightBytes: 0,
    maxUncommittedEntriesBytes: 0,
    maxCommittedBytesPerReady: 64 * 1024 * 1024,
    maxPendingReads: 10_000,
    preVote: true,
    checkQuorum: true,
    stepDownOnRemoval: true,
    ...c,
  };
  if (resolved.id === 0) throw new Error('raft config: id must not be 0 (0 means none)');
  if (resolved.heartbeatTicks <= 0) throw new Error('raft config: heartbeatTicks must be greater than 0');
  if (resolved.electionTicks <= resolved.heartbeatTicks) {
    throw new Error('raft config: electionTicks must be greater than heartbeatTicks');
  }
  if (resolved.maxInflightMsgs <= 0) throw new Error('raft config: maxInflightMsgs must be greater than 0');
  return resolved;
}
