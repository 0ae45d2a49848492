import type { RaftConfig } from './config.js';
import { decodeConfChange } from './conf-change.js';
import { Raft } from './raft.js';
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, ReadState, Role, Snapshot, SoftState } from './types.js';

/**
 * One batch of work for the driver, to be done in this order:
 * 1. persist `snapshot` (if any), `entries` and `hardState` (fsync when `mustSync`);
 * 2. send `messages` — only now: a vote or an acknowledgement promises state that must already
 *    be durable;
 * 3. apply `snapshot` then `committedEntries` to the state machine (calling applyConfChange for
 *    membership entries), and serve `readStates` once their index is applied;
 * 4. call advance(ready).
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  readonly mustSync: boolean;
}

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: string;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
}

export interface Status {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly firstIndex: number;
  readonly lead: NodeId;
  readonly role: Role;
  readonly leadTransferee: NodeId;
  readonly conf: ConfState;
  /** Per member replication state, on the leader only. */
  readonly progress?: Readonly<Record<number, ProgressStatus>>;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/**
 * The driver's handle on a Raft replica (etcd-io/raft rawnode.go): feeds it inputs, and
 * collects its output as Ready batches. Not thread-safe by design: one driver loop owns it.
 * Between ready() and advance() the driver may keep stepping messages in.
 */
export class RawNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;

  /** `makeRaft` lets tests substitute a deliberately broken core to prove the checks catch it. */
  constructor(config: RaftConfig, makeRaft: (config: RaftConfig) => Raft = (c) => new Raft(c)) {
    this.raft = makeRaft(config);
    this.prevSoft = this.softState();
    this.prevHard = this.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (tests and operators); a no-op on a leader or learner. */
  campaign(): void {
    this.raft.hup(false);
  }

  step(m: Message): void {
    this.raft.step(m);
  }

  propose(...datas: Uint8Array[]): { index: number; term: number } {
    return this.raft.propose(datas);
  }

  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    return this.raft.proposeConfChange(cc);
  }

  applyConfChange(ccOrEntry: ConfChange | Entry): ConfState {
    const cc = 'nodeId' in ccOrEntry ? ccOrEntry : decodeConfChange(ccOrEntry.data);
    return this.raft.applyConfChange(cc);
  }

  readIndex(context: Uint8Array): boolean {
    return this.raft.readIndex(context);
  }

  transferLeader(to: NodeId): boolean {
    return this.raft.transferLeader(to);
  }

  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.reportSnapshot(id, ok);
  }

  private softState(): SoftState {
    return { leader: this.raft.lead, role: this.raft.role };
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  hasReady(): boolean {
    const r = this.raft;
    const soft = this.softState();
    return (
      r.needBroadcast ||
      r.msgs.length > 0 ||
      r.readStates.length > 0 ||
      soft.leader !== this.prevSoft.leader ||
      soft.role !== this.prevSoft.role ||
      !sameHardState(this.hardState(), this.prevHard) ||
      r.log.unstable.entries.length > 0 ||
      r.log.unstable.snapshot !== undefined ||
      r.log.hasNextCommittedEntries()
    );
  }

  ready(): Ready {
    const r = this.raft;
    if (r.needBroadcast) r.bcastAppend();
    const soft = this.softState();
    const hard = this.hardState();
    const entries = [...r.log.unstable.entries];
    const snapshot = r.log.unstable.snapshot;
    const committedEntries = r.log.nextCommittedEntries();
    const hardChanged = !sameHardState(hard, this.prevHard);
    const rd: Ready = {
      ...(soft.leader !== this.prevSoft.leader || soft.role !== this.prevSoft.role ? { softState: soft } : {}),
      ...(hardChanged ? { hardState: hard } : {}),
      entries,
      ...(snapshot ? { snapshot } : {}),
      committedEntries,
      messages: r.msgs,
      readStates: r.readStates,
      // A commit index alone need not be fsynced: it can be learned again from the leader.
      mustSync: entries.length > 0 || (hardChanged && (hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote)) || snapshot !== undefined,
    };
    r.msgs = [];
    r.readStates = [];
    this.prevSoft = soft;
    if (hardChanged) this.prevHard = hard;
    const lastCommitted = committedEntries[committedEntries.length - 1];
    if (lastCommitted) r.log.acceptApplying(lastCommitted.index);
    return rd;
  }

  /** The driver finished the work of `rd`. */
  advance(rd: Ready): void {
    const r = this.raft;
    if (rd.snapshot) {
      r.log.stableSnapTo(rd.snapshot.metadata.index);
      r.log.appliedTo(rd.snapshot.metadata.index);
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last) {
      r.log.stableTo(last.index, last.term);
      r.onEntriesStable(last.index);
    }
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted) {
      r.log.appliedTo(lastCommitted.index);
      r.reduceUncommittedBytes(rd.committedEntries);
    }
  }

  status(): Status {
    const r = this.raft;
    const base = {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      firstIndex: r.log.firstIndex(),
      lead: r.lead,
      role: r.role,
      leadTransferee: r.leadTransferee,
      conf: r.conf,
    };
    if (r.role !== 'leader') return base;
    const progress: Record<number, ProgressStatus> = {};
    for (const [id, pr] of r.prs) {
      progress[id] = { match: pr.match, next: pr.next, state: pr.state, isLearner: pr.isLearner, recentActive: pr.recentActive };
    }
    return { ...base, progress };
  }
}
