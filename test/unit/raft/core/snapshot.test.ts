/**
 * Log compaction and InstallSnapshot (§7): a follower too far behind a compacted log gets the
 * leader's snapshot instead of entries, and a replica joining with an empty disk is caught up
 * the same way.
 */
import t from 'tap';
import { NONE } from '../../../../raft/core/types.js';
import { msg, network } from '../../../helpers/raft-network.js';

t.test('§7: a follower far behind a compacted log receives a snapshot and catches up', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  net.crash(3);
  for (let i = 1; i <= 10; i++) net.propose(1, `v${i}`);
  net.stabilize();
  const snapIndex = net.compact(1);
  t.equal(snapIndex, 12);
  t.equal(net.storage(1).firstIndex(), 13, 'the leader no longer holds the entries 3 lacks');
  net.propose(1, 'v11');
  net.stabilize();
  net.restart(3);
  net.takeTrace();
  net.run(3);
  const toThree = net.takeTrace((l) => l.startsWith('1->3 snap') || l.startsWith('3->1 appResp'));
  t.same(toThree.slice(0, 3), [
    // 3 holds up to index 2; the entries after it are gone from the leader's log.
    '3->1 appResp term=2 index=13 reject hint=2/2',
    '1->3 snap term=2 snapshot=12/2 voters=[1,2,3] learners=[]',
    '3->1 appResp term=2 index=12',
  ]);
  t.same(net.applied(3), net.applied(1), 'the state machine came with the snapshot; the rest came as entries');
  t.same(net.log(3), ['13/2']);
  t.equal(net.storage(3).firstIndex(), 13, "3's own log starts after the snapshot");
});

t.test('§7: a snapshot lost in flight is sent again', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  net.crash(3);
  for (let i = 1; i <= 5; i++) net.propose(1, `v${i}`);
  net.stabilize();
  net.compact(1);
  net.restart(3);
  net.drop(msg.once(msg.type('snap')));
  net.runUntil(() => net.applied(3).length === 5, 60);
  const snaps = net.trace.filter((l) => l.startsWith('1->3 snap'));
  t.equal(snaps.length, 2, snaps.join('\n'));
  t.match(snaps[0] ?? '', /DROPPED$/);
});

t.test('§7: while the snapshot is temporarily unavailable the leader waits, then sends it', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  net.crash(3);
  net.propose(1, 'x');
  net.stabilize();
  net.compact(1);
  net.storage(1).snapshotUnavailable = true;
  net.restart(3);
  net.run(5);
  t.notOk(
    net.trace.some((l) => l.includes('snap')),
    'nothing to send yet',
  );
  t.same(net.applied(3), []);
  net.storage(1).snapshotUnavailable = false;
  net.run(5);
  t.same(net.applied(3), ['x']);
});

t.test('§4.2.1, §7: a new replica with an empty disk joins as a learner, gets the snapshot, is promoted and votes', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  for (let i = 1; i <= 5; i++) net.propose(1, `v${i}`);
  net.stabilize();
  net.compact(1);
  net.addNode(4);
  t.same(net.raft(4).conf, { voters: [], learners: [] }, 'it knows nothing, not even the membership');
  net.run(50);
  t.equal(net.term(4), 0, 'alone, it never campaigns');

  net.proposeConfChange(1, { type: 'addLearner', nodeId: 4 });
  net.takeTrace();
  net.stabilize();
  t.ok(
    net.trace.some((l) => l.startsWith('1->4 snap')),
    'the leader no longer has the early entries: 4 gets the snapshot',
  );
  t.same(net.applied(4), net.applied(1), 'caught up from the snapshot and the entries after it');
  t.same(net.raft(4).conf, { voters: [1, 2, 3], learners: [4] });
  t.same(net.raft(1).conf, { voters: [1, 2, 3], learners: [4] });

  net.proposeConfChange(1, { type: 'addVoter', nodeId: 4 });
  net.stabilize();
  for (const id of [1, 2, 3, 4]) t.same(net.raft(id).conf, { voters: [1, 2, 3, 4], learners: [] }, `${id} sees 4 as a voter`);

  // With 1 gone, a leader needs three of 2, 3, 4: 4's vote is indispensable.
  net.crash(1);
  net.takeTrace();
  net.runUntil(() => net.leader() !== NONE, 80);
  const leader = net.leader();
  const fourVoted = net.trace.some((l) => new RegExp(`^4->${leader} voteResp term=${net.term(leader)}$`).test(l));
  t.ok(leader === 4 || fourVoted, `leader ${leader} was elected with 4's vote`);
  net.propose(leader, 'after');
  net.stabilize();
  t.same(net.applied(4), net.applied(2));
});

t.test('§7: a snapshot whose entries the follower already holds only advances its commit index', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  // 2 stores x but never hears that it committed.
  const undo = net.drop(msg.all(msg.to(2), (m) => m.type === 'app' && (m.entries ?? []).length === 0));
  net.propose(1, 'x');
  net.stabilize();
  undo();
  t.same([net.commit(1), net.commit(2)], [3, 2]);
  net.compact(1);
  net.takeTrace();
  net.inject({ type: 'snap', from: 1, to: 2, term: 2, snapshot: net.storage(1).snapshot() });
  net.stabilize();
  t.same(net.takeTrace(), ['1->2 snap term=2 snapshot=3/2 voters=[1,2,3] learners=[]', '2->1 appResp term=2 index=3']);
  t.equal(net.commit(2), 3);
  t.same(net.log(2), ['2/2', '3/2'], 'its log is kept, not replaced');
  t.same(net.applied(2), ['x']);
  // The same snapshot again, now old news.
  net.inject({ type: 'snap', from: 1, to: 2, term: 2, snapshot: net.storage(1).snapshot() });
  net.stabilize();
  t.same(net.takeTrace(), ['1->2 snap term=2 snapshot=3/2 voters=[1,2,3] learners=[]', '2->1 appResp term=2 index=3']);
});

t.test("§7: the follower's answer to a snapshot resumes replication even before the transport reports", async (t) => {
  const net = network(t, { voters: [1, 2, 3], reportSnapshots: false });
  net.elect(1);
  net.crash(3);
  for (let i = 1; i <= 4; i++) net.propose(1, `v${i}`);
  net.stabilize();
  net.compact(1);
  net.propose(1, 'v5');
  net.stabilize();
  net.restart(3);
  net.run(3);
  t.same(net.applied(3), ['v1', 'v2', 'v3', 'v4', 'v5']);
  t.equal(net.rawNode(1).status().progress?.[3]?.state, 'replicate');
});
