import type { RaftConfig } from '../core/config.js';
import { ProposalDroppedError } from '../core/errors.js';
import { RawNode, type Ready } from '../core/raw-node.js';
import type { Rng } from '../core/rng.js';
import type { MemoryStorage } from '../core/storage.js';
import type { Entry, Message, NodeId } from '../core/types.js';
import { decodeCommand, encodeCommand, type SimCommand, type SimResult, SimStateMachine } from './sim-state-machine.js';

/** A client's request to one replica. */
export type ClientRequest =
  | { readonly kind: 'write'; readonly clientId: number; readonly cmd: SimCommand }
  | { readonly kind: 'read'; readonly clientId: number; readonly reqId: string; readonly key: string };

/** A replica's answer. `redirect` means "not here; try `leader` (0 if unknown)". */
export type ClientReply =
  | { readonly reqId: string; readonly clientId: number; readonly kind: 'written'; readonly result: SimResult }
  | { readonly reqId: string; readonly clientId: number; readonly kind: 'read'; readonly value: string | null }
  | { readonly reqId: string; readonly clientId: number; readonly kind: 'redirect'; readonly leader: NodeId };

/** What one flush did, for the simulator to deliver and to check. */
export interface FlushResult {
  readonly messages: readonly Message[];
  readonly replies: readonly ClientReply[];
  readonly persisted: readonly Entry[];
  readonly applied: readonly Entry[];
  readonly snapshotIndex?: number;
}

export interface ReplicaOptions {
  readonly raft: Omit<RaftConfig, 'id' | 'storage' | 'rng' | 'applied'>;
  /** Take a state machine snapshot every this many applied entries. */
  readonly snapshotEveryEntries: number;
  /** Entries kept in the log behind a snapshot, so slightly lagging followers need no snapshot. */
  readonly keepEntriesAfterSnapshot: number;
  readonly makeRawNode?: (config: RaftConfig) => RawNode;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The simulator's driver for one replica: the same job the real replica process does (persist,
 * send, apply, advance), against a MemoryStorage that plays the disk. Everything in `storage`
 * survives a crash; everything else is rebuilt on restart.
 */
export class SimReplica {
  readonly node: RawNode;
  sm: SimStateMachine;
  appliedIndex: number;
  private lastSnapshotIndex: number;
  private readonly pendingWrites = new Map<string, number>();
  private readonly pendingReads = new Map<string, { clientId: number; key: string; index?: number }>();

  constructor(
    readonly id: NodeId,
    readonly storage: MemoryStorage,
    rng: Rng,
    private readonly opts: ReplicaOptions,
  ) {
    const snap = storage.snapshot();
    this.sm = SimStateMachine.restore(snap.data);
    this.appliedIndex = snap.metadata.index;
    this.lastSnapshotIndex = snap.metadata.index;
    const config: RaftConfig = { ...opts.raft, id, storage, rng, applied: snap.metadata.index };
    this.node = opts.makeRawNode ? opts.makeRawNode(config) : new RawNode(config);
  }

  handleClient(req: ClientRequest): ClientReply | undefined {
    if (req.kind === 'write') {
      try {
        this.node.propose(encodeCommand(req.cmd));
        this.pendingWrites.set(req.cmd.id, req.clientId);
        return undefined;
      } catch (e) {
        if (e instanceof ProposalDroppedError) return { reqId: req.cmd.id, clientId: req.clientId, kind: 'redirect', leader: e.leader };
        throw e;
      }
    }
    if (!this.node.readIndex(encoder.encode(req.reqId))) {
      return { reqId: req.reqId, clientId: req.clientId, kind: 'redirect', leader: this.node.raft.lead };
    }
    this.pendingReads.set(req.reqId, { clientId: req.clientId, key: req.key });
    return undefined;
  }

  /** Does one Ready: persist, then (returned) send, then apply, then advance. */
  flush(): FlushResult {
    const rd = this.node.ready();
    this.persist(rd, rd.entries.length, true);
    const replies: ClientReply[] = [];
    const applied: Entry[] = [];
    if (rd.snapshot) {
      this.sm = SimStateMachine.restore(rd.snapshot.data);
      this.appliedIndex = rd.snapshot.metadata.index;
      this.lastSnapshotIndex = rd.snapshot.metadata.index;
    }
    for (const e of rd.committedEntries) {
      this.applyEntry(e, replies);
      applied.push(e);
    }
    for (const rs of rd.readStates) {
      const reqId = decoder.decode(rs.context);
      const pending = this.pendingReads.get(reqId);
      if (pending) pending.index = rs.index;
    }
    this.node.advance(rd);
    this.serveReads(replies);
    this.maybeSnapshot();
    return {
      messages: rd.messages,
      replies,
      persisted: rd.entries,
      applied,
      ...(rd.snapshot ? { snapshotIndex: rd.snapshot.metadata.index } : {}),
    };
  }

  /**
   * A crash in the middle of writing a Ready: the snapshot and the first `keep` entries reach
   * the disk, the hard state only if every entry did. Nothing is sent, nothing applied.
   */
  crashDuringFlush(keep: number): Entry[] {
    if (!this.node.hasReady()) return [];
    const rd = this.node.ready();
    this.persist(rd, keep, keep >= rd.entries.length);
    return rd.entries.slice(0, keep);
  }

  private persist(rd: Ready, keep: number, withHardState: boolean): void {
    if (rd.snapshot) this.storage.applySnapshot(rd.snapshot);
    this.storage.append(rd.entries.slice(0, keep));
    if (withHardState && rd.hardState) this.storage.setHardState(rd.hardState);
  }

  private applyEntry(e: Entry, replies: ClientReply[]): void {
    if (e.index <= this.appliedIndex) return;
    this.appliedIndex = e.index;
    if (e.type === 'confChange') {
      this.node.applyConfChange(e);
      return;
    }
    if (e.data.byteLength === 0) return;
    const cmd = decodeCommand(e.data);
    const { result } = this.sm.apply(cmd);
    const clientId = this.pendingWrites.get(cmd.id);
    if (clientId !== undefined) {
      this.pendingWrites.delete(cmd.id);
      replies.push({ reqId: cmd.id, clientId, kind: 'written', result });
    }
  }

  private serveReads(replies: ClientReply[]): void {
    for (const [reqId, r] of this.pendingReads) {
      if (r.index !== undefined && r.index <= this.appliedIndex) {
        this.pendingReads.delete(reqId);
        replies.push({ reqId, clientId: r.clientId, kind: 'read', value: this.sm.get(r.key) });
      }
    }
  }

  private maybeSnapshot(): void {
    if (this.appliedIndex - this.lastSnapshotIndex < this.opts.snapshotEveryEntries) return;
    this.storage.createSnapshot(this.appliedIndex, this.node.raft.conf, this.sm.snapshot());
    this.lastSnapshotIndex = this.appliedIndex;
    const compactTo = this.appliedIndex - this.opts.keepEntriesAfterSnapshot;
    if (compactTo > this.storage.firstIndex()) this.storage.compact(compactTo);
  }
}
