/**
 * A deterministic in-process network of Raft replicas for scenario tests (etcd-io/raft's
 * `raft_test.go` network and its datadriven `interaction_env`, in one small class).
 *
 * Nothing happens by itself: a message moves only when the test delivers it, time passes only
 * when the test ticks, and every node's Ready is handled at once after each input, in the order
 * the Ready contract demands (persist snapshot, entries and hard state; queue the messages;
 * apply the snapshot and the committed entries; collect read states; advance). So a scenario is
 * a script, and its outcome depends on nothing but the script and the seed.
 *
 * The state machine of every replica is the list of the data of the normal entries it applied.
 * A snapshot carries that list, so a replica restored from one holds the same state.
 *
 * Two safety properties are checked on every step, and a violation throws with the trace:
 * at most one leader per term (Election Safety, §5.2), and no two replicas apply different
 * entries at the same index (State Machine Safety, §5.4.3).
 */
import type { RaftConfig } from '../../raft/core/config.js';
import type { Raft } from '../../raft/core/raft.js';
import { RawNode } from '../../raft/core/raw-node.js';
import { seededRng } from '../../raft/core/rng.js';
import { MemoryStorage, bootstrapMemoryStorage } from '../../raft/core/storage.js';
import type { ConfChange, Entry, Message, NodeId, Role } from '../../raft/core/types.js';
import { NONE } from '../../raft/core/types.js';
import { type MessageFilter, describeContext, describeEntry, describeMessage } from './raft-trace.js';

export { type MessageFilter, describeMessage, msg } from './raft-trace.js';

/** What a test may set per replica; identity, storage and randomness belong to the network. */
export type NodeConfig = Omit<RaftConfig, 'id' | 'storage' | 'rng' | 'applied'>;

export interface NetworkOptions {
  /** The initial voters; each starts from the same bootstrap snapshot (index 1, term 1). */
  readonly voters: readonly NodeId[];
  /** Applied to every replica, including ones added later unless they bring their own. */
  readonly config?: NodeConfig;
  /** Fixes every replica's election-timeout draws. */
  readonly seed?: number;
  /**
   * A log to start from, per replica: the terms of the entries after the bootstrap snapshot,
   * so `[1, 1, 4]` means entries 2/1, 3/1 and 4/4 (the paper's Figure 7 is written this way).
   * The replica's persisted term becomes the last of them unless `terms` says otherwise.
   */
  readonly logs?: Readonly<Record<number, readonly number[]>>;
  readonly terms?: Readonly<Record<number, number>>;
  /** Whether the transport reports a snapshot's delivery to its sender (reportSnapshot); default true. */
  readonly reportSnapshots?: boolean;
  /** Replaces the core of every replica: the tests prove the checks catch a broken one. */
  readonly makeRaft?: (config: RaftConfig) => Raft;
}

/** A ReadState with its context decoded, as the tests wrote it. */
export interface ReadAnswer {
  readonly index: number;
  readonly context: string;
}

interface Replica {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  readonly config: NodeConfig;
  node: RawNode | undefined;
  incarnation: number;
  /** The state machine: data of the applied normal entries, in log order. */
  applied: string[];
  appliedIndex: number;
  readStates: ReadAnswer[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encode(s: string): Uint8Array {
  return encoder.encode(s);
}

function decodeStateMachine(data: Uint8Array): string[] {
  if (data.byteLength === 0) return [];
  const doc: unknown = JSON.parse(decoder.decode(data));
  if (!Array.isArray(doc) || !doc.every((x) => typeof x === 'string')) throw new Error('test state machine: bad snapshot data');
  return doc;
}

export class RaftNetwork {
  private readonly replicas = new Map<NodeId, Replica>();
  private readonly seed: number;
  private readonly defaults: NodeConfig;
  private readonly reportSnapshots: boolean;
  /** Messages sent and not yet delivered, oldest first. */
  private queue: Message[] = [];
  /** Directed links that lose every message: "from>to". */
  private readonly cuts = new Set<string>();
  private drops: MessageFilter[] = [];
  /** Every message delivered or lost, in order; lost ones end in " DROPPED". */
  trace: string[] = [];
  /** Election Safety: the one leader each term has had. */
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** State Machine Safety: what was applied at each index, by anyone. */
  private readonly appliedAt = new Map<number, string>();

  private readonly makeRaft: ((config: RaftConfig) => Raft) | undefined;

  constructor(opts: NetworkOptions) {
    this.makeRaft = opts.makeRaft;
    this.seed = opts.seed ?? 1;
    this.defaults = opts.config ?? {};
    this.reportSnapshots = opts.reportSnapshots ?? true;
    for (const id of opts.voters) {
      const storage = new MemoryStorage();
      bootstrapMemoryStorage(storage, opts.voters);
      const terms = opts.logs?.[id] ?? [];
      if (terms.length > 0) {
        storage.append(terms.map((term, i) => ({ term, index: i + 2, type: 'normal' as const, data: encode(`preloaded ${i + 2}/${term}`) })));
      }
      const term = opts.terms?.[id] ?? Math.max(1, ...terms);
      storage.setHardState({ term, vote: NONE, commit: 1 });
      this.replicas.set(id, this.newReplica(id, storage, this.defaults));
    }
    for (const id of opts.voters) this.start(id);
  }

  private newReplica(id: NodeId, storage: MemoryStorage, config: NodeConfig): Replica {
    return { id, storage, config, node: undefined, incarnation: 0, applied: [], appliedIndex: 0, readStates: [] };
  }

  /** A replica that joins later: empty disk, in no configuration until a conf change names it. */
  addNode(id: NodeId, config?: NodeConfig): void {
    if (this.replicas.has(id)) throw new Error(`node ${id} exists`);
    this.replicas.set(id, this.newReplica(id, new MemoryStorage(), config ?? this.defaults));
    this.start(id);
  }

  private start(id: NodeId): void {
    const r = this.replica(id);
    r.incarnation++;
    // The state machine is rebuilt from the snapshot; the log re-applies the rest.
    const snap = r.storage.snapshot();
    r.applied = decodeStateMachine(snap.data);
    r.appliedIndex = snap.metadata.index;
    r.readStates = [];
    r.node = new RawNode(
      {
        ...r.config,
        id,
        storage: r.storage,
        rng: seededRng(this.seed * 7919 + id * 131 + r.incarnation),
      },
      this.makeRaft,
    );
    this.process(id);
  }

  // ---- access ------------------------------------------------------------------------------

  private replica(id: NodeId): Replica {
    const r = this.replicas.get(id);
    if (!r) throw new Error(`no node ${id}`);
    return r;
  }

  ids(): NodeId[] {
    return [...this.replicas.keys()].sort((a, b) => a - b);
  }

  /** The live replicas. */
  up(): NodeId[] {
    return this.ids().filter((id) => this.replica(id).node !== undefined);
  }

  rawNode(id: NodeId): RawNode {
    const n = this.replica(id).node;
    if (!n) throw new Error(`node ${id} is crashed`);
    return n;
  }

  raft(id: NodeId): Raft {
    return this.rawNode(id).raft;
  }

  storage(id: NodeId): MemoryStorage {
    return this.replica(id).storage;
  }

  role(id: NodeId): Role {
    return this.raft(id).role;
  }

  term(id: NodeId): number {
    return this.raft(id).term;
  }

  commit(id: NodeId): number {
    return this.raft(id).log.committed;
  }

  /** The live replica that is leader in the highest term, or NONE. */
  leader(): NodeId {
    let best: NodeId = NONE;
    let bestTerm = -1;
    for (const id of this.up()) {
      const r = this.raft(id);
      if (r.role === 'leader' && r.term > bestTerm) {
        best = id;
        bestTerm = r.term;
      }
    }
    return best;
  }

  /** Every live replica that believes it is leader. */
  leaders(): NodeId[] {
    return this.up().filter((id) => this.role(id) === 'leader');
  }

  /** The log as "index/term" from the first kept index to the last, persisted or not. */
  log(id: NodeId): string[] {
    const l = this.raft(id).log;
    return l.slice(l.firstIndex(), l.lastIndex() + 1).map(describeEntry);
  }

  /** The state machine's content: the data applied, in order. */
  applied(id: NodeId): string[] {
    return [...this.replica(id).applied];
  }

  appliedIndex(id: NodeId): number {
    return this.replica(id).appliedIndex;
  }

  /** The read states this replica received since it last started. */
  reads(id: NodeId): ReadAnswer[] {
    return [...this.replica(id).readStates];
  }

  // ---- the driver --------------------------------------------------------------------------

  /** Handles every Ready of `id` the way a correct driver does. */
  process(id: NodeId): void {
    const r = this.replica(id);
    const rn = r.node;
    if (!rn) return;
    for (let rounds = 0; rn.hasReady(); rounds++) {
      if (rounds > 10_000) this.fail(`node ${id} never stops producing Ready`);
      const rd = rn.ready();
      // 1. Persist, before anything that depends on it leaves the replica.
      if (rd.snapshot) r.storage.applySnapshot(rd.snapshot);
      r.storage.append(rd.entries);
      if (rd.hardState) r.storage.setHardState(rd.hardState);
      // 2. Send.
      this.queue.push(...rd.messages);
      // 3. Apply.
      if (rd.snapshot) {
        r.applied = decodeStateMachine(rd.snapshot.data);
        r.appliedIndex = rd.snapshot.metadata.index;
      }
      for (const e of rd.committedEntries) this.apply(r, rn, e);
      for (const rs of rd.readStates) r.readStates.push({ index: rs.index, context: describeContext(rs.context) });
      // 4. Done.
      rn.advance(rd);
      this.checkElectionSafety(id);
    }
  }

  private apply(r: Replica, rn: RawNode, e: Entry): void {
    if (e.index !== r.appliedIndex + 1) this.fail(`node ${r.id} applies ${e.index} after ${r.appliedIndex}`);
    const what = `${e.term}:${e.type}:${decoder.decode(e.data)}`;
    const seen = this.appliedAt.get(e.index);
    if (seen === undefined) this.appliedAt.set(e.index, what);
    else if (seen !== what) this.fail(`State Machine Safety: node ${r.id} applies ${what} at ${e.index}, another applied ${seen}`);
    if (e.type === 'confChange') rn.applyConfChange(e);
    else if (e.data.byteLength > 0) r.applied.push(decoder.decode(e.data));
    r.appliedIndex = e.index;
  }

  private checkElectionSafety(id: NodeId): void {
    const r = this.raft(id);
    if (r.role !== 'leader') return;
    const other = this.leaderOfTerm.get(r.term);
    if (other === undefined) this.leaderOfTerm.set(r.term, id);
    else if (other !== id) this.fail(`Election Safety: ${id} and ${other} both lead term ${r.term}`);
  }

  private fail(why: string): never {
    throw new Error(`${why}\n${this.dump()}`);
  }

  // ---- inputs ------------------------------------------------------------------------------

  tick(id: NodeId, ticks = 1): void {
    for (let i = 0; i < ticks; i++) {
      this.rawNode(id).tick();
      this.process(id);
    }
  }

  /** Ticks every live replica (or only those in `only`), without delivering what they send. */
  tickAll(ticks = 1, only?: readonly NodeId[]): void {
    for (let i = 0; i < ticks; i++) for (const id of this.up()) if (!only || only.includes(id)) this.tick(id);
  }

  /** Lets time pass: each tick, every live replica (or those in `only`) ticks, then all settles. */
  run(ticks: number, only?: readonly NodeId[]): void {
    for (let i = 0; i < ticks; i++) {
      this.tickAll(1, only);
      this.stabilize();
    }
  }

  /** Runs ticks like run() until `done` holds, at most `maxTicks`; returns the ticks it took. */
  runUntil(done: () => boolean, maxTicks: number, only?: readonly NodeId[]): number {
    for (let i = 0; i < maxTicks; i++) {
      if (done()) return i;
      this.run(1, only);
    }
    if (done()) return maxTicks;
    this.fail(`condition not reached within ${maxTicks} ticks`);
  }

  /** Ticks `id` alone until its election timer fires and it campaigns (or pre-campaigns). */
  tickElection(id: NodeId): void {
    const r = this.raft(id);
    const limit = 2 * r.cfg.electionTicks + 1;
    for (let i = 0; i < limit; i++) {
      this.tick(id);
      if (r.role !== 'follower') return;
    }
    this.fail(`node ${id} did not campaign within ${limit} ticks`);
  }

  campaign(id: NodeId): void {
    this.rawNode(id).campaign();
    this.process(id);
  }

  /** Campaigns and lets the election run to the end; fails unless `id` wins. */
  elect(id: NodeId): void {
    this.campaign(id);
    this.stabilize();
    if (this.role(id) !== 'leader') this.fail(`node ${id} did not win the election`);
  }

  propose(id: NodeId, ...data: string[]): { index: number; term: number } {
    const res = this.rawNode(id).propose(...data.map(encode));
    this.process(id);
    return res;
  }

  proposeConfChange(id: NodeId, cc: ConfChange): { index: number; term: number } {
    const res = this.rawNode(id).proposeConfChange(cc);
    this.process(id);
    return res;
  }

  readIndex(id: NodeId, context: string): boolean {
    const ok = this.rawNode(id).readIndex(encode(context));
    this.process(id);
    return ok;
  }

  transferLeader(id: NodeId, to: NodeId): boolean {
    const ok = this.rawNode(id).transferLeader(to);
    this.process(id);
    return ok;
  }

  /** Snapshots `id`'s state machine at what it applied, then drops the log before it. */
  compact(id: NodeId): number {
    const r = this.replica(id);
    const index = r.appliedIndex;
    r.storage.createSnapshot(index, this.raft(id).conf, encode(JSON.stringify(r.applied)));
    r.storage.compact(index);
    return index;
  }

  // ---- the network -------------------------------------------------------------------------

  /** Messages sent and not yet delivered, oldest first. */
  pending(filter: MessageFilter = () => true): Message[] {
    return this.queue.filter(filter);
  }

  pendingLines(filter: MessageFilter = () => true): string[] {
    return this.pending(filter).map(describeMessage);
  }

  private lost(m: Message): boolean {
    if (this.cuts.has(`${m.from}>${m.to}`)) return true;
    if (this.drops.some((f) => f(m))) return true;
    const to = this.replicas.get(m.to);
    return !to || to.node === undefined;
  }

  /** Delivers (or loses, per the faults) the oldest message matching `filter`. */
  deliver(filter: MessageFilter = () => true): boolean {
    const at = this.queue.findIndex(filter);
    if (at < 0) return false;
    const [m] = this.queue.splice(at, 1);
    if (!m) return false;
    const lost = this.lost(m);
    this.trace.push(lost ? `${describeMessage(m)} DROPPED` : describeMessage(m));
    if (!lost) {
      this.rawNode(m.to).step(m);
      this.process(m.to);
    }
    // The transport tells the sender how a snapshot went, as a real one would.
    if (m.type === 'snap' && this.reportSnapshots && this.replica(m.from).node) {
      this.rawNode(m.from).reportSnapshot(m.to, !lost);
      this.process(m.from);
    }
    return true;
  }

  /** Delivers until no message is left (including those the deliveries cause). */
  stabilize(maxMessages = 100_000): void {
    for (let i = 0; i < maxMessages; i++) if (!this.deliver()) return;
    this.fail(`no quiescence after ${maxMessages} messages`);
  }

  /** Puts a message on the wire as if `m.from` had sent it: a late duplicate, a forged stale one. */
  inject(m: Message): void {
    this.queue.push(m);
  }

  /** Throws away undelivered messages (lost in flight). */
  dropPending(filter: MessageFilter = () => true): void {
    for (const m of this.queue.filter(filter)) this.trace.push(`${describeMessage(m)} DROPPED`);
    this.queue = this.queue.filter((m) => !filter(m));
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.cuts.add(`${from}>${to}`);
  }

  cut(a: NodeId, b: NodeId): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  /** Cuts `id` off from every other replica, both ways. */
  isolate(id: NodeId): void {
    for (const other of this.ids()) if (other !== id) this.cut(id, other);
  }

  /** Splits the replicas into groups that cannot talk across. */
  partition(...groups: readonly NodeId[][]): void {
    for (const g of groups) for (const h of groups) if (g !== h) for (const a of g) for (const b of h) this.cutOneWay(a, b);
  }

  /** Loses every message `filter` matches, until heal() or the returned undo. */
  drop(filter: MessageFilter): () => void {
    this.drops.push(filter);
    return () => {
      this.drops = this.drops.filter((f) => f !== filter);
    };
  }

  /** Restores every link and removes every drop filter. */
  heal(): void {
    this.cuts.clear();
    this.drops = [];
  }

  /** Stops `id` at once: what it persisted stays on its disk, everything else is gone. */
  crash(id: NodeId): void {
    this.replica(id).node = undefined;
  }

  /** Starts `id` again from its disk alone. */
  restart(id: NodeId): void {
    if (this.replica(id).node) throw new Error(`node ${id} is running`);
    this.start(id);
  }

  // ---- reading the trace -------------------------------------------------------------------

  /** The trace since the last call, optionally only the lines matching `filter`. */
  takeTrace(filter: (line: string) => boolean = () => true): string[] {
    const out = this.trace.filter(filter);
    this.trace = [];
    return out;
  }

  /** Everything a failing test wants to see: the trace and each replica's state. */
  dump(): string {
    const lines = ['trace:', ...this.trace.map((l) => `  ${l}`), 'replicas:'];
    for (const id of this.ids()) {
      const r = this.replica(id);
      if (!r.node) {
        lines.push(`  ${id} crashed (disk: hardState=${JSON.stringify(r.storage.hardState)} last=${r.storage.lastIndex()})`);
        continue;
      }
      const s = r.node.status();
      lines.push(
        `  ${id} ${s.role} term=${s.term} vote=${s.vote} lead=${s.lead} commit=${s.commit} applied=${s.applied} ` +
          `voters=[${s.conf.voters.join(',')}] learners=[${s.conf.learners.join(',')}] log=[${this.log(id).join(' ')}]`,
      );
    }
    lines.push('undelivered:', ...this.queue.map((m) => `  ${describeMessage(m)}`));
    return lines.join('\n');
  }
}

/** The test's network, with its dump printed if the test fails. */
export function network(t: { teardown(fn: () => void): void; passing(): boolean; comment(...args: unknown[]): void }, opts: NetworkOptions): RaftNetwork {
  const net = new RaftNetwork(opts);
  t.teardown(() => {
    if (!t.passing()) t.comment(net.dump());
  });
  return net;
}
