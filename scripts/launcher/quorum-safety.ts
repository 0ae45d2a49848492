import { agreedLeader, type ReplicaStatusRow } from './store-status.js';

/** Whether store replica `id` may be stopped now without the store losing its quorum, and why. */
export interface StopVerdict {
  readonly safe: boolean;
  readonly why: string;
}

/**
 * A rolling restart takes a replica down only when the voters left keep a majority: the replicas
 * agree on a leader, and more than half of the voting members (as the leader lists them) other
 * than `id` answer and follow that leader. A learner, or a replica that is no member, is always
 * safe to stop. Stopping a voter while another is a learner still catching up (a member just
 * added) would leave the store without a quorum until it is promoted.
 */
export function stopKeepsQuorum(rows: readonly ReplicaStatusRow[], id: number): StopVerdict {
  const leader = agreedLeader(rows);
  if (!leader) return { safe: false, why: 'the replicas do not agree on a leader' };
  const members = rows.find((r) => r.id === leader.id)?.status?.members ?? [];
  const voters = members.filter((m) => !m.isLearner).map((m) => m.id);
  if (!voters.includes(id)) return { safe: true, why: `store-${id} is not a voting member` };
  const others = voters.filter((v) => v !== id);
  const following = others.filter((v) => rows.some((r) => r.id === v && r.status?.leader === leader.id));
  const quorum = Math.floor(voters.length / 2) + 1;
  return following.length >= quorum
    ? { safe: true, why: `${following.length} of ${voters.length} voters stay with leader store-${leader.id}` }
    : { safe: false, why: `only ${following.length} other voters of ${voters.length} follow store-${leader.id}; a quorum is ${quorum}` };
}
