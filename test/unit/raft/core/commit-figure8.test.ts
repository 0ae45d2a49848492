/**
 * Committing entries from previous terms (§5.4.2, Figure 8). The figure's five servers are
 * S1..S5 here; its index 1 is our index 2 (index 1 is the bootstrap snapshot). Appends carry
 * one entry each (maxSizePerMsgBytes: 1) so that the script can lose one entry and not the
 * other, as the figure needs.
 */
import t from 'tap';
import type { Message } from '../../../../raft/core/types.js';
import { type RaftNetwork, msg, network } from '../../../helpers/raft-network.js';
import { CommitsOldTermByCounting } from '../../../sim/broken-cores.js';

const config = { preVote: false, checkQuorum: false, maxSizePerMsgBytes: 1 } as const;

/**
 * Plays Figure 8 (a) to (c) and leaves S1 leading term 4. One liberty with the figure: in (c) S1
 * replicates its old entry 2/2 to S4 as well as S3, so that S1 *knows* a majority (S1, S3, S4)
 * holds it; S2 holds it too but S1 never hears so. Counting replicas would then commit it.
 */
function figure8c(net: RaftNetwork): void {
  // (a) S1 leads term 2 and replicates its entry at index 2 to S2 only.
  const undoA = net.drop(msg.all(msg.carrying(2), (m: Message) => m.to >= 3));
  net.campaign(1);
  net.stabilize();
  undoA();
  // (b) S1 crashes; S5 is elected for term 3 by S3, S4 and itself and takes a different entry at
  // index 2, which it never replicates.
  net.crash(1);
  const undoB = net.drop(msg.all(msg.from(5), msg.type('app')));
  net.campaign(5);
  net.stabilize();
  undoB();
  net.crash(5);
  // (c) S1 restarts; term 3 is taken (S3 and S4 voted for S5), so it wins term 4 with S2, S3 and
  // S4, and replicates its old entry 2/2. Its own entry 3/4 never reaches a server that could
  // take it (one that holds 2/2).
  net.restart(1);
  net.campaign(1);
  net.stabilize();
  net.campaign(1);
  net.drop((m) => msg.carrying(3)(m) && net.up().includes(m.to) && net.log(m.to).includes('2/2'));
  net.stabilize();
}

t.test('Figure 8: the servers reach state (c)', async (t) => {
  const net = network(t, { voters: [1, 2, 3, 4, 5], config });
  figure8c(net);
  t.equal(net.leader(), 1);
  t.equal(net.term(1), 4);
  t.same(net.log(1), ['2/2', '3/4']);
  t.same(net.log(2), ['2/2']);
  t.same(net.log(3), ['2/2']);
  t.same(net.log(4), ['2/2']);
});

t.test('§5.4.2: an entry of an older term stored on a majority is not committed by counting replicas', async (t) => {
  const net = network(t, { voters: [1, 2, 3, 4, 5], config });
  figure8c(net);
  const progress = net.rawNode(1).status().progress ?? {};
  t.same(
    [1, 2, 3, 4, 5].map((id) => progress[id]?.match),
    [3, 0, 2, 2, 0],
    'S1 knows that S1, S3 and S4 hold index 2: a majority of five',
  );
  t.equal(net.commit(1), 1, 'yet S1 does not commit it: it is not of the current term');
});

t.test('Figure 8 (d): that entry can indeed still be overwritten, by a leader elected without it', async (t) => {
  const net = network(t, { voters: [1, 2, 3, 4, 5], config });
  figure8c(net);
  net.heal();
  net.crash(1);
  net.restart(5);
  net.campaign(5); // term 4 is taken
  net.stabilize();
  net.campaign(5);
  net.stabilize();
  t.equal(net.leader(), 5);
  t.equal(net.term(5), 5);
  t.same(
    net.takeTrace((l) => l.includes('voteResp term=5')),
    ['2->5 voteResp term=5', '3->5 voteResp term=5', '4->5 voteResp term=5'],
    'its last entry 2/3 is newer than 2/2, so S2, S3 and S4 elect it',
  );
  for (const id of [2, 3, 4, 5]) t.same(net.log(id), ['2/3', '3/5'], `S${id} holds 2/3 where 2/2 was`);
  t.equal(net.commit(5), 3);
  net.restart(1);
  net.stabilize();
  net.run(3);
  t.same(net.log(1), ['2/3', '3/5'], 'S1 too, once back');
});

t.test('Figure 8 (e): once an entry of the current term commits, the older entries before it commit too', async (t) => {
  const net = network(t, { voters: [1, 2, 3, 4, 5], config });
  figure8c(net);
  t.equal(net.commit(1), 1);
  net.heal();
  net.run(3);
  t.same(net.log(3), ['2/2', '3/4']);
  t.equal(net.commit(1), 3, '3/4 is on a majority and of term 4: it commits, and 2/2 with it');
  for (const id of [1, 2, 3, 4]) t.equal(net.appliedIndex(id), 3, `S${id} applied both`);
  net.restart(5);
  net.run(3);
  t.same(net.log(5), ['2/2', '3/4'], "S5's 2/3 could never have been committed, and is replaced");
});

t.test('§5.4.2: a new leader commits the entries of earlier terms through its own no-op', async (t) => {
  const net = network(t, {
    voters: [1, 2, 3],
    config: { preVote: false, checkQuorum: false },
    logs: { 1: [2, 2], 2: [2, 2], 3: [2] },
    terms: { 1: 3, 2: 3, 3: 3 },
  });
  t.same(
    net.ids().map((id) => net.commit(id)),
    [1, 1, 1],
    'the term-2 entries were never known committed',
  );
  net.campaign(1);
  t.same(net.log(1), ['2/2', '3/2'], 'no no-op until the election is won');
  net.stabilize();
  t.same(net.log(1), ['2/2', '3/2', '4/4']);
  t.same(
    net.ids().map((id) => net.commit(id)),
    [4, 4, 4],
  );
  t.same(net.applied(3), ['preloaded 2/2', 'preloaded 3/2']);
});

t.test('a core that commits an old-term entry by counting replicas is caught losing a committed entry in Figure 8 (d)', async (t) => {
  const net = network(
    { teardown: () => {}, passing: () => true, comment: () => {} },
    { voters: [1, 2, 3, 4, 5], config, makeRaft: (c) => new CommitsOldTermByCounting(c) },
  );
  figure8c(net);
  t.equal(net.commit(1), 2, 'the broken S1 commits 2/2, counting S1, S3 and S4');
  t.throws(
    () => {
      net.heal();
      net.crash(1);
      net.restart(5);
      net.campaign(5);
      net.stabilize();
      net.campaign(5);
      net.stabilize();
    },
    /applied|safety/i,
    'S5 overwrites the committed entry and the harness sees two different entries applied at index 2',
  );
});
