import type { Entry, NodeId } from '../core/types.js';

const decoder = new TextDecoder();

/** What the invariants read of a leader's log. */
export interface LeaderLogView {
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly committed: number;
  termAt(index: number): number | undefined;
}

function entryKey(e: Entry): string {
  return `${e.type}|${decoder.decode(e.data)}`;
}

/**
 * The safety properties of Raft (Figure 3 of the paper), checked incrementally as the simulation
 * runs, so that every step is checked without rescanning every log:
 * - Election Safety: at most one leader per term;
 * - Log Matching: entries with the same index and term hold the same command, and are preceded
 *   by the same entry (checked on every persisted entry: same (index, term) ⇒ same command and
 *   same previous term, which by induction makes the logs identical up to there);
 * - Leader Completeness: a new leader's log holds every entry committed in an earlier term;
 * - State Machine Safety: no two replicas apply different entries at one index, and each
 *   replica applies indexes in order without gaps.
 * A violation is recorded with a sentence that says what broke.
 */
export class Invariants {
  readonly violations: string[] = [];
  private readonly leaders = new Map<number, NodeId>();
  private readonly persisted = new Map<string, { prevTerm: number | undefined; key: string }>();
  private readonly applied = new Map<number, { term: number; key: string }>();
  private readonly lastApplied = new Map<NodeId, number>();
  /** Term → the highest commit index its leader reported. */
  private readonly commitByTerm = new Map<number, number>();
  /** Index → the term of the entry committed there. */
  private readonly committedTerms = new Map<number, number>();

  private fail(message: string): void {
    if (this.violations.length < 20) this.violations.push(message);
  }

  /**
   * Called after every step for each replica that believes it leads `term`. Leader Completeness
   * is checked the first time a leader of a term is seen: it must hold every entry committed in
   * an earlier term. An entry counts as committed in term T once the leader of T reported a
   * commit index covering it (that leader may have learned it from an earlier one: attributing
   * it to T is later than the truth, which keeps the check sound).
   */
  onLeader(term: number, id: NodeId, log: LeaderLogView): void {
    const known = this.leaders.get(term);
    if (known === undefined) {
      this.leaders.set(term, id);
      this.checkCompleteness(term, id, log);
    } else if (known !== id) {
      this.fail(`election safety: nodes ${known} and ${id} are both leaders of term ${term}`);
    }
    const before = this.commitByTerm.get(term) ?? 0;
    if (log.committed > before) {
      for (let i = Math.max(before + 1, log.firstIndex); i <= log.committed; i++) {
        const t = log.termAt(i);
        if (t === undefined) continue;
        const rec = this.committedTerms.get(i);
        if (rec === undefined) this.committedTerms.set(i, t);
        else if (rec !== t) this.fail(`state machine safety: leader ${id} of term ${term} committed term ${t} at index ${i}, an earlier leader committed term ${rec}`);
      }
      this.commitByTerm.set(term, log.committed);
    }
  }

  private checkCompleteness(term: number, id: NodeId, log: LeaderLogView): void {
    let floor = 0;
    for (const [t, c] of this.commitByTerm) if (t < term && c > floor) floor = c;
    if (log.lastIndex < floor) {
      this.fail(`leader completeness: leader ${id} of term ${term} has last index ${log.lastIndex} but index ${floor} was committed in an earlier term`);
      return;
    }
    for (let i = Math.max(log.firstIndex, 1); i <= floor; i++) {
      const want = this.committedTerms.get(i);
      if (want === undefined) continue;
      const t = log.termAt(i);
      if (t !== want) {
        this.fail(`leader completeness: leader ${id} of term ${term} has term ${t} at index ${i}, where an entry of term ${want} was committed in an earlier term`);
        return;
      }
    }
  }

  onPersist(id: NodeId, entries: readonly Entry[], prevTermOfFirst: number | undefined): void {
    let prevTerm = prevTermOfFirst;
    for (const e of entries) {
      const k = `${e.index}/${e.term}`;
      const key = entryKey(e);
      const rec = this.persisted.get(k);
      if (!rec) this.persisted.set(k, { prevTerm, key });
      else if (rec.key !== key) this.fail(`log matching: node ${id} persisted a different command at index ${e.index} term ${e.term}`);
      else if (rec.prevTerm !== undefined && prevTerm !== undefined && rec.prevTerm !== prevTerm) {
        this.fail(`log matching: node ${id} has entry ${k} after term ${prevTerm}, another replica after term ${rec.prevTerm}`);
      }
      prevTerm = e.term;
    }
  }

  onSnapshotInstalled(id: NodeId, index: number): void {
    this.lastApplied.set(id, index);
  }

  onRestart(id: NodeId, appliedIndex: number): void {
    this.lastApplied.set(id, appliedIndex);
  }

  onApply(id: NodeId, e: Entry): void {
    const last = this.lastApplied.get(id);
    if (last !== undefined && e.index !== last + 1) {
      this.fail(`state machine safety: node ${id} applied index ${e.index} right after ${last}`);
    }
    this.lastApplied.set(id, e.index);
    const key = entryKey(e);
    const rec = this.applied.get(e.index);
    if (!rec) {
      this.applied.set(e.index, { term: e.term, key });
    } else if (rec.term !== e.term || rec.key !== key) {
      this.fail(`state machine safety: node ${id} applied term ${e.term} at index ${e.index}, another replica applied term ${rec.term}`);
    }
  }

  onEffectiveApplies(id: NodeId, reqId: string, count: number): void {
    if (count > 1) this.fail(`exactly once: node ${id} applied request ${reqId} ${count} times`);
  }

  get ok(): boolean {
    return this.violations.length === 0;
  }

  recordViolation(message: string): void {
    this.fail(message);
  }
}
