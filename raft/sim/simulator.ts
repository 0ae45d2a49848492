import type { RaftConfig } from '../core/config.js';
import { ProposalDroppedError } from '../core/errors.js';
import type { RawNode } from '../core/raw-node.js';
import { type Rng, seededRng } from '../core/rng.js';
import { MemoryStorage, bootstrapMemoryStorage } from '../core/storage.js';
import type { Message, NodeId } from '../core/types.js';
import { EventQueue } from './event-queue.js';
import type { KvOperation } from './history.js';
import { Invariants } from './invariants.js';
import { checkKvHistory } from './kv-model.js';
import { describeMessage } from './describe.js';
import { CALM_NETWORK, type NetworkConditions, SimNetwork } from './sim-network.js';
import { type ClientReply, type ClientRequest, type FlushResult, SimReplica } from './sim-replica.js';
import { type ClientAction, SimClient, type WorkloadOptions } from './workload.js';

export interface SimOptions {
  readonly seed: number;
  readonly replicas: number;
  readonly clients: number;
  /** Faults are injected during this phase, then everything heals. */
  readonly faultPhaseMs: number;
  /** After healing the cluster must make progress: every client must complete operations. */
  readonly healPhaseMs: number;
  /** Clients stop, then replicas must converge to one state. */
  readonly quiesceMs: number;
  readonly faults: boolean;
  readonly membershipChanges: boolean;
  readonly tickMs: number;
  /** Time one Ready takes to reach the disk; inputs that arrive meanwhile share the next one. */
  readonly fsyncMs: number;
  readonly raft: Omit<RaftConfig, 'id' | 'storage' | 'rng' | 'applied'>;
  readonly workload: WorkloadOptions;
  readonly snapshotEveryEntries: number;
  readonly keepEntriesAfterSnapshot: number;
  readonly traceLines: number;
  /** Replaces the core, to prove the simulation catches a broken one. */
  readonly makeRawNode?: (config: RaftConfig) => RawNode;
}

export const DEFAULT_SIM_OPTIONS: Omit<SimOptions, 'seed'> = {
  replicas: 3,
  clients: 4,
  faultPhaseMs: 5000,
  healPhaseMs: 3000,
  quiesceMs: 1000,
  faults: true,
  membershipChanges: true,
  tickMs: 10,
  fsyncMs: 1,
  raft: { electionTicks: 15, heartbeatTicks: 5, maxSizePerMsgBytes: 64 * 1024, maxInflightMsgs: 64 },
  workload: { keys: 4, readRatio: 0.4, casRatio: 0.3, thinkMs: 5, attemptTimeoutMs: 150, opTimeoutMs: 1500 },
  snapshotEveryEntries: 60,
  keepEntriesAfterSnapshot: 10,
  traceLines: 300,
};

export interface SimReport {
  readonly seed: number;
  readonly violations: readonly string[];
  readonly trace: readonly string[];
  readonly history: readonly KvOperation[];
  readonly stats: SimStats;
}

export interface SimStats {
  events: number;
  messagesSent: number;
  entriesCommitted: number;
  opsSucceeded: number;
  opsUnknown: number;
  crashes: number;
  tornWrites: number;
  partitions: number;
  pauses: number;
  membershipChanges: number;
  snapshotsInstalled: number;
  leaderElections: number;
  firstLeaderMs: number | undefined;
  /** Virtual time from each leader crash to the next leader, when faults are off. */
  failoverMs: number[];
}

type SimEvent =
  | { k: 'tick'; id: NodeId; inc: number }
  | { k: 'flush'; id: NodeId; inc: number }
  | { k: 'deliver'; m: Message }
  | { k: 'request'; to: NodeId; req: ClientRequest }
  | { k: 'reply'; reply: ClientReply }
  | { k: 'clientWake'; clientId: number; token: number }
  | { k: 'fault' }
  | { k: 'restart'; id: NodeId }
  | { k: 'resume'; id: NodeId }
  | { k: 'healLinks' }
  | { k: 'heal' }
  | { k: 'quiesce' }
  | { k: 'operator' }
  | { k: 'crashLeader' };

interface NodeSlot {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  replica: SimReplica | undefined;
  paused: boolean;
  removed: boolean;
  inc: number;
  flushPending: boolean;
  /** Crash at the next flush, with only part of it written: a torn write. */
  tornCrashPending: boolean;
  /** What reached a paused node: delivered in a shuffled order when it resumes, as a stopped process finds its sockets. */
  held: ({ m: Message } | { to: NodeId; req: ClientRequest })[];
}

/**
 * A deterministic simulation of a Raft cluster: virtual time, a simulated network and disk,
 * crashes that lose what was not persisted (torn writes included), pauses, partitions, and
 * membership changes, with a client workload whose history is checked for linearizability.
 * One seed fixes everything; `run()` returns what it found.
 */
export class Simulator {
  private readonly q = new EventQueue<SimEvent>();
  private readonly rng: Rng;
  private readonly net: SimNetwork;
  private readonly nodes = new Map<NodeId, NodeSlot>();
  private readonly clients: SimClient[] = [];
  readonly invariants = new Invariants();
  private readonly trace: { add(t: number, s: string): void; tail(): string[] };
  private now = 0;
  private healed = false;
  private nextNodeId: NodeId;
  private readonly succeededAtHeal = new Map<number, number>();
  private lastLeaderKey = '';
  private crashedLeaderAt: number | undefined;
  private crashedLeaderId: NodeId = 0;
  private operator: { phase: 'idle' } | { phase: 'adding' | 'promoting'; node: NodeId } | { phase: 'removing'; node: NodeId; victim: NodeId } = { phase: 'idle' };
  readonly stats: SimStats = {
    events: 0,
    messagesSent: 0,
    entriesCommitted: 0,
    opsSucceeded: 0,
    opsUnknown: 0,
    crashes: 0,
    tornWrites: 0,
    partitions: 0,
    pauses: 0,
    membershipChanges: 0,
    snapshotsInstalled: 0,
    leaderElections: 0,
    firstLeaderMs: undefined,
    failoverMs: [],
  };

  constructor(readonly opts: SimOptions, trace?: { add(t: number, s: string): void; tail(): string[] }) {
    this.rng = seededRng(opts.seed);
    this.net = new SimNetwork(seededRng(opts.seed ^ 0x5eed));
    this.trace = trace ?? { add: () => {}, tail: () => [] };
    const voters = Array.from({ length: opts.replicas }, (_, i) => i + 1);
    this.nextNodeId = opts.replicas + 1;
    for (const id of voters) {
      const storage = new MemoryStorage();
      bootstrapMemoryStorage(storage, voters);
      this.addSlot(id, storage);
    }
    for (let c = 0; c < opts.clients; c++) {
      const client = new SimClient(c + 1, seededRng(opts.seed * 31 + c + 1), opts.workload, () => this.memberIds());
      this.clients.push(client);
    }
  }

  private memberIds(): NodeId[] {
    return [...this.nodes.values()].filter((n) => !n.removed).map((n) => n.id);
  }

  private addSlot(id: NodeId, storage: MemoryStorage): NodeSlot {
    const slot: NodeSlot = { id, storage, replica: undefined, paused: false, removed: false, inc: 0, flushPending: false, tornCrashPending: false, held: [] };
    this.nodes.set(id, slot);
    this.startReplica(slot);
    return slot;
  }

  private startReplica(slot: NodeSlot): void {
    slot.inc++;
    slot.flushPending = false;
    slot.tornCrashPending = false;
    slot.replica = new SimReplica(slot.id, slot.storage, seededRng(this.opts.seed * 7919 + slot.id * 104729 + slot.inc), {
      raft: this.opts.raft,
      snapshotEveryEntries: this.opts.snapshotEveryEntries,
      keepEntriesAfterSnapshot: this.opts.keepEntriesAfterSnapshot,
      ...(this.opts.makeRawNode ? { makeRawNode: this.opts.makeRawNode } : {}),
    });
    this.invariants.onRestart(slot.id, slot.replica.appliedIndex);
    this.q.push(this.now + this.rng.float() * this.opts.tickMs, { k: 'tick', id: slot.id, inc: slot.inc });
  }

  run(): SimReport {
    const o = this.opts;
    for (const c of this.clients) this.q.push(50 + this.rng.float() * 50, { k: 'clientWake', clientId: c.id, token: -1 });
    if (o.faults) this.q.push(200, { k: 'fault' });
    if (o.membershipChanges) this.q.push(300, { k: 'operator' });
    this.q.push(o.faultPhaseMs, { k: 'heal' });
    this.q.push(o.faultPhaseMs + o.healPhaseMs, { k: 'quiesce' });
    const end = o.faultPhaseMs + o.healPhaseMs + o.quiesceMs;
    while (this.q.size > 0 && (this.q.peekTime() ?? Infinity) <= end && this.invariants.ok) {
      const ev = this.q.pop();
      if (!ev) break;
      this.now = ev.at;
      this.stats.events++;
      this.handle(ev.event);
      this.observeLeaders();
    }
    if (this.invariants.ok) this.checkEnd();
    for (const c of this.clients) c.finish();
    const history = this.clients.flatMap((c) => c.history);
    this.stats.opsUnknown = history.filter((h) => h.return === null).length;
    this.stats.opsSucceeded = history.length - this.stats.opsUnknown;
    if (this.invariants.ok) {
      const result = checkKvHistory(history, { maxSteps: 2_000_000 });
      if (result.kind === 'illegal') {
        this.invariants.recordViolation(`linearizability: the history of key ${result.key} has no legal order (${result.partition.length} operations)`);
      } else if (result.kind === 'unknown') {
        this.trace.add(this.now, `linearizability check gave up on key ${result.key}`);
      }
    }
    return { seed: o.seed, violations: this.invariants.violations, trace: this.trace.tail(), history, stats: this.stats };
  }

  // ---- events ------------------------------------------------------------------------------

  private handle(ev: SimEvent): void {
    switch (ev.k) {
      case 'tick': {
        const slot = this.nodes.get(ev.id);
        if (!slot || slot.inc !== ev.inc || !slot.replica || slot.removed) return;
        if (!slot.paused) {
          slot.replica.node.tick();
          this.afterInput(slot);
        }
        this.q.push(this.now + this.opts.tickMs, ev);
        return;
      }
      case 'flush': {
        const slot = this.nodes.get(ev.id);
        if (!slot || slot.inc !== ev.inc || !slot.replica) return;
        slot.flushPending = false;
        if (slot.paused) return;
        if (slot.tornCrashPending) {
          this.crash(slot, true);
          this.q.push(this.now + 50 + this.rng.float() * 1000, { k: 'restart', id: slot.id });
          return;
        }
        this.flush(slot, slot.replica);
        return;
      }
      case 'deliver': {
        const slot = this.nodes.get(ev.m.to);
        if (!slot || !slot.replica || slot.removed) return;
        if (slot.paused) {
          slot.held.push({ m: ev.m });
          return;
        }
        this.trace.add(this.now, describeMessage(ev.m));
        slot.replica.node.step(ev.m);
        this.afterInput(slot);
        return;
      }
      case 'request': {
        const slot = this.nodes.get(ev.to);
        if (!slot || !slot.replica || slot.removed) return;
        if (slot.paused) {
          slot.held.push({ to: ev.to, req: ev.req });
          return;
        }
        const reply = slot.replica.handleClient(ev.req);
        if (reply) this.sendReply(reply);
        this.afterInput(slot);
        return;
      }
      case 'reply':
        this.clientActions(ev.reply.clientId, (c) => c.onReply(this.now, ev.reply));
        return;
      case 'clientWake':
        this.clientActions(ev.clientId, (c) => (ev.token === -1 ? c.start(this.now) : c.wake(this.now, ev.token)));
        return;
      case 'fault':
        if (!this.healed) {
          this.injectFault();
          this.q.push(this.now + 100 + this.rng.float() * 300, { k: 'fault' });
        }
        return;
      case 'restart': {
        const slot = this.nodes.get(ev.id);
        if (slot && !slot.replica && !slot.removed) {
          this.trace.add(this.now, `node ${ev.id} restarts`);
          this.startReplica(slot);
        }
        return;
      }
      case 'resume':
        this.resume(ev.id);
        return;
      case 'healLinks':
        this.net.healAll();
        this.trace.add(this.now, 'network partitions healed');
        return;
      case 'heal':
        this.heal();
        return;
      case 'quiesce':
        for (const c of this.clients) c.stopped = true;
        return;
      case 'operator':
        this.operate();
        this.q.push(this.now + 200, { k: 'operator' });
        return;
      case 'crashLeader': {
        const leader = this.currentLeader();
        if (leader) {
          this.crashedLeaderAt = this.now;
          this.crashedLeaderId = leader.id;
          this.crash(leader, false);
        }
        return;
      }
    }
  }

  private afterInput(slot: NodeSlot): void {
    if (!slot.flushPending && slot.replica?.node.hasReady()) {
      slot.flushPending = true;
      this.q.push(this.now + this.opts.fsyncMs, { k: 'flush', id: slot.id, inc: slot.inc });
    }
  }

  private flush(slot: NodeSlot, replica: SimReplica): void {
    const res: FlushResult = replica.flush();
    this.recordPersisted(slot, res.persisted);
    if (res.snapshotIndex !== undefined) {
      this.stats.snapshotsInstalled++;
      this.invariants.onSnapshotInstalled(slot.id, res.snapshotIndex);
      this.trace.add(this.now, `node ${slot.id} installed snapshot at ${res.snapshotIndex}`);
    }
    for (const e of res.applied) {
      this.invariants.onApply(slot.id, e);
      if (e.data.byteLength > 0 && e.type === 'normal') {
        const id = (JSON.parse(new TextDecoder().decode(e.data)) as { id: string }).id;
        this.invariants.onEffectiveApplies(slot.id, id, replica.sm.effectiveApplies.get(id) ?? 0);
      }
    }
    if (slot.replica?.node.raft.role === 'leader') this.stats.entriesCommitted += res.applied.length;
    for (const m of res.messages) {
      this.stats.messagesSent++;
      for (const delay of this.net.fate(m.from, m.to)) this.q.push(this.now + delay, { k: 'deliver', m });
    }
    for (const r of res.replies) this.sendReply(r);
    this.afterInput(slot);
  }

  private recordPersisted(slot: NodeSlot, entries: readonly { index: number }[]): void {
    const first = entries[0];
    if (!first) return;
    let prevTerm: number | undefined;
    try {
      prevTerm = slot.storage.term(first.index - 1);
    } catch {
      prevTerm = undefined;
    }
    this.invariants.onPersist(slot.id, entries as Parameters<Invariants['onPersist']>[1], prevTerm);
  }

  private sendReply(reply: ClientReply): void {
    for (const delay of this.net.clientFate()) this.q.push(this.now + delay, { k: 'reply', reply });
  }

  private clientActions(clientId: number, f: (c: SimClient) => ClientAction[]): void {
    const client = this.clients[clientId - 1];
    if (!client) return;
    for (const a of f(client)) {
      if (a.kind === 'wake') this.q.push(this.now + a.afterMs, { k: 'clientWake', clientId, token: a.token });
      else for (const delay of this.net.clientFate()) this.q.push(this.now + delay, { k: 'request', to: a.to, req: a.request });
    }
  }

  private observeLeaders(): void {
    let key = '';
    for (const slot of this.nodes.values()) {
      const r = slot.replica?.node.raft;
      if (!r || r.role !== 'leader' || slot.removed) continue;
      key += `${r.id}@${r.term};`;
      this.invariants.onLeader(r.term, r.id, {
        firstIndex: r.log.firstIndex(),
        lastIndex: r.log.lastIndex(),
        committed: r.log.committed,
        termAt: (i) => r.log.termOrZero(i) || undefined,
      });
    }
    if (key !== this.lastLeaderKey) {
      if (key !== '') {
        this.stats.leaderElections++;
        this.trace.add(this.now, `leaders now: ${key}`);
        if (this.stats.firstLeaderMs === undefined) this.stats.firstLeaderMs = this.now;
        if (this.crashedLeaderAt !== undefined && !key.startsWith(`${this.crashedLeaderId}@`)) {
          this.stats.failoverMs.push(this.now - this.crashedLeaderAt);
          this.crashedLeaderAt = undefined;
        }
      }
      this.lastLeaderKey = key;
    }
  }

  private currentLeader(): NodeSlot | undefined {
    let best: NodeSlot | undefined;
    for (const slot of this.nodes.values()) {
      const r = slot.replica?.node.raft;
      if (!r || r.role !== 'leader' || slot.removed || slot.paused) continue;
      if (!best || (best.replica?.node.raft.term ?? 0) < r.term) best = slot;
    }
    return best;
  }

  // ---- faults ------------------------------------------------------------------------------

  private liveSlots(): NodeSlot[] {
    return [...this.nodes.values()].filter((s) => !s.removed);
  }

  private injectFault(): void {
    const slots = this.liveSlots();
    const pick = (): NodeSlot => slots[this.rng.int(slots.length)] as NodeSlot;
    const r = this.rng.float();
    const leader = this.currentLeader();
    if (leader && this.rng.float() < 0.3) {
      this.leaderFault(leader);
      return;
    }
    if (r < 0.22) {
      const s = pick();
      // Half the crashes strike in the middle of the node's next write, tearing it.
      if (s.replica && this.rng.float() < 0.5) s.tornCrashPending = true;
      else if (s.replica) {
        this.crash(s, false);
        this.q.push(this.now + 50 + this.rng.float() * 1200, { k: 'restart', id: s.id });
      }
    } else if (r < 0.34) {
      const s = pick();
      if (s.replica && !s.paused) {
        s.paused = true;
        this.stats.pauses++;
        this.trace.add(this.now, `node ${s.id} paused`);
        this.q.push(this.now + 50 + this.rng.float() * 900, { k: 'resume', id: s.id });
      }
    } else if (r < 0.56) {
      const ids = slots.map((s) => s.id);
      const side = ids.filter(() => this.rng.float() < 0.5);
      const rest = ids.filter((id) => !side.includes(id));
      this.net.partition(side, rest);
      this.stats.partitions++;
      this.trace.add(this.now, `partition [${side}] | [${rest}]`);
      this.q.push(this.now + 100 + this.rng.float() * 1500, { k: 'healLinks' });
    } else if (r < 0.66) {
      const a = pick();
      const b = pick();
      if (a.id !== b.id) {
        this.net.cutLink(a.id, b.id);
        this.stats.partitions++;
        this.trace.add(this.now, `one-way cut ${a.id} -> ${b.id}`);
        this.q.push(this.now + 100 + this.rng.float() * 1500, { k: 'healLinks' });
      }
    } else if (r < 0.85) {
      this.net.conditions = this.randomConditions();
      this.trace.add(this.now, `network now ${JSON.stringify(this.net.conditions)}`);
    } else {
      this.net.conditions = { ...CALM_NETWORK };
    }
  }

  /** Faults aimed at the leader: where elections, lost appends and stale leaders happen. */
  private leaderFault(leader: NodeSlot): void {
    const r = this.rng.float();
    if (r < 0.35) {
      if (this.rng.float() < 0.5) leader.tornCrashPending = true;
      else {
        this.crash(leader, false);
        this.q.push(this.now + 50 + this.rng.float() * 800, { k: 'restart', id: leader.id });
      }
    } else if (r < 0.6) {
      leader.paused = true;
      this.stats.pauses++;
      this.trace.add(this.now, `leader ${leader.id} paused`);
      this.q.push(this.now + 200 + this.rng.float() * 800, { k: 'resume', id: leader.id });
    } else {
      const others = this.liveSlots().map((s) => s.id).filter((id) => id !== leader.id);
      // Sometimes the leader keeps one follower: a minority partition that still has a peer.
      const keep = this.rng.float() < 0.5 && others.length > 2 ? [others[this.rng.int(others.length)] as NodeId] : [];
      const side = [leader.id, ...keep];
      this.net.partition(side, others.filter((id) => !keep.includes(id)));
      this.stats.partitions++;
      this.trace.add(this.now, `leader partitioned: [${side}] | rest`);
      this.q.push(this.now + 200 + this.rng.float() * 1200, { k: 'healLinks' });
    }
  }

  private randomConditions(): NetworkConditions {
    const f = () => this.rng.float();
    return {
      lossRate: f() * 0.15,
      duplicateRate: f() * 0.1,
      minDelayMs: 0.5,
      maxDelayMs: 1 + f() * 30,
      longDelayRate: f() * 0.1,
      longDelayMs: 100 + f() * 900,
    };
  }

  private crash(slot: NodeSlot, torn: boolean): void {
    const replica = slot.replica;
    if (!replica) return;
    this.stats.crashes++;
    if (torn && replica.node.hasReady()) {
      const pending = replica.node.raft.log.unstable.entries.length;
      const keep = this.rng.int(pending + 1);
      const written = replica.crashDuringFlush(keep);
      this.recordPersisted(slot, written);
      this.stats.tornWrites++;
      this.trace.add(this.now, `node ${slot.id} crashes mid-write: ${written.length} of ${pending} entries reached the disk`);
    } else {
      this.trace.add(this.now, `node ${slot.id} crashes`);
    }
    slot.replica = undefined;
    slot.paused = false;
    slot.tornCrashPending = false;
    slot.held = [];
    slot.inc++;
  }

  private resume(id: NodeId): void {
    const slot = this.nodes.get(id);
    if (!slot || !slot.paused) return;
    slot.paused = false;
    this.trace.add(this.now, `node ${id} resumed`);
    const held = slot.held;
    slot.held = [];
    for (const h of held) {
      const at = this.now + this.rng.float() * 2;
      if ('m' in h) this.q.push(at, { k: 'deliver', m: h.m });
      else this.q.push(at, { k: 'request', to: h.to, req: h.req });
    }
  }

  private heal(): void {
    this.healed = true;
    this.net.healAll();
    this.net.conditions = { ...CALM_NETWORK };
    for (const slot of this.liveSlots()) {
      slot.tornCrashPending = false;
      if (!slot.replica) this.startReplica(slot);
      if (slot.paused) this.resume(slot.id);
    }
    for (const c of this.clients) this.succeededAtHeal.set(c.id, c.succeeded);
    this.trace.add(this.now, 'healed: all nodes up, network calm');
  }

  // ---- membership --------------------------------------------------------------------------

  /** A scripted operator that cycles membership: add a learner, promote it, remove another. */
  private operate(): void {
    const leader = this.currentLeader();
    const raft = leader?.replica?.node.raft;
    if (!leader || !raft) return;
    const conf = raft.conf;
    const op = this.operator;
    try {
      switch (op.phase) {
        case 'idle': {
          if (this.healed) return;
          const id = this.nextNodeId++;
          this.addSlot(id, new MemoryStorage());
          this.operator = { phase: 'adding', node: id };
          this.trace.add(this.now, `operator: add learner ${id}`);
          leader.replica?.node.proposeConfChange({ type: 'addLearner', nodeId: id });
          return;
        }
        case 'adding': {
          if (!conf.learners.includes(op.node)) {
            leader.replica?.node.proposeConfChange({ type: 'addLearner', nodeId: op.node });
            return;
          }
          const pr = raft.prs.get(op.node);
          if (pr && pr.match + 20 >= raft.log.committed) {
            this.operator = { phase: 'promoting', node: op.node };
            this.trace.add(this.now, `operator: promote ${op.node}`);
            leader.replica?.node.proposeConfChange({ type: 'addVoter', nodeId: op.node });
          }
          return;
        }
        case 'promoting': {
          if (!conf.voters.includes(op.node)) {
            leader.replica?.node.proposeConfChange({ type: 'addVoter', nodeId: op.node });
            return;
          }
          const candidates = conf.voters.filter((v) => v !== op.node);
          const victim = candidates[this.rng.int(candidates.length)] as NodeId;
          this.operator = { phase: 'removing', node: op.node, victim };
          this.trace.add(this.now, `operator: remove ${victim}`);
          leader.replica?.node.proposeConfChange({ type: 'remove', nodeId: victim });
          return;
        }
        case 'removing': {
          if (conf.voters.includes(op.victim) || conf.learners.includes(op.victim)) {
            if (leader.id !== op.victim) leader.replica?.node.proposeConfChange({ type: 'remove', nodeId: op.victim });
            return;
          }
          const slot = this.nodes.get(op.victim);
          if (slot) {
            slot.removed = true;
            slot.replica = undefined;
            slot.inc++;
          }
          this.stats.membershipChanges++;
          this.trace.add(this.now, `operator: node ${op.victim} removed and stopped`);
          this.operator = { phase: 'idle' };
          return;
        }
      }
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
    }
  }

  // ---- the end -----------------------------------------------------------------------------

  /** Liveness after healing, then convergence: one leader, every replica at one state. */
  private checkEnd(): void {
    for (const c of this.clients) {
      const before = this.succeededAtHeal.get(c.id) ?? 0;
      if (c.succeeded <= before) {
        this.invariants.recordViolation(`liveness: client ${c.id} completed no operation in the ${this.opts.healPhaseMs} ms after healing`);
      }
    }
    const leader = this.currentLeader();
    const raft = leader?.replica?.node.raft;
    if (!leader || !raft) {
      this.invariants.recordViolation('liveness: no leader at the end of a healed run');
      return;
    }
    const members = [...raft.conf.voters, ...raft.conf.learners];
    const states = new Set<string>();
    for (const id of members) {
      const r = this.nodes.get(id)?.replica;
      if (!r) {
        this.invariants.recordViolation(`liveness: member ${id} is not running at the end`);
        continue;
      }
      if (r.appliedIndex !== raft.log.committed) {
        this.invariants.recordViolation(`convergence: node ${id} applied ${r.appliedIndex}, leader ${leader.id} committed ${raft.log.committed}`);
      }
      states.add(r.sm.hash());
    }
    if (states.size > 1) this.invariants.recordViolation(`convergence: replicas ended with ${states.size} different states`);
  }

  /** For figures: crash the leader at `atMs`. */
  scheduleLeaderCrash(atMs: number): void {
    this.q.push(atMs, { k: 'crashLeader' });
  }
}

/**
 * Each seed also picks its flow-control settings, so the runs cover tiny messages (entries of
 * one leader split over several appends), stop-and-wait and deep pipelines.
 */
export function seedRaftSettings(seed: number): SimOptions['raft'] {
  const rng = seededRng(seed ^ 0xf10c);
  const sizes = [200, 2048, 64 * 1024];
  const inflights = [1, 4, 64];
  return {
    ...DEFAULT_SIM_OPTIONS.raft,
    maxSizePerMsgBytes: sizes[rng.int(sizes.length)] as number,
    maxInflightMsgs: inflights[rng.int(inflights.length)] as number,
  };
}

export function runSeed(seed: number, overrides: Partial<Omit<SimOptions, 'seed'>> = {}, trace?: ConstructorParameters<typeof Simulator>[1]): SimReport {
  return new Simulator({ ...DEFAULT_SIM_OPTIONS, raft: seedRaftSettings(seed), ...overrides, seed }, trace).run();
}
