import { type ResolvedConfig, resolveConfig, type RaftConfig } from './config.js';
import { applyToConfState, confChangeProblem, encodeConfChange } from './conf-change.js';
import { CompactedError, ProposalDroppedError, SnapshotTemporarilyUnavailableError, invariant } from './errors.js';
import { RaftLog } from './log.js';
import { Progress } from './progress.js';
import { committedIndex, voteResult } from './quorum.js';
import { ReadOnly } from './read-only.js';
import { entryBytes } from './storage.js';
import type { ConfChange, ConfState, Entry, EntryType, Message, MessageType, NodeId, ReadState, Role, Snapshot } from './types.js';
import { NONE } from './types.js';

/** A message before the core stamps it with its sender and, unless given, its current term. */
type Outgoing = Omit<Message, 'from' | 'term'> & { term?: number };

/**
 * The Raft algorithm for one replica, as a pure state machine (the Raft paper, Ongaro's
 * dissertation, and the shape of etcd-io/raft's raft.go). Inputs: tick(), step(message) and the
 * local requests (propose, readIndex, transferLeader, applyConfChange). Outputs accumulate in
 * `msgs`, `readStates` and the log's unstable part, and are collected by RawNode.ready().
 *
 * Safety rests on the driver keeping the Ready contract: persist entries and hard state before
 * sending the messages of the same Ready.
 */
export class Raft {
  readonly id: NodeId;
  readonly cfg: ResolvedConfig;
  readonly log: RaftLog;

  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: Role = 'follower';
  conf: ConfState;
  readonly prs = new Map<NodeId, Progress>();
  private readonly votes = new Map<NodeId, boolean>();

  msgs: Message[] = [];
  readStates: ReadState[] = [];

  electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;

  leadTransferee: NodeId = NONE;
  /** Index of the latest membership change; a new one waits until it is applied. */
  private pendingConfIndex = 0;
  private uncommittedBytes = 0;
  private readonly readOnly: ReadOnly;
  /** Reads that arrived before the leader committed an entry of its own term. */
  private pendingReadIndex: { from: NodeId; context: Uint8Array }[] = [];
  /** Proposals were appended: send appends at the next Ready, one message for the whole batch. */
  needBroadcast = false;

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.log = new RaftLog(this.cfg.storage, this.cfg.maxCommittedBytesPerReady);
    this.readOnly = new ReadOnly(this.cfg.maxPendingReads);
    const { hardState, confState } = this.cfg.storage.initialState();
    this.conf = confState;
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) {
      invariant(
        hardState.commit >= this.log.committed && hardState.commit <= this.log.lastIndex(),
        () => `hard state commit ${hardState.commit} is out of range [${this.log.committed}, ${this.log.lastIndex()}]`,
      );
      this.log.committed = hardState.commit;
      this.term = hardState.term;
      this.vote = hardState.vote;
    }
    if (this.cfg.applied > 0) this.log.appliedTo(this.cfg.applied);
    this.becomeFollower(this.term, NONE);
  }

  // ---- roles -------------------------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicks + this.cfg.rng.int(this.cfg.electionTicks);
    this.leadTransferee = NONE;
    this.votes.clear();
    this.rebuildProgress();
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.readOnly.clear();
    this.pendingReadIndex = [];
    this.needBroadcast = false;
  }

  private rebuildProgress(): void {
    this.prs.clear();
    const next = this.log.lastIndex() + 1;
    for (const id of this.conf.voters) this.prs.set(id, this.newProgress(next, false));
    for (const id of this.conf.learners) this.prs.set(id, this.newProgress(next, true));
  }

  private newProgress(next: number, isLearner: boolean): Progress {
    return new Progress(next, isLearner, this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.lead = lead;
  }

  private becomePreCandidate(): void {
    invariant(this.role !== 'leader', 'invalid transition [leader -> preCandidate]');
    // Pre-vote changes neither term nor vote: a replica that cannot win disturbs nobody.
    this.votes.clear();
    this.lead = NONE;
    this.role = 'preCandidate';
  }

  private becomeCandidate(): void {
    invariant(this.role !== 'leader', 'invalid transition [leader -> candidate]');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    invariant(this.role === 'candidate', () => `invalid transition [${this.role} -> leader]`);
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.prs.get(this.id);
    if (self) {
      // The leader counts itself only for what is on its own disk (thesis §10.2.1).
      self.match = this.log.lastStableIndex();
      self.becomeReplicate();
      self.recentActive = true;
    }
    // No membership change until everything from earlier terms is applied (the fix for the
    // single-server change bug the dissertation's errata describe).
    this.pendingConfIndex = this.log.lastIndex();
    // The no-op entry commits everything before it and proves leadership for reads (§6.4, §8).
    this.appendEntries([{ type: 'normal', data: new Uint8Array(0) }]);
  }

  isPromotable(): boolean {
    return this.conf.voters.includes(this.id);
  }

  // ---- time --------------------------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.isPromotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.term, NONE);
        return;
      }
      if (this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      // An append or snapshot lost on the way would stall a follower forever: retry by probing.
      if ((pr.state === 'snapshot' || (pr.state === 'replicate' && pr.inflights.count > 0)) && ++pr.stalledTicks >= this.cfg.electionTicks * 2) {
        pr.becomeProbe();
      }
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastPendingContext());
    }
  }

  /** Check-quorum: true if a majority of voters was heard from since the last check. */
  private quorumActive(): boolean {
    const active = new Map<NodeId, boolean>();
    for (const id of this.conf.voters) {
      const pr = this.prs.get(id);
      active.set(id, id === this.id || (pr?.recentActive ?? false));
      if (pr && id !== this.id) pr.recentActive = false;
    }
    return voteResult(this.conf.voters, active) === 'won';
  }

  // ---- elections ---------------------------------------------------------------------------

  /** Starts an election, if this replica may. `transfer` skips pre-vote (TimeoutNow). */
  hup(transfer: boolean): void {
    if (this.role === 'leader' || !this.isPromotable()) return;
    // A membership change committed but not applied could change who votes: wait for it.
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(!transfer && this.cfg.preVote ? 'preVote' : 'vote', transfer);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    try {
      return this.log.slice(this.log.applied + 1, this.log.committed + 1).some((e) => e.type === 'confChange');
    } catch (e) {
      if (e instanceof CompactedError) return false;
      throw e;
    }
  }

  private campaign(kind: 'preVote' | 'vote', transfer: boolean): void {
    let term: number;
    if (kind === 'preVote') {
      this.becomePreCandidate();
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    if (this.poll(this.id, true) === 'won') {
      this.onElectionWon();
      return;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const id of this.conf.voters) {
      if (id === this.id) continue;
      this.send({ type: kind, to: id, term, index: lastIndex, logTerm: lastTerm, ...(transfer ? { transfer } : {}) });
    }
  }

  protected poll(id: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    return voteResult(this.conf.voters, this.votes);
  }

  protected onElectionWon(): void {
    if (this.role === 'preCandidate') this.campaign('vote', false);
    else {
      this.becomeLeader();
      this.bcastAppend();
    }
  }

  protected handleVoteRequest(m: Message): void {
    const respType: MessageType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === 'preVote' && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0)) {
      // A pre-vote is answered in the term it asks about, so the asker can count it.
      this.send({ type: respType, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, term: this.term, reject: true });
    }
  }

  // ---- messages ----------------------------------------------------------------------------

  protected send(m: Outgoing): void {
    const term = m.term ?? this.term;
    this.msgs.push({ ...m, from: this.id, term } as Message);
  }

  step(m: Message): void {
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        // Leader stickiness: while a leader is heard from, a disruptive candidate is ignored
        // (§4.2.3); a transfer is the leader's own wish and goes through.
        const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.cfg.electionTicks;
        if (inLease && !m.transfer) return;
      }
      if (m.type === 'preVote') {
        // Answering a pre-vote never changes our term.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // A granted pre-vote is in the term we would campaign in; counted below.
      } else {
        const fromLeader = m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap';
        this.becomeFollower(m.term, fromLeader ? m.from : NONE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'app' || m.type === 'heartbeat')) {
        // A stale leader cut off by a partition: tell it the new term so it steps down. Without
        // this, with pre-vote on, it could hold back a cluster that moved on (etcd issue 5451).
        this.send({ type: 'appResp', to: m.from });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', to: m.from, reject: true });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        break;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        break;
      case 'snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        break;
      case 'timeoutNow':
        this.hup(true);
        break;
      case 'readIndexResp':
        if (m.context) this.readStates.push({ index: m.index ?? 0, context: m.context });
        break;
      default:
        break;
    }
  }

  private stepCandidate(m: Message): void {
    const myResp: MessageType = this.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
    switch (m.type) {
      case 'app':
      case 'heartbeat':
      case 'snap':
        // A leader of our term exists: it won; follow it.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        break;
      case 'voteResp':
      case 'preVoteResp': {
        if (m.type !== myResp) break;
        const result = this.poll(m.from, !m.reject);
        if (result === 'won') this.onElectionWon();
        else if (result === 'lost') this.becomeFollower(this.term, NONE);
        break;
      }
      default:
        break;
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.prs.get(m.from);
    switch (m.type) {
      case 'appResp':
        if (pr) this.handleAppendResponse(m, pr);
        break;
      case 'heartbeatResp':
        if (pr) this.handleHeartbeatResponse(m, pr);
        break;
      case 'readIndex':
        if (m.context) this.handleReadIndex(m.from, m.context);
        break;
      default:
        break;
    }
  }

  // ---- follower side of replication --------------------------------------------------------

  private handleAppend(m: Message): void {
    const index = m.index ?? 0;
    if (index < this.log.committed) {
      this.send({ type: 'appResp', to: m.from, index: this.log.committed });
      return;
    }
    const lastNew = this.log.maybeAppend(index, m.logTerm ?? 0, m.commit ?? 0, m.entries ?? []);
    if (lastNew !== undefined) {
      this.send({ type: 'appResp', to: m.from, index: lastNew });
      return;
    }
    // Tell the leader where our log could match: the last entry at or before its probe whose
    // term is no newer than the probe's, so it can skip a whole conflicting term at once.
    const hint = this.log.findConflictByTerm(Math.min(index, this.log.lastIndex()), m.logTerm ?? 0);
    this.send({ type: 'appResp', to: m.from, index, reject: true, rejectHint: hint.index, logTerm: hint.term });
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(Math.min(m.commit ?? 0, this.log.lastIndex()));
    this.send({ type: 'heartbeatResp', to: m.from, ...(m.context ? { context: m.context } : {}) });
  }

  private handleSnapshot(m: Message): void {
    const snap = m.snapshot;
    if (!snap) return;
    if (this.restore(snap)) this.send({ type: 'appResp', to: m.from, index: this.log.lastIndex() });
    else this.send({ type: 'appResp', to: m.from, index: this.log.committed });
  }

  /** Installs a snapshot unless our log already holds what it covers. */
  private restore(snap: Snapshot): boolean {
    const { index, term } = snap.metadata;
    if (index <= this.log.committed) return false;
    if (this.log.matchTerm(index, term)) {
      // We have the entries: just learn that they are committed.
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(snap);
    this.conf = snap.metadata.confState;
    this.rebuildProgress();
    return true;
  }

  // ---- leader side of replication ----------------------------------------------------------

  /** Appends entries in the leader's term; proposals are sent at the next Ready. */
  private appendEntries(items: readonly { type: EntryType; data: Uint8Array }[]): Entry[] {
    let index = this.log.lastIndex();
    const ents: Entry[] = items.map((it) => ({ term: this.term, index: ++index, type: it.type, data: it.data }));
    this.log.append(ents);
    for (const e of ents) this.uncommittedBytes += e.data.byteLength;
    this.needBroadcast = true;
    return ents;
  }

  bcastAppend(): void {
    this.needBroadcast = false;
    for (const id of this.prs.keys()) {
      if (id !== this.id) this.sendAppend(id, true);
    }
  }

  private bcastHeartbeat(context: Uint8Array | undefined): void {
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      // Never advertise a commit index the follower may not have the entries for.
      const commit = Math.min(pr.match, this.log.committed);
      this.send({ type: 'heartbeat', to: id, commit, ...(context ? { context } : {}) });
    }
  }

  /** Sends the follower what it lacks, if its progress allows. Returns whether a message went. */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    let ents: Entry[];
    try {
      prevTerm = this.log.term(prevIndex);
      ents = this.log.entriesFrom(pr.next, this.cfg.maxSizePerMsgBytes);
    } catch (e) {
      if (e instanceof CompactedError) return this.sendSnapshot(to, pr);
      throw e;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    let bytes = 0;
    for (const e of ents) bytes += entryBytes(e);
    this.send({ type: 'app', to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed });
    const last = ents[ents.length - 1];
    pr.sentEntries(ents.length, last ? last.index : prevIndex, bytes);
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    let snap: Snapshot;
    try {
      snap = this.log.snapshot();
    } catch (e) {
      if (e instanceof SnapshotTemporarilyUnavailableError) return false;
      throw e;
    }
    invariant(snap.metadata.index > 0, 'need a non-empty snapshot to catch up a follower');
    this.send({ type: 'snap', to, snapshot: snap });
    pr.becomeSnapshot(snap.metadata.index);
    return true;
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    const index = m.index ?? 0;
    if (m.reject) {
      let hint = m.rejectHint ?? 0;
      if ((m.logTerm ?? 0) > 0) hint = this.log.findConflictByTerm(hint, m.logTerm ?? 0).index;
      if (pr.maybeDecrTo(index, hint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from, true);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(index)) {
      if (pr.state === 'probe' && pr.match === index && !wasPaused) this.sendAppend(m.from, false);
      return;
    }
    pr.stalledTicks = 0;
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') pr.inflights.freeLE(index);

    if (this.maybeCommit()) this.bcastAppend();
    else if (wasPaused) this.sendAppend(m.from, true);
    // Fill the pipeline: keep sending while the window has room and there is something new.
    while (this.sendAppend(m.from, false)) {
      /* sent one more */
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send({ type: 'timeoutNow', to: m.from });
    }
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from, true);
    if (!m.context) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (!acks) return;
    const ackVotes = new Map<NodeId, boolean>();
    for (const id of acks) ackVotes.set(id, true);
    if (voteResult(this.conf.voters, ackVotes) !== 'won') return;
    for (const st of this.readOnly.advance(m.context)) this.answerRead(st.from, st.index, st.context);
  }

  /** Advances the commit index to what a majority holds, counting only our own term (Figure 8). */
  maybeCommit(): boolean {
    const mci = committedIndex(this.conf.voters, (id) => this.prs.get(id)?.match ?? 0);
    if (!this.log.maybeCommit(mci, this.term)) return false;
    if (this.pendingReadIndex.length > 0) {
      const waiting = this.pendingReadIndex;
      this.pendingReadIndex = [];
      for (const r of waiting) this.handleReadIndex(r.from, r.context);
    }
    return true;
  }

  /** The driver persisted entries up to `index`: the leader may count itself for them now. */
  onEntriesStable(index: number): void {
    if (this.role !== 'leader') return;
    const self = this.prs.get(this.id);
    if (self?.maybeUpdate(Math.min(index, this.log.lastStableIndex())) && this.maybeCommit()) this.bcastAppend();
  }

  reduceUncommittedBytes(ents: readonly Entry[]): void {
    for (const e of ents) this.uncommittedBytes -= e.data.byteLength;
    if (this.uncommittedBytes < 0) this.uncommittedBytes = 0;
  }

  // ---- local requests ----------------------------------------------------------------------

  /** Appends a batch of proposals; returns the index and term of the first. Throws ProposalDroppedError. */
  propose(datas: readonly Uint8Array[]): { index: number; term: number } {
    if (this.role !== 'leader') throw new ProposalDroppedError('notLeader', this.lead);
    if (this.leadTransferee !== NONE) throw new ProposalDroppedError('transferring', this.lead, `to ${this.leadTransferee}`);
    let size = 0;
    for (const d of datas) size += d.byteLength;
    const max = this.cfg.maxUncommittedEntriesBytes;
    // One proposal always fits when nothing is pending, however large: progress over strictness.
    if (max > 0 && this.uncommittedBytes > 0 && this.uncommittedBytes + size > max) {
      throw new ProposalDroppedError('backPressure', this.lead, `${this.uncommittedBytes} bytes uncommitted, limit ${max}`);
    }
    const ents = this.appendEntries(datas.map((data) => ({ type: 'normal' as const, data })));
    const first = ents[0];
    return { index: first ? first.index : this.log.lastIndex() + 1, term: this.term };
  }

  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    if (this.role !== 'leader') throw new ProposalDroppedError('notLeader', this.lead);
    if (this.leadTransferee !== NONE) throw new ProposalDroppedError('transferring', this.lead);
    if (this.pendingConfIndex > this.log.applied) {
      throw new ProposalDroppedError('confChangePending', this.lead, `change at index ${this.pendingConfIndex} not yet applied`);
    }
    const problem = confChangeProblem(this.conf, cc);
    if (problem) throw new ProposalDroppedError('invalidConfChange', this.lead, problem);
    const [e] = this.appendEntries([{ type: 'confChange', data: encodeConfChange(cc) }]);
    invariant(e !== undefined, 'conf change entry appended');
    this.pendingConfIndex = e.index;
    return { index: e.index, term: e.term };
  }

  /** The driver applied a committed membership change: it takes effect now, on every replica. */
  applyConfChange(cc: ConfChange): ConfState {
    this.conf = applyToConfState(this.conf, cc);
    const next = this.log.lastIndex() + 1;
    for (const [id, pr] of [...this.prs]) {
      if (this.conf.voters.includes(id) || this.conf.learners.includes(id)) continue;
      // Tell a removed member how far the log is committed, so it applies its own removal
      // and can stop, instead of waiting forever for a leader that no longer talks to it.
      if (this.role === 'leader' && id !== this.id) this.send({ type: 'heartbeat', to: id, commit: Math.min(pr.match, this.log.committed) });
      this.prs.delete(id);
    }
    // A new member counts as recently active: the next check-quorum round must not depose a
    // leader that needs the newcomer for its majority before it had a chance to answer.
    const added = (isLearner: boolean): Progress => {
      const pr = this.newProgress(next, isLearner);
      pr.recentActive = true;
      return pr;
    };
    for (const id of this.conf.voters) {
      const pr = this.prs.get(id);
      if (pr) pr.isLearner = false;
      else this.prs.set(id, added(false));
    }
    for (const id of this.conf.learners) {
      if (!this.prs.has(id)) this.prs.set(id, added(true));
    }
    if (this.role !== 'leader') return this.conf;
    if (!this.isPromotable() && this.cfg.stepDownOnRemoval) {
      this.becomeFollower(this.term, NONE);
      return this.conf;
    }
    if (this.leadTransferee !== NONE && !this.conf.voters.includes(this.leadTransferee)) this.leadTransferee = NONE;
    // A smaller quorum may commit more; new members need their first probe.
    if (this.maybeCommit()) this.bcastAppend();
    else this.needBroadcast = true;
    return this.conf;
  }

  /**
   * Asks for a linearizable read point. The answer arrives as a ReadState with the same context:
   * serve the read once the state machine has applied its index. Returns false if the request
   * was dropped (no known leader, or too many queued); the caller retries.
   */
  readIndex(context: Uint8Array): boolean {
    if (this.role === 'leader') return this.handleReadIndex(this.id, context);
    if (this.lead === NONE) return false;
    this.send({ type: 'readIndex', to: this.lead, context });
    return true;
  }

  private handleReadIndex(from: NodeId, context: Uint8Array): boolean {
    // Until an entry of our term commits, our commit index may lag the true one (§6.4). This holds
    // for a single voter too: the commit index is not fsynced, so after a restart it can lag
    // entries that were applied and acknowledged before the crash.
    if (this.log.termOrZero(this.log.committed) !== this.term) {
      if (this.pendingReadIndex.length >= this.cfg.maxPendingReads) return false;
      this.pendingReadIndex.push({ from, context });
      return true;
    }
    if (this.conf.voters.length === 1 && this.conf.voters[0] === this.id) {
      this.answerRead(from, this.log.committed, context);
      return true;
    }
    if (!this.readOnly.addRequest(this.log.committed, from, context)) return false;
    this.readOnly.recvAck(this.id, context);
    this.bcastHeartbeat(context);
    return true;
  }

  protected answerRead(from: NodeId, index: number, context: Uint8Array): void {
    if (from === this.id) this.readStates.push({ index, context });
    else this.send({ type: 'readIndexResp', to: from, index, context });
  }

  /** Hands leadership to `to` once it has our whole log (§3.10). Only the leader acts on it. */
  transferLeader(to: NodeId): boolean {
    if (this.role !== 'leader' || to === this.id || !this.conf.voters.includes(to)) return false;
    if (this.leadTransferee === to) return true;
    const pr = this.prs.get(to);
    if (!pr) return false;
    this.leadTransferee = to;
    // The transfer must finish within an election timeout or it is abandoned.
    this.electionElapsed = 0;
    if (pr.match === this.log.lastIndex()) this.send({ type: 'timeoutNow', to });
    else this.sendAppend(to, true);
    return true;
  }

  /** The transport could not reach `id`: stop pipelining to it until it answers again. */
  reportUnreachable(id: NodeId): void {
    const pr = this.prs.get(id);
    if (this.role === 'leader' && pr && pr.state === 'replicate') pr.becomeProbe();
  }

  /** The transport finished sending a snapshot to `id`, or failed to. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    const pr = this.prs.get(id);
    if (this.role !== 'leader' || !pr || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    // Wait for the follower's answer (or the next heartbeat) before probing again.
    pr.becomeProbe();
    pr.probeSent = true;
  }
}
