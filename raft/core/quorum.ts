import type { NodeId } from './types.js';

/**
 * Majority arithmetic over a set of voters. Pure functions, checked against a naive oracle in
 * the tests.
 */

export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The largest index that a majority of voters has acknowledged. `matchOf` gives each voter's
 * acknowledged index. With no voters there is nothing to commit: Infinity means "no limit", so
 * callers must treat an empty configuration specially; we return 0 instead to stay safe.
 */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  const n = voters.length;
  if (n === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[majority(n) - 1] as number;
}

export type VoteResult = 'won' | 'lost' | 'pending';

export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const need = majority(voters.length);
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  if (granted >= need) return 'won';
  if (granted + missing >= need) return 'pending';
  return 'lost';
}
