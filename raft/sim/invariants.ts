import type { Entry, NodeId } from '../core/types.js';

const decoder = new TextDecoder();

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
 * - Leader Completeness: a new leader's log holds every entry applied anywhere so far;
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
  maxAppliedIndex = 0;

  private fail(message: string): void {
    if (this.violations.length < 20) this.violations.push(message);
  }

  onLeader(term: number, id: NodeId, logTermAt: (index: number) => number | undefined, firstIndex: number, lastIndex: number): void {
    const known = this.leaders.get(term);
    if (known === undefined) {
      this.leaders.set(term, id);
      this.checkCompleteness(term, id, logTermAt, firstIndex, lastIndex);
    } else if (known !== id) {
      this.fail(`election safety: nodes ${known} and ${id} are both leaders of term ${term}`);
    }
  }

  private checkCompleteness(term: number, id: NodeId, logTermAt: (index: number) => number | undefined, firstIndex: number, lastIndex: number): void {
    if (lastIndex < this.maxAppliedIndex) {
      this.fail(`leader completeness: leader ${id} of term ${term} has last index ${lastIndex} but index ${this.maxAppliedIndex} was applied`);
      return;
    }
    for (let i = Math.max(firstIndex, 1); i <= this.maxAppliedIndex; i++) {
      const rec = this.applied.get(i);
      if (!rec) continue;
      const t = logTermAt(i);
      if (t !== rec.term) {
        this.fail(`leader completeness: leader ${id} of term ${term} has term ${t} at index ${i}, where an entry of term ${rec.term} was applied`);
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
      if (e.index > this.maxAppliedIndex) this.maxAppliedIndex = e.index;
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
