/**
 * The vocabulary of the Raft core: log entries, persistent state, snapshots and messages.
 *
 * Everything here is plain data so that it can cross the pure core's boundary unchanged: the
 * driver persists it, the transport encodes it (msgpackr), the simulator copies it. Indexes and
 * terms are plain numbers: JavaScript integers are exact up to 2^53, which no log reaches.
 */

/** A replica's identity, unique in the cluster and never reused. 0 means "none". */
export type NodeId = number;
export const NONE: NodeId = 0;

/** `normal` carries application data (empty data is the leader's no-op); `confChange` a ConfChange. */
export type EntryType = 'normal' | 'confChange';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/**
 * What must be durable before a message that depends on it leaves the replica: the current
 * term, the vote cast in it, and how far the log is known to be committed.
 */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: NONE, commit: 0 };

/** The membership: voters decide elections and commits; learners only receive the log. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/**
 * A membership change, proposed one server at a time (Raft dissertation §4.1):
 * add a learner, promote a learner to voter, add a voter directly, or remove any member.
 */
export interface ConfChange {
  readonly type: 'addLearner' | 'addVoter' | 'remove';
  readonly nodeId: NodeId;
  /** Opaque to the core, e.g. the new replica's address, so every replica learns it from the log. */
  readonly context?: Uint8Array;
}

export interface SnapshotMetadata {
  /** The last log index the snapshot covers, and its term. */
  readonly index: number;
  readonly term: number;
  /** The membership as of `index`. */
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

export type MessageType =
  | 'app' // AppendEntries: index/logTerm = the entry before `entries`
  | 'appResp' // index = last matching index on accept; on reject, rejectHint/logTerm say where to retry
  | 'vote'
  | 'voteResp'
  | 'preVote' // sent with term+1 without bumping the sender's own term (dissertation §9.6)
  | 'preVoteResp'
  | 'heartbeat'
  | 'heartbeatResp'
  | 'snap' // InstallSnapshot
  | 'timeoutNow' // leadership transfer: campaign now, ignoring the election timer and leases
  | 'readIndex' // a follower forwards a read request to the leader
  | 'readIndexResp';

/**
 * One message between replicas. A flat record, like etcd's raftpb.Message: each type uses the
 * fields named in its comment above; the others are absent.
 */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  readonly index?: number;
  readonly logTerm?: number;
  readonly entries?: readonly Entry[];
  readonly commit?: number;
  readonly reject?: boolean;
  readonly rejectHint?: number;
  readonly snapshot?: Snapshot;
  /** ReadIndex request id, echoed back on heartbeats and responses. */
  readonly context?: Uint8Array;
  /** On a vote: it comes from a leadership transfer, so leases must not block it. */
  readonly transfer?: boolean;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state the driver may want to show: not persisted. */
export interface SoftState {
  readonly leader: NodeId;
  readonly role: Role;
}

/** A read request that became safe to serve once the state machine has applied `index`. */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}
