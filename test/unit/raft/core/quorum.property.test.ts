/**
 * The majority arithmetic of quorum.ts against the definitions, stated as naively as possible
 * (etcd-io/raft quorum/quick_test.go does the same for its JointConfig).
 */
import fc from 'fast-check';
import t from 'tap';
import { committedIndex, majority, voteResult } from '../../../../raft/core/quorum.js';

const voters = fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 9 });

/** The largest index that more than half the voters have; 0 with no voters. */
function naiveCommittedIndex(ids: readonly number[], matchOf: (id: number) => number): number {
  let best = 0;
  for (const candidate of ids.map(matchOf)) {
    const holders = ids.filter((id) => matchOf(id) >= candidate).length;
    if (holders * 2 > ids.length && candidate > best) best = candidate;
  }
  return best;
}

/** Won with more than half granted; lost once more than half can no longer grant. */
function naiveVoteResult(ids: readonly number[], votes: ReadonlyMap<number, boolean>): 'won' | 'lost' | 'pending' {
  const granted = ids.filter((id) => votes.get(id) === true).length;
  const refused = ids.filter((id) => votes.get(id) === false).length;
  if (granted * 2 > ids.length) return 'won';
  if ((ids.length - refused) * 2 > ids.length) return 'pending';
  return 'lost';
}

t.test('majority(n) is the smallest count that is more than half of n', async (t) => {
  for (let n = 0; n <= 20; n++) {
    const m = majority(n);
    t.ok(m * 2 > n && (m - 1) * 2 <= n, `n=${n} m=${m}`);
  }
});

t.test('committedIndex is the largest index held by a majority of voters', async (t) => {
  fc.assert(
    fc.property(voters, fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 12, maxLength: 12 }), (ids, matches) => {
      const matchOf = (id: number) => matches[id - 1] ?? 0;
      return committedIndex(ids, matchOf) === naiveCommittedIndex(ids, matchOf);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

t.test('committedIndex never decreases when any voter acknowledges more', async (t) => {
  fc.assert(
    fc.property(
      voters.filter((ids) => ids.length > 0),
      fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 12, maxLength: 12 }),
      fc.nat(),
      fc.integer({ min: 1, max: 10 }),
      (ids, matches, pick, more) => {
        const matchOf = (id: number) => matches[id - 1] ?? 0;
        const who = ids[pick % ids.length] ?? 1;
        const after = (id: number) => (id === who ? matchOf(id) + more : matchOf(id));
        return committedIndex(ids, after) >= committedIndex(ids, matchOf);
      },
    ),
    { numRuns: 1000 },
  );
  t.pass();
});

t.test('voteResult agrees with counting, and ignores the votes of non-voters', async (t) => {
  const ballot = fc.constantFrom<boolean | undefined>(true, false, undefined);
  fc.assert(
    fc.property(voters, fc.array(ballot, { minLength: 12, maxLength: 12 }), (ids, ballots) => {
      const votes = new Map<number, boolean>();
      // Every id 1..12 may have voted, members or not.
      ballots.forEach((b, i) => {
        if (b !== undefined) votes.set(i + 1, b);
      });
      return voteResult(ids, votes) === naiveVoteResult(ids, votes);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

t.test('a vote that is won or lost stays so whatever the missing voters answer', async (t) => {
  const ballot = fc.constantFrom<boolean | undefined>(true, false, undefined);
  fc.assert(
    fc.property(voters, fc.array(ballot, { minLength: 12, maxLength: 12 }), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), (ids, ballots, late) => {
      const votes = new Map<number, boolean>();
      ballots.forEach((b, i) => {
        if (b !== undefined) votes.set(i + 1, b);
      });
      const before = voteResult(ids, votes);
      if (before === 'pending') return true;
      const all = new Map(votes);
      for (const id of ids) if (!all.has(id)) all.set(id, late[id - 1] ?? false);
      return voteResult(ids, all) === before;
    }),
    { numRuns: 1000 },
  );
  t.pass();
});
