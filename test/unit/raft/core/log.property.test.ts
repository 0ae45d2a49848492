/**
 * RaftLog (with its UnstableLog) against a naive array of terms. A random script appends (and
 * overwrites) entries, commits, installs snapshots, and plays a driver that persists one Ready's
 * worth at a time and acknowledges it later, possibly after the log moved on. Whatever the
 * script, the log reads like the array, and what it believes durable really is on the disk.
 */
import fc from 'fast-check';
import t from 'tap';
import { CompactedError, UnavailableError } from '../../../../raft/core/errors.js';
import { RaftLog } from '../../../../raft/core/log.js';
import { MemoryStorage } from '../../../../raft/core/storage.js';
import type { Entry, Snapshot } from '../../../../raft/core/types.js';

type Op =
  | { kind: 'append'; at: number; count: number }
  | { kind: 'commit'; by: number }
  | { kind: 'ready' }
  | { kind: 'advance' }
  | { kind: 'restore'; beyond: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('commit' as const), by: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('ready' as const) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restore' as const), beyond: fc.integer({ min: 1, max: 4 }) }) },
);

/** The naive log: the term of every index from `first - 1` (the snapshot's) on. */
class NaiveLog {
  first = 1;
  terms: number[] = [0]; // terms[i - (first - 1)]
  committed = 0;
  get last(): number {
    return this.first - 1 + this.terms.length - 1;
  }
  term(i: number): number {
    return this.terms[i - (this.first - 1)] as number;
  }
}

interface Batch {
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | undefined;
}

function check(log: RaftLog, storage: MemoryStorage, model: NaiveLog): string | undefined {
  if (log.firstIndex() !== model.first) return `firstIndex ${log.firstIndex()} != ${model.first}`;
  if (log.lastIndex() !== model.last) return `lastIndex ${log.lastIndex()} != ${model.last}`;
  if (log.committed !== model.committed) return `committed ${log.committed} != ${model.committed}`;
  for (let i = model.first - 1; i <= model.last; i++) {
    if (log.term(i) !== model.term(i)) return `term(${i}) ${log.term(i)} != ${model.term(i)}`;
    if (!log.matchTerm(i, model.term(i))) return `matchTerm(${i}) is false`;
  }
  const ents = log.slice(model.first, model.last + 1);
  if (ents.length !== model.last - model.first + 1) return 'slice length';
  for (const e of ents) if (e.term !== model.term(e.index)) return `slice entry ${e.index}`;
  try {
    log.term(model.last + 1);
    return 'term past the end answered';
  } catch (e) {
    if (!(e instanceof UnavailableError)) throw e;
  }
  if (model.first >= 2) {
    try {
      log.term(model.first - 2);
      return 'term before the snapshot answered';
    } catch (e) {
      if (!(e instanceof CompactedError)) throw e;
    }
  }
  // Everything the log no longer keeps unstable must be on the disk, as the log has it.
  const u = log.unstable;
  if (u.entries.length > 0 && u.offset + u.entries.length - 1 !== model.last) return 'unstable entries do not end the log';
  if (!u.snapshot) {
    if (storage.lastIndex() < u.offset - 1) return `stable up to ${u.offset - 1} but the disk ends at ${storage.lastIndex()}`;
    for (let i = Math.max(model.first - 1, storage.firstIndex() - 1); i < u.offset; i++) {
      if (storage.term(i) !== model.term(i)) return `entry ${i} counted stable, but the disk has term ${storage.term(i)}, the log ${model.term(i)}`;
    }
    if (log.lastStableIndex() !== u.offset - 1) return 'lastStableIndex';
  }
  return undefined;
}

t.test('RaftLog reads like a naive array of terms, and what it counts stable is on the disk', async (t) => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
      const storage = new MemoryStorage();
      const log = new RaftLog(storage, Number.MAX_SAFE_INTEGER);
      const model = new NaiveLog();
      let term = 0;
      let outstanding: Batch | undefined;
      for (const o of ops) {
        switch (o.kind) {
          case 'append': {
            // A new leader's entries: a fresh term, after the committed prefix.
            const at = model.committed + 1 + (o.at % (model.last - model.committed + 1));
            term++;
            const ents: Entry[] = [];
            for (let i = 0; i < o.count; i++) ents.push({ index: at + i, term, type: 'normal', data: new Uint8Array(0) });
            log.append(ents);
            model.terms = model.terms.slice(0, at - (model.first - 1)).concat(ents.map((e) => e.term));
            break;
          }
          case 'commit': {
            const to = Math.min(model.last, model.committed + o.by);
            log.commitTo(to);
            model.committed = Math.max(model.committed, to);
            break;
          }
          case 'ready': {
            // The driver writes what is unstable now; it acknowledges it on 'advance'.
            if (outstanding) break;
            outstanding = { entries: [...log.unstable.entries], snapshot: log.unstable.snapshot };
            if (outstanding.snapshot) storage.applySnapshot(outstanding.snapshot);
            storage.append(outstanding.entries);
            break;
          }
          case 'advance': {
            if (!outstanding) break;
            if (outstanding.snapshot) log.stableSnapTo(outstanding.snapshot.metadata.index);
            const last = outstanding.entries[outstanding.entries.length - 1];
            if (last) log.stableTo(last.index, last.term);
            outstanding = undefined;
            break;
          }
          case 'restore': {
            // A snapshot from a leader, past our commit index and not matching our log there.
            const index = model.committed + o.beyond;
            term++;
            log.restore({ metadata: { index, term, confState: { voters: [1], learners: [] } }, data: new Uint8Array(0) });
            model.first = index + 1;
            model.terms = [term];
            model.committed = index;
            break;
          }
        }
        const problem = check(log, storage, model);
        if (problem) throw new Error(`${problem} after ${JSON.stringify(o)}`);
      }
      // A driver that finishes its work leaves nothing unstable, and the disk is the log.
      for (let round = 0; round < 3; round++) {
        if (outstanding) {
          if (outstanding.snapshot) log.stableSnapTo(outstanding.snapshot.metadata.index);
          const last = outstanding.entries[outstanding.entries.length - 1];
          if (last) log.stableTo(last.index, last.term);
        }
        outstanding = { entries: [...log.unstable.entries], snapshot: log.unstable.snapshot };
        if (outstanding.snapshot) storage.applySnapshot(outstanding.snapshot);
        storage.append(outstanding.entries);
      }
      if (log.unstable.entries.length > 0 || log.unstable.snapshot) throw new Error('still unstable after draining');
      if (storage.lastIndex() !== model.last || storage.firstIndex() !== model.first) throw new Error('disk bounds differ from the log');
      for (let i = model.first - 1; i <= model.last; i++) if (storage.term(i) !== model.term(i)) throw new Error(`disk term ${i}`);
      return true;
    }),
    { numRuns: 1500 },
  );
  t.pass();
});

t.test('findConflictByTerm returns the last index at or before the probe whose term is no newer', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 30 }), fc.nat(), fc.integer({ min: 0, max: 40 }), (steps, probe, probeTerm) => {
      // Terms along a log never decrease.
      const terms: number[] = [];
      let term = 1;
      for (const s of steps) {
        term += s - 1;
        terms.push(term);
      }
      const storage = new MemoryStorage();
      storage.append(terms.map((tm, i) => ({ index: i + 1, term: tm, type: 'normal' as const, data: new Uint8Array(0) })));
      const log = new RaftLog(storage, Number.MAX_SAFE_INTEGER);
      const index = probe % (terms.length + 1);
      const got = log.findConflictByTerm(index, probeTerm);
      let want = { index: 0, term: 0 };
      for (let i = index; i >= 1; i--) {
        if ((terms[i - 1] as number) <= probeTerm) {
          want = { index: i, term: terms[i - 1] as number };
          break;
        }
      }
      return got.index === want.index && got.term === want.term;
    }),
    { numRuns: 1000 },
  );
  t.pass();
});
