/**
 * Pre-vote (dissertation §9.6), check-quorum (§6.2) and leader stickiness (§4.2.3): the
 * additions that keep a replica which was cut off from disrupting a healthy cluster when it
 * comes back, and that make a leader which lost its majority stop acting as one.
 */
import t from 'tap';
import { NONE } from '../../../../raft/core/types.js';
import { msg, network } from '../../../helpers/raft-network.js';

t.test("§9.6: a replica cut off and then healed bumps nobody's term and does not depose the healthy leader", async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: { preVote: true, checkQuorum: true } });
  net.elect(1);
  t.equal(net.term(1), 2);
  net.isolate(3);
  net.run(60);
  t.equal(net.role(3), 'preCandidate', 'it keeps asking whether it could win');
  t.equal(net.term(3), 2, 'but asking does not bump its term');
  net.propose(1, 'while 3 was away');
  net.stabilize();
  net.heal();
  net.run(30);
  t.equal(net.leader(), 1, 'the leader was never deposed');
  t.same(
    net.ids().map((id) => net.term(id)),
    [2, 2, 2],
    'no term moved',
  );
  t.equal(net.role(3), 'follower');
  t.equal(net.raft(3).lead, 1);
  t.same(net.applied(3), ['while 3 was away'], 'and it catches up');
});

t.test('§9.6, by contrast: without pre-vote the same replica forces an election when it rejoins', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: { preVote: false, checkQuorum: false } });
  net.elect(1);
  net.isolate(3);
  net.run(60);
  t.ok(net.term(3) > 3, `3 ran up its term to ${net.term(3)} alone`);
  net.heal();
  net.runUntil(() => net.leader() !== NONE && net.term(net.leader()) > 2, 60);
  t.ok(net.term(1) > 2, 'the healthy leader was deposed into a later term');
});

t.test('§9.6: a pre-vote succeeds when the leader is really gone, and the term moves once', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  net.run(3);
  net.crash(1);
  net.runUntil(() => net.leader() !== NONE, 60);
  t.equal(net.term(net.leader()), 3, 'one pre-vote round, then one real election in term 3');
  t.ok(
    net.trace.some((l) => l.includes('preVote term=3')),
    'pre-votes asked about term 3 first',
  );
});

t.test('§9.6: a pre-candidate with a stale log is refused even a pre-vote', async (t) => {
  // Without check-quorum there is no lease: 2 answers on the log alone.
  const net = network(t, { voters: [1, 2, 3], config: { preVote: true, checkQuorum: false } });
  net.elect(1);
  net.isolate(3);
  net.propose(1, 'a');
  net.stabilize();
  net.crash(1);
  net.heal();
  // 2 has not campaigned yet (stop its clock); 3 asks first.
  net.takeTrace();
  net.tickAll(25, [3]);
  net.stabilize();
  t.same(
    net.takeTrace((l) => l.startsWith('2->3')),
    ['2->3 preVoteResp term=2 reject'],
    "2's log is newer",
  );
  t.same([net.term(2), net.term(3)], [2, 2], 'nobody changed term');
  net.runUntil(() => net.leader() !== NONE, 60);
  t.equal(net.leader(), 2);
});

t.test('§4.2.3: a replica that heard from a leader within the election timeout ignores a vote request', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: { preVote: false, checkQuorum: true } });
  net.elect(1);
  net.run(2);
  net.takeTrace();
  net.campaign(3);
  net.deliver(msg.type('vote'));
  net.deliver(msg.type('vote'));
  t.same(net.takeTrace(), ['3->1 vote term=3 index=2 logTerm=2', '3->2 vote term=3 index=2 logTerm=2']);
  t.same(net.pending(), [], 'no answer at all, not even a refusal');
  t.same([net.term(1), net.term(2)], [2, 2], 'and no term change');
  t.equal(net.role(1), 'leader');
});

t.test('§6.2: a leader that cannot reach a majority steps down (checked once per election timeout)', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: { electionTicks: 10 } });
  net.elect(1);
  net.run(4);
  net.isolate(1);
  let ticks = 0;
  while (net.role(1) === 'leader') {
    net.run(1);
    ticks++;
    if (ticks > 100) break;
  }
  // It counts who was heard from since the previous check, so the bound is two timeouts.
  t.ok(ticks <= 2 * 10, `stepped down after ${ticks} ticks`);
  t.equal(net.role(1), 'follower');
  t.equal(net.term(1), 2, 'stepping down does not bump the term');
  t.equal(net.raft(1).lead, NONE);
});

t.test('§6.2: a leader that hears from a majority every election timeout stays leader', async (t) => {
  const net = network(t, { voters: [1, 2, 3, 4, 5], config: { electionTicks: 10 } });
  net.elect(1);
  net.partition([1, 2, 3], [4, 5]);
  net.run(100);
  t.equal(net.leader(), 1);
  t.same(
    net.ids().map((id) => net.term(id)),
    [2, 2, 2, 2, 2],
    'the minority side cannot even win a pre-vote',
  );
  net.propose(1, 'x');
  net.stabilize();
  t.equal(net.commit(1), 3, 'and the majority side keeps committing');
});

t.test('§6.2: a stale leader learns the new term from the appResp sent back to its heartbeat', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  net.isolate(1);
  // 1's clock is stopped so check-quorum does not depose it; 2 and 3 elect a new leader.
  net.runUntil(() => net.leader() !== NONE && net.leader() !== 1, 60, [2, 3]);
  const next = net.leader();
  t.equal(net.role(1), 'leader', '1 still believes it leads');
  t.equal(net.term(next), 3);
  net.heal();
  net.takeTrace();
  net.tick(1);
  net.deliver(msg.from(1));
  net.deliver(msg.from(1));
  t.same(net.takeTrace(), ['1->2 heartbeat term=2 commit=2', '1->3 heartbeat term=2 commit=2']);
  t.same(net.pendingLines(msg.to(1)), ['2->1 appResp term=3', '3->1 appResp term=3'], 'each answers with its newer term');
  net.deliver(msg.to(1));
  t.equal(net.role(1), 'follower');
  t.equal(net.term(1), 3);
  net.stabilize();
  net.run(5);
  t.equal(net.raft(1).lead, next, 'and follows the new leader');
});

t.test('§9.6: a pre-candidate refused by replicas of a newer term adopts that term', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: { preVote: true, checkQuorum: false }, terms: { 1: 2, 2: 5, 3: 5 } });
  net.campaign(1);
  net.stabilize();
  t.same(net.takeTrace(), [
    '1->2 preVote term=3 index=1 logTerm=1',
    '1->3 preVote term=3 index=1 logTerm=1',
    '2->1 preVoteResp term=5 reject',
    '3->1 preVoteResp term=5 reject',
  ]);
  t.equal(net.role(1), 'follower');
  t.equal(net.term(1), 5);
});
