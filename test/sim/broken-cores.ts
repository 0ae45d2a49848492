import type { RaftConfig } from '../../raft/core/config.js';
import { Raft } from '../../raft/core/raft.js';
import { RawNode } from '../../raft/core/raw-node.js';
import { committedIndex } from '../../raft/core/quorum.js';
import type { Message } from '../../raft/core/types.js';

/**
 * Deliberately broken variants of the Raft core. Each breaks one rule of the paper; the
 * simulation must catch every one of them, or it proves nothing.
 */

/** Commits an entry of an earlier term by counting replicas (what Figure 8 forbids). */
export class CommitsOldTermByCounting extends Raft {
  override maybeCommit(): boolean {
    const mci = committedIndex(this.conf.voters, (id) => this.prs.get(id)?.match ?? 0);
    if (mci <= this.log.committed) return false;
    this.log.commitTo(mci);
    return true;
  }
}

/** Grants votes without the up-to-date check of §5.4.1. */
class VotesForAnyLog extends Raft {
  protected override handleVoteRequest(m: Message): void {
    const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    const canVote = this.vote === m.from || this.vote === 0 || (m.type === 'preVote' && m.term > this.term);
    if (!canVote) {
      this.send({ type: respType, to: m.from, term: this.term, reject: true });
      return;
    }
    this.send({ type: respType, to: m.from, term: m.term, reject: false });
    if (m.type === 'vote') this.vote = m.from;
  }
}

/** Serves reads at its commit index without confirming leadership with a quorum. */
class ReadsWithoutQuorum extends Raft {
  override readIndex(context: Uint8Array): boolean {
    if (this.role !== 'leader') return super.readIndex(context);
    this.answerRead(this.id, this.log.committed, context);
    return true;
  }
}

function factory(C: new (c: RaftConfig) => Raft): (config: RaftConfig) => RawNode {
  return (config) => new RawNode(config, (c) => new C(c));
}

/**
 * The variants the random simulation must catch. Committing an old-term entry by counting needs
 * a precise sequence of three leaders that random faults rarely produce; the Figure 8 scenario
 * test replays that sequence against CommitsOldTermByCounting instead.
 */
export const BROKEN_CORES = {
  'votes for a candidate whose log is behind': factory(VotesForAnyLog),
  'serves reads without a quorum round (ReadIndex skipped)': factory(ReadsWithoutQuorum),
} as const;

export const commitsOldTermByCounting = factory(CommitsOldTermByCounting);
