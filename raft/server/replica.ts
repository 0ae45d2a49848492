import type { Logger } from 'pino';
import { StoreError } from '../client/store-client.js';
import { decodeConfChange } from '../core/conf-change.js';
import { ProposalDroppedError } from '../core/errors.js';
import { RawNode, type Ready } from '../core/raw-node.js';
import { seededRng } from '../core/rng.js';
import type { ConfChange, Entry, HardState, Message, NodeId, Snapshot } from '../core/types.js';
import { applyEncoded } from '../kv/apply.js';
import type { ApplyOutcome } from '../kv/command-results.js';
import { type Command, encodeCommand } from '../kv/commands.js';
import { LeaseClock } from '../kv/lease-clock.js';
import { MvccStore } from '../kv/mvcc-store.js';
import { WATCH_PROGRESS_NOTIFY_INTERVAL_MS_DEFAULT, WatchHub } from '../kv/watch-hub.js';
import type { DiskStorage } from '../storage/disk-storage.js';
import type { Transport } from '../transport/transport.js';
import { decodeStateSnapshot, encodeMemberContext, type Member, MemberTable } from './members.js';
import type { ReplicaMetrics } from './metrics.js';
import { ReadBarrier } from './read-barrier.js';
import { assembleInSlices, encodeStateSnapshotInSlices } from './snapshot-encoder.js';

export interface ReplicaConfig {
  readonly id: NodeId;
  readonly storage: DiskStorage;
  readonly transport: Transport;
  readonly logger: Logger;
  readonly metrics?: ReplicaMetrics;
  /** Members known from flags, to fill in addresses the log does not carry. */
  readonly initialMembers: readonly Member[];
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** Take a state machine snapshot every this many applied entries. */
  readonly snapshotEveryEntries: number;
  /** Entries kept behind a snapshot so slightly lagging followers catch up from the log. */
  readonly keepEntriesAfterSnapshot: number;
  readonly maxUncommittedBytes?: number;
  /**
   * How often watchers that asked for progress notifications and got no events meanwhile are
   * sent the current revision (etcd's --experimental-watch-progress-notify-interval). 0: never.
   */
  readonly watchProgressNotifyIntervalMs?: number;
}

/** A proposal waiting to be applied; it was ours only if the entry at its index has its term. */
interface ProposalWaiter {
  readonly term: number;
  /** With the command's outcome, or undefined for a membership change. */
  resolve(outcome: ApplyOutcome | undefined): void;
  reject(e: Error): void;
}

/**
 * One store replica: the driver that owns the Raft core and performs its Ready batches against
 * the disk, the network and the state machine, in the order the core requires:
 *   save to the WAL → (leader: send) → fsync → (others: send) → apply → advance.
 * The leader sends its appends while its own write is in flight (Raft dissertation §10.2.1); it
 * counts itself towards a commit only once the write is durable. Everything that arrives while
 * a batch is being written is stepped into the core and goes out with the next batch: many
 * proposals share one fsync (group commit).
 */
export class Replica {
  readonly id: NodeId;
  readonly node: RawNode;
  readonly store: MvccStore;
  readonly hub: WatchHub;
  readonly members: MemberTable;
  private readonly leases = new LeaseClock();
  private readonly reads: ReadBarrier;
  private readonly waiters = new Map<number, ProposalWaiter>();
  private readonly leaderListeners: ((leader: NodeId, term: number) => void)[] = [];
  private appliedIndex: number;
  private lastSnapshotIndex: number;
  private persistedHard: HardState;
  private snapshotting = false;
  private ticker: NodeJS.Timeout | undefined;
  private progressTicker: NodeJS.Timeout | undefined;
  private scheduled = false;
  private running = false;
  private closed = false;
  private fatal: ((e: Error) => void) | undefined;
  private knownLeader: NodeId = 0;
  private removedListeners: (() => void)[] = [];

  constructor(private readonly cfg: ReplicaConfig) {
    this.id = cfg.id;
    const snap = cfg.storage.snapshot();
    const state = decodeStateSnapshot(snap.data);
    this.store = new MvccStore();
    if (state.kv) this.store.restore(state.kv);
    this.members = new MemberTable(state.members);
    for (const m of cfg.initialMembers) this.members.learn(m);
    // Restored: the snapshot's bytes stay on disk, not in memory, until a follower needs them.
    cfg.storage.releaseSnapshotData();
    this.hub = new WatchHub(this.store);
    this.appliedIndex = snap.metadata.index;
    this.lastSnapshotIndex = snap.metadata.index;
    this.persistedHard = cfg.storage.initialState().hardState;
    this.node = new RawNode({
      id: cfg.id,
      storage: cfg.storage,
      rng: seededRng(Date.now() ^ (cfg.id * 2654435761)),
      electionTicks: cfg.electionTicks,
      heartbeatTicks: cfg.heartbeatTicks,
      applied: snap.metadata.index,
      maxSizePerMsgBytes: 1024 * 1024,
      maxInflightMsgs: 256,
      maxUncommittedEntriesBytes: cfg.maxUncommittedBytes ?? 64 * 1024 * 1024,
    });
    this.reads = new ReadBarrier(
      {
        requestReadIndex: (ctx) => {
          const ok = this.node.readIndex(ctx);
          this.kick();
          return ok;
        },
        appliedIndex: () => this.appliedIndex,
      },
      cfg.tickMs * cfg.electionTicks * 2,
      () => this.notLeaderError(),
      () => new StoreError('Timeout', 'linearizable read timed out waiting for the leader; retry'),
    );
    cfg.transport.onMessage((m) => this.step(m));
    cfg.transport.onUnreachable((peer) => {
      this.node.reportUnreachable(peer);
      this.node.reportSnapshot(peer, false);
    });
  }

  /** Starts ticking. `onFatal` is called if the replica must stop (a broken invariant, a disk error). */
  start(onFatal: (e: Error) => void): void {
    this.fatal = onFatal;
    this.ticker = setInterval(() => this.tick(), this.cfg.tickMs);
    const progressMs = this.cfg.watchProgressNotifyIntervalMs ?? WATCH_PROGRESS_NOTIFY_INTERVAL_MS_DEFAULT;
    if (progressMs > 0) this.progressTicker = setInterval(() => this.hub.progressNotify(), progressMs);
    this.kick();
  }

  onLeaderChange(f: (leader: NodeId, term: number) => void): void {
    this.leaderListeners.push(f);
  }

  onRemoved(f: () => void): void {
    this.removedListeners.push(f);
  }

  get leader(): NodeId {
    return this.node.raft.lead;
  }

  get isLeader(): boolean {
    return this.node.raft.role === 'leader';
  }

  get applied(): number {
    return this.appliedIndex;
  }

  /** Ready: a leader is known and everything seen committed is applied. */
  get ready(): boolean {
    return this.node.raft.lead !== 0 && this.appliedIndex >= this.node.raft.log.committed;
  }

  private tick(): void {
    if (this.closed) return;
    this.node.tick();
    if (this.isLeader) {
      for (const id of this.leases.expiredLeases(Date.now())) {
        this.proposeInternal({ t: 'leaseRevoke', id });
      }
    }
    this.kick();
  }

  private step(m: Message): void {
    if (this.closed) return;
    this.node.step(m);
    this.kick();
  }

  private kick(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.running || this.closed) return;
    this.running = true;
    try {
      while (!this.closed && this.node.hasReady()) await this.handleReady(this.node.ready());
    } catch (e) {
      this.cfg.logger.fatal({ err: e }, 'replica stopped: %s', (e as Error).message);
      this.fatal?.(e as Error);
      return;
    } finally {
      this.running = false;
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    const hs = rd.hardState;
    // Only a leader whose term and vote are already durable may send before its own write lands.
    const sendFirst = this.node.raft.role === 'leader' && !rd.snapshot && (!hs || (hs.term === this.persistedHard.term && hs.vote === this.persistedHard.vote));
    await this.cfg.storage.save(hs, rd.entries, rd.snapshot);
    if (sendFirst) this.cfg.transport.send(rd.messages);
    if (rd.mustSync) {
      const started = performance.now();
      await this.cfg.storage.sync();
      this.cfg.metrics?.fsyncSeconds.observe((performance.now() - started) / 1000);
    }
    if (hs) this.persistedHard = hs;
    if (!sendFirst) this.cfg.transport.send(rd.messages);
    if (rd.snapshot) this.installSnapshot(rd.snapshot);
    for (const e of rd.committedEntries) this.applyEntry(e);
    for (const rs of rd.readStates) this.reads.onReadState(rs.context, rs.index);
    this.node.advance(rd);
    this.reads.onApplied();
    if (rd.softState) this.onSoftState();
    this.maybeSnapshot();
  }

  private onSoftState(): void {
    const { lead, term, role } = this.node.raft;
    if (lead !== this.knownLeader) {
      this.cfg.logger.info({ leader: lead, term, role }, lead === 0 ? 'leader lost' : `leader is ${lead}`);
      this.knownLeader = lead;
      this.reads.abort(this.notLeaderError());
      for (const f of this.leaderListeners) f(lead, term);
    }
    if (role === 'leader') this.leases.promote(this.store.leases(), Date.now(), this.cfg.tickMs * this.cfg.electionTicks);
    else this.leases.demote();
  }

  private installSnapshot(snap: Snapshot): void {
    const state = decodeStateSnapshot(snap.data);
    // Restored in place, so the watch hub stays subscribed to the same store.
    this.store.restore(state.kv ?? new Uint8Array(0));
    this.members.replaceAll(state.members);
    this.cfg.storage.releaseSnapshotData();
    this.appliedIndex = snap.metadata.index;
    this.lastSnapshotIndex = snap.metadata.index;
    this.cfg.logger.info({ index: snap.metadata.index, term: snap.metadata.term }, 'installed snapshot from the leader');
  }

  private applyEntry(e: Entry): void {
    if (e.index <= this.appliedIndex) return;
    this.appliedIndex = e.index;
    let waiter = this.waiters.get(e.index);
    if (waiter) {
      this.waiters.delete(e.index);
      if (waiter.term !== e.term) {
        waiter.reject(new StoreError('Unavailable', 'the write was lost to a leader change; retry it (it applies at most once)'));
        waiter = undefined;
      }
    }
    if (e.type === 'confChange') {
      this.applyConfChange(e);
      waiter?.resolve(undefined);
      return;
    }
    if (e.data.byteLength === 0) return;
    // Values stay views into the entry's data: each is held once, by the log entry and the store alike.
    const outcome = applyEncoded(this.store, e.data, { shareBytes: true });
    if (outcome.ok && this.isLeader) {
      const r = outcome.result;
      if (r.t === 'leaseGrant' || r.t === 'leaseKeepAlive') this.leases.renew(r.id, r.ttlSeconds, Date.now());
      else if (r.t === 'leaseRevoke') this.leases.forget(r.id);
    }
    waiter?.resolve(outcome);
  }

  private applyConfChange(e: Entry): void {
    const cc = decodeConfChange(e.data);
    const conf = this.node.applyConfChange(cc);
    this.members.apply(cc);
    if (cc.type === 'remove' && cc.nodeId !== this.id) {
      // Later, not now: the last heartbeat that tells the removed member its fate must go out first.
      const gone = cc.nodeId;
      setTimeout(
        () => {
          if (!this.node.raft.prs.has(gone)) this.cfg.transport.removePeer(gone);
        },
        this.cfg.tickMs * this.cfg.electionTicks * 2,
      ).unref();
    } else if (cc.nodeId !== this.id) {
      // The address this replica was started with wins over the one the change carries: the
      // operator's --peers may route a link differently (through a fault proxy, say) than the
      // address the member announced to everyone when it was added.
      const flagged = this.cfg.initialMembers.find((f) => f.id === cc.nodeId)?.peerAddress;
      const address = flagged || this.members.get(cc.nodeId)?.peerAddress;
      if (address) this.cfg.transport.addPeer(cc.nodeId, address);
    }
    this.cfg.logger.info({ change: cc.type, member: cc.nodeId, voters: conf.voters, learners: conf.learners }, 'membership changed');
    if (cc.type === 'remove' && cc.nodeId === this.id) for (const f of this.removedListeners) f();
  }

  private maybeSnapshot(): void {
    if (this.snapshotting || this.appliedIndex - this.lastSnapshotIndex < this.cfg.snapshotEveryEntries) return;
    this.snapshotting = true;
    this.takeSnapshot()
      .catch((e: unknown) => this.cfg.logger.warn({ err: e }, 'snapshot failed'))
      .finally(() => {
        this.snapshotting = false;
      });
  }

  /**
   * Snapshots the state machine at the applied index, encoding it in slices while the replica
   * goes on (snapshot-encoder.ts), then hands it to storage, which compacts the log behind it.
   */
  private async takeSnapshot(): Promise<void> {
    const index = this.appliedIndex;
    const { voters, learners } = this.node.raft.conf;
    const conf = { voters: [...voters], learners: [...learners] };
    const started = performance.now();
    const encoded = await encodeStateSnapshotInSlices(this.store, this.members.list());
    if (this.closed) return;
    // Written from its slices and not kept in memory: storage reads it back if a follower needs it.
    await this.cfg.storage.createSnapshot(index, conf, encoded.parts);
    this.lastSnapshotIndex = index;
    const compactTo = index - this.cfg.keepEntriesAfterSnapshot;
    if (compactTo > this.cfg.storage.firstIndex()) this.cfg.storage.compact(compactTo);
    const bytes = encoded.byteLength;
    const totalMs = Math.round(performance.now() - started);
    this.cfg.logger.info({ index, bytes, blockedMs: Math.round(encoded.longestSliceMs), slices: encoded.slices, totalMs }, 'snapshot taken');
    this.cfg.metrics?.snapshotBytes.set(bytes);
  }

  /**
   * The state machine as snapshot bytes, as of now (what `storectl snapshot save` writes), with
   * the revision and applied index it holds; encoded in slices like the periodic snapshots.
   */
  async snapshotNow(): Promise<{ data: Uint8Array; revision: number; index: number }> {
    const index = this.appliedIndex;
    const { parts, revision } = await encodeStateSnapshotInSlices(this.store, this.members.list());
    return { data: await assembleInSlices(parts), revision, index };
  }

  // ---- requests ----------------------------------------------------------------------------

  notLeaderError(): StoreError {
    const lead = this.node.raft.lead;
    if (lead === 0) return new StoreError('NoLeader', 'no leader is known right now; retry shortly');
    const m = this.members.get(lead);
    return new StoreError('NotLeader', `replica ${this.id} is not the leader; ${lead} is`, { leader: lead, clientAddress: m?.clientAddress ?? '' });
  }

  /** Proposes a command and resolves with its outcome once applied here. Leader only. */
  propose(command: Command): Promise<ApplyOutcome> {
    if (this.closed) return Promise.reject(new StoreError('Closed', 'replica is shutting down'));
    if (!this.isLeader) return Promise.reject(this.notLeaderError());
    let pos: { index: number; term: number };
    try {
      // A buffer of its own (encodeCommand's is a slice of a shared one), as the store keeps views into it.
      pos = this.node.propose(new Uint8Array(encodeCommand(command)));
    } catch (e) {
      if (e instanceof ProposalDroppedError) {
        if (e.reason === 'backPressure') return Promise.reject(new StoreError('Unavailable', 'too many writes in flight; retry', {}));
        return Promise.reject(this.notLeaderError());
      }
      throw e;
    }
    this.cfg.metrics?.proposals.inc();
    this.kick();
    return new Promise((resolve, reject) =>
      this.waiters.set(pos.index, {
        term: pos.term,
        resolve: (outcome) => (outcome ? resolve(outcome) : reject(new StoreError('Internal', 'a write was applied as a membership change'))),
        reject,
      }),
    );
  }

  private proposeInternal(command: Command): void {
    this.propose(command).catch(() => {
      /* retried by the lease clock if it did not land */
    });
  }

  /** Waits until a read here would be linearizable. */
  readBarrier(): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('Closed', 'replica is shutting down'));
    return this.reads.wait();
  }

  proposeConfChange(cc: ConfChange): Promise<void> {
    if (!this.isLeader) return Promise.reject(this.notLeaderError());
    let pos: { index: number; term: number };
    try {
      pos = this.node.proposeConfChange(cc);
    } catch (e) {
      if (e instanceof ProposalDroppedError) return Promise.reject(new StoreError('InvalidRequest', e.message));
      throw e;
    }
    this.kick();
    return new Promise((resolve, reject) => this.waiters.set(pos.index, { term: pos.term, resolve: () => resolve(), reject }));
  }

  memberAdd(id: NodeId, peerAddress: string, clientAddress: string, learner: boolean): Promise<void> {
    return this.proposeConfChange({ type: learner ? 'addLearner' : 'addVoter', nodeId: id, context: encodeMemberContext({ peerAddress, clientAddress }) });
  }

  /** Promotes a learner once it has caught up with the leader's log. */
  memberPromote(id: NodeId): Promise<void> {
    const pr = this.node.raft.prs.get(id);
    if (this.isLeader && pr && pr.match + 1000 < this.node.raft.log.committed) {
      return Promise.reject(new StoreError('InvalidRequest', `learner ${id} has not caught up yet (${pr.match} of ${this.node.raft.log.committed}); retry`));
    }
    return this.proposeConfChange({ type: 'addVoter', nodeId: id });
  }

  memberRemove(id: NodeId): Promise<void> {
    return this.proposeConfChange({ type: 'remove', nodeId: id });
  }

  transferLeader(to: NodeId): boolean {
    const ok = this.node.transferLeader(to);
    this.kick();
    return ok;
  }

  /** The most caught-up other voter: the one to hand leadership to before stopping. */
  bestTransferee(): NodeId | undefined {
    let best: NodeId | undefined;
    let bestMatch = -1;
    for (const id of this.node.raft.conf.voters) {
      if (id === this.id) continue;
      const m = this.node.raft.prs.get(id)?.match ?? 0;
      if (m > bestMatch) {
        best = id;
        bestMatch = m;
      }
    }
    return best;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    if (this.progressTicker) clearInterval(this.progressTicker);
    const err = new StoreError('Closed', 'replica is shutting down');
    this.reads.close(err);
    for (const w of this.waiters.values()) w.reject(err);
    this.waiters.clear();
    this.hub.close();
  }
}
