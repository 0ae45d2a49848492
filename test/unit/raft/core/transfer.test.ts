/**
 * Leadership transfer (dissertation §3.10): the leader brings the target's log up to date,
 * stops taking proposals, and sends TimeoutNow; the target campaigns at once, and its vote
 * requests are marked so that check-quorum leases do not block them.
 */
import t from 'tap';
import { ProposalDroppedError } from '../../../../raft/core/errors.js';
import { msg, network } from '../../../helpers/raft-network.js';

t.test('§3.10: the leader sends TimeoutNow to an up-to-date target, which wins term+1 despite active leases', async (t) => {
  const net = network(t, { voters: [1, 2, 3] }); // pre-vote and check-quorum on
  net.elect(1);
  net.run(3);
  t.equal(net.raft(3).lead, 1, '3 is in its lease: it would ignore an ordinary campaign');
  net.takeTrace();
  t.ok(net.transferLeader(1, 2));
  net.stabilize();
  t.same(net.takeTrace(), [
    '1->2 timeoutNow term=2',
    // No pre-vote: the leader asked for this election.
    '2->1 vote term=3 index=2 logTerm=2 transfer',
    '2->3 vote term=3 index=2 logTerm=2 transfer',
    '1->2 voteResp term=3',
    '3->2 voteResp term=3',
    '2->1 app term=3 index=2 logTerm=2 entries=[3/3] commit=2',
    '2->3 app term=3 index=2 logTerm=2 entries=[3/3] commit=2',
    '1->2 appResp term=3 index=3',
    '3->2 appResp term=3 index=3',
    '2->1 app term=3 index=3 logTerm=3 entries=[] commit=3',
    '2->3 app term=3 index=3 logTerm=3 entries=[] commit=3',
    '1->2 appResp term=3 index=3',
    '3->2 appResp term=3 index=3',
  ]);
  t.equal(net.leader(), 2);
  t.equal(net.term(2), 3);
  t.equal(net.role(1), 'follower');
});

t.test('§3.10: a lagging target is first sent the entries it lacks, then TimeoutNow', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  net.cut(1, 3);
  net.propose(1, 'a');
  net.propose(1, 'b');
  net.stabilize();
  net.heal();
  t.same(net.log(3), ['2/2']);
  net.takeTrace();
  net.transferLeader(1, 3);
  net.stabilize();
  const trace = net.takeTrace((l) => l.startsWith('1->3') || l.startsWith('3->1'));
  const caughtUp = trace.indexOf('3->1 appResp term=2 index=4');
  const timeoutNow = trace.indexOf('1->3 timeoutNow term=2');
  t.ok(caughtUp >= 0 && timeoutNow > caughtUp, trace.join('\n'));
  t.notOk(
    trace.slice(0, caughtUp).some((l) => l.includes('timeoutNow')),
    'no TimeoutNow before 3 holds the whole log',
  );
  t.equal(net.leader(), 3);
  t.same(net.applied(3), ['a', 'b']);
});

t.test('§3.10: proposals are dropped while a transfer is in progress', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  net.cut(1, 3);
  net.propose(1, 'a');
  net.stabilize();
  net.transferLeader(1, 3); // 3 cannot catch up while cut off
  t.equal(net.rawNode(1).status().leadTransferee, 3);
  const err = t.throws(() => net.propose(1, 'during'));
  t.ok(err instanceof ProposalDroppedError && err.reason === 'transferring', String(err));
  const cc = t.throws(() => net.proposeConfChange(1, { type: 'addLearner', nodeId: 4 }));
  t.ok(cc instanceof ProposalDroppedError && cc.reason === 'transferring', String(cc));
});

t.test('§3.10: a transfer that cannot finish within an election timeout is abandoned', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: { electionTicks: 10 } });
  net.elect(1);
  net.isolate(3);
  net.propose(1, 'a');
  net.stabilize();
  net.transferLeader(1, 3);
  net.run(9, [1, 2]);
  t.equal(net.rawNode(1).status().leadTransferee, 3, 'still trying just before the timeout');
  net.run(1, [1, 2]);
  t.equal(net.rawNode(1).status().leadTransferee, 0, 'given up after one election timeout');
  t.equal(net.leader(), 1, 'and 1 simply goes on leading');
  net.propose(1, 'b');
  net.stabilize();
  t.same(net.applied(2), ['a', 'b'], 'proposals are accepted again');
});

t.test('§3.10: a transfer to itself, to a learner or to a stranger is refused', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  net.addNode(4);
  net.proposeConfChange(1, { type: 'addLearner', nodeId: 4 });
  net.stabilize();
  t.notOk(net.transferLeader(1, 1));
  t.notOk(net.transferLeader(1, 4), 'a learner cannot lead');
  t.notOk(net.transferLeader(1, 9));
  t.notOk(net.transferLeader(2, 3), 'only the leader transfers');
  t.equal(net.rawNode(1).status().leadTransferee, 0);
});

t.test('§3.10: TimeoutNow that arrives after the target lost touch still produces only one leader per term', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  net.transferLeader(1, 2);
  // The vote requests of the transfer are lost: 2 is a candidate in term 3 with no majority.
  net.drop(msg.all(msg.from(2), msg.type('vote')));
  net.stabilize();
  t.equal(net.role(2), 'candidate');
  net.heal();
  net.runUntil(() => net.leaders().length === 1 && net.term(net.leaders()[0] ?? 1) >= 3, 80);
  t.equal(net.leaders().length, 1);
});
