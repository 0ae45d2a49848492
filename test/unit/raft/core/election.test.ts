/**
 * Leader election, as §5.2 and §5.4.1 of the Raft paper state it, and what a restart keeps
 * (Figure 2, "persistent state on all servers"). Pre-vote and check-quorum are off here unless a
 * test says otherwise: these are the paper's base rules; prevote-checkquorum.test.ts adds them.
 */
import t from 'tap';
import { seededRng } from '../../../../raft/core/rng.js';
import { NONE } from '../../../../raft/core/types.js';
import { msg, network } from '../../../helpers/raft-network.js';

const base = { preVote: false, checkQuorum: false } as const;

t.test('§5.2: a follower that hears nothing for an election timeout becomes a candidate', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  t.equal(net.role(1), 'follower');
  net.tickElection(1);
  t.equal(net.role(1), 'candidate');
  t.equal(net.term(1), 2, 'it increments its current term');
  t.equal(net.raft(1).vote, 1, 'it votes for itself');
  t.same(net.storage(1).hardState, { term: 2, vote: 1, commit: 1 }, 'term and vote are on disk before the requests leave');
  t.same(net.pendingLines(), ['1->2 vote term=2 index=1 logTerm=1', '1->3 vote term=2 index=1 logTerm=1'], 'it asks every other server for its vote');
});

t.test('§5.2: a follower waits at least one election timeout, and less than two, before campaigning', async (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    const net = network(t, { voters: [1, 2, 3], config: { ...base, electionTicks: 10 }, seed });
    let ticks = 0;
    while (net.role(1) === 'follower') {
      net.tick(1);
      ticks++;
    }
    t.ok(ticks >= 10 && ticks < 20, `seed ${seed}: campaigned after ${ticks} ticks`);
  }
});

t.test('§5.2: a candidate that wins the votes of a majority becomes leader and asserts itself with an append', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  net.campaign(1);
  net.stabilize();
  t.same(net.takeTrace(), [
    '1->2 vote term=2 index=1 logTerm=1',
    '1->3 vote term=2 index=1 logTerm=1',
    '2->1 voteResp term=2',
    '3->1 voteResp term=2',
    // The new leader's no-op of its own term (§5.4.2, §8) goes out at once.
    '1->2 app term=2 index=1 logTerm=1 entries=[2/2] commit=1',
    '1->3 app term=2 index=1 logTerm=1 entries=[2/2] commit=1',
    '2->1 appResp term=2 index=2',
    '3->1 appResp term=2 index=2',
    '1->2 app term=2 index=2 logTerm=2 entries=[] commit=2',
    '1->3 app term=2 index=2 logTerm=2 entries=[] commit=2',
    '2->1 appResp term=2 index=2',
    '3->1 appResp term=2 index=2',
  ]);
  t.equal(net.role(1), 'leader');
  t.equal(net.raft(2).lead, 1);
  t.equal(net.raft(3).lead, 1);
  t.same(
    net.ids().map((id) => net.commit(id)),
    [2, 2, 2],
  );
});

t.test('§5.2: a candidate wins with a bare majority; the rest need not answer', async (t) => {
  const net = network(t, { voters: [1, 2, 3, 4, 5], config: base });
  net.crash(4);
  net.crash(5);
  net.elect(1);
  t.equal(net.leader(), 1);
  t.equal(net.commit(1), 2, 'its no-op commits on 3 of 5');
});

t.test('§5.2: each server votes for at most one candidate in a given term, first come first served', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  net.campaign(1);
  net.campaign(2);
  net.stabilize();
  t.same(
    net.takeTrace((l) => l.includes('voteResp')),
    ['2->1 voteResp term=2 reject', '3->1 voteResp term=2', '1->2 voteResp term=2 reject', '3->2 voteResp term=2 reject'],
    'candidates vote for themselves; 3 votes for the first request it sees and refuses the second',
  );
  t.equal(net.leader(), 1);
  t.equal(net.role(2), 'follower');
});

t.test('§5.2: a candidate that hears from a leader of its own term returns to follower', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  // 2's requests are lost, so 2 stays a candidate while 1 wins the same term.
  const undo = net.drop(msg.all(msg.from(2), msg.type('vote')));
  net.campaign(1);
  net.campaign(2);
  net.deliver(msg.type('vote'));
  net.deliver(msg.type('vote'));
  net.deliver(msg.type('vote'));
  net.deliver(msg.type('vote'));
  undo();
  while (net.deliver(msg.type('voteResp'))) {
    // 1 counts 2's refusal and 3's grant
  }
  t.equal(net.role(1), 'leader');
  t.equal(net.role(2), 'candidate', 'no majority either way yet');
  t.equal(net.term(2), 2);
  net.deliver(msg.all(msg.type('app'), msg.to(2)));
  t.same(
    net.takeTrace((l) => l.startsWith('1->2 app')),
    ['1->2 app term=2 index=1 logTerm=1 entries=[2/2] commit=1'],
  );
  t.equal(net.role(2), 'follower');
  t.equal(net.raft(2).lead, 1);
  t.equal(net.term(2), 2, 'the term does not move');
});

t.test('§5.2: a split vote leaves no leader; randomized timeouts then resolve it', async (t) => {
  const net = network(t, { voters: [1, 2, 3, 4], config: base, seed: 7 });
  // 1 reaches only 2, 3 reaches only 4: two votes each, three needed.
  net.cutOneWay(1, 4);
  net.cutOneWay(3, 2);
  net.campaign(1);
  net.campaign(3);
  net.stabilize();
  t.equal(net.role(1), 'candidate');
  t.equal(net.role(3), 'candidate');
  t.same(net.leaders(), [], 'nobody won term 2');
  net.heal();
  const ticks = net.runUntil(() => net.leader() !== NONE, 100);
  t.ok(ticks <= 40, `resolved after ${ticks} ticks`);
  t.equal(net.leaders().length, 1);
  t.ok(net.term(net.leader()) >= 3, 'in a later term');
});

t.test('§5.4.1: a voter denies a candidate whose last entry has an older term', async (t) => {
  // 1 holds 2/1 only; 2 and 3 hold 2/2. 1 has the longer log in number but not in term.
  const net = network(t, { voters: [1, 2, 3], config: base, logs: { 1: [1, 1], 2: [2], 3: [2] }, terms: { 1: 2, 2: 2, 3: 2 } });
  net.campaign(1);
  net.stabilize();
  t.same(net.takeTrace(), [
    '1->2 vote term=3 index=3 logTerm=1',
    '1->3 vote term=3 index=3 logTerm=1',
    '2->1 voteResp term=3 reject',
    '3->1 voteResp term=3 reject',
  ]);
  t.equal(net.role(1), 'follower', 'a candidate that lost returns to follower');
  t.same(net.leaders(), []);
});

t.test('§5.4.1: with equal last terms, a voter denies a candidate whose log is shorter', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base, logs: { 1: [2], 2: [2, 2], 3: [2, 2] } });
  net.campaign(1);
  net.stabilize();
  t.same(
    net.takeTrace((l) => l.includes('voteResp')),
    ['2->1 voteResp term=3 reject', '3->1 voteResp term=3 reject'],
  );
  net.campaign(2);
  net.stabilize();
  t.equal(net.leader(), 2, 'the candidate with the longer log wins');
  t.same(net.log(1), ['2/2', '3/2', '4/4']);
});

t.test('§5.4.1: a voter grants a candidate whose log is at least as up-to-date, even a shorter one with a newer term', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base, logs: { 1: [3], 2: [2, 2, 2], 3: [2, 2, 2] } });
  net.elect(1);
  t.same(net.log(2), ['2/3', '3/4'], "2's uncommitted term-2 entries are replaced by the leader's");
});

t.test('§5.1: a leader that sees a higher term reverts to follower', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  net.elect(1);
  net.isolate(1);
  net.elect(2);
  t.same(net.leaders(), [1, 2], '1 does not know yet');
  net.takeTrace();
  t.equal(net.term(1), 2);
  t.equal(net.term(2), 3);
  net.heal();
  net.tick(1); // 1 heartbeats in term 2: the others ignore a stale term (§5.1)
  net.stabilize();
  t.same(net.takeTrace(), ['1->2 heartbeat term=2 commit=2', '1->3 heartbeat term=2 commit=2']);
  t.equal(net.role(1), 'leader');
  net.tick(2);
  net.stabilize();
  t.equal(net.role(1), 'follower');
  t.equal(net.term(1), 3);
  t.equal(net.raft(1).lead, 2);
});

t.test('Figure 2: a restarted server keeps its term, vote and log, and does not vote twice in a term', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  net.elect(1);
  net.propose(1, 'x', 'y');
  net.stabilize();
  net.crash(2);
  net.restart(2);
  t.equal(net.term(2), 2);
  t.equal(net.raft(2).vote, 1);
  t.same(net.log(2), ['2/2', '3/2', '4/2']);
  t.same(net.applied(2), ['x', 'y'], 'the state machine is rebuilt by applying the committed log again');

  // A vote cast and persisted survives a crash: 5 grants 4 in term 2, restarts, and refuses 3.
  const net2 = network(t, { voters: [3, 4, 5], config: base });
  net2.drop(msg.between(4, 3));
  net2.campaign(4);
  net2.deliver(msg.between(4, 5));
  t.equal(net2.raft(5).vote, 4);
  net2.crash(5);
  net2.restart(5);
  t.equal(net2.term(5), 2);
  t.equal(net2.raft(5).vote, 4);
  net2.campaign(3);
  net2.deliver(msg.between(3, 5));
  t.same(net2.takeTrace(), ['4->5 vote term=2 index=1 logTerm=1', '3->5 vote term=2 index=1 logTerm=1']);
  t.same(net2.pendingLines(msg.from(5)), ['5->4 voteResp term=2', '5->3 voteResp term=2 reject']);
  net2.stabilize();
  t.equal(net2.leader(), 4, 'the answer sent before the crash still counts');
});

t.test('§5.2, §5.4: Election Safety and State Machine Safety hold under random partitions, losses and crashes', async (t) => {
  for (let seed = 1; seed <= 12; seed++) {
    const rng = seededRng(seed);
    const net = network(t, { voters: [1, 2, 3, 4, 5], seed });
    let proposed = 0;
    for (let tick = 0; tick < 300; tick++) {
      const dice = rng.int(100);
      const victim = 1 + rng.int(5);
      if (dice < 4) net.isolate(victim);
      else if (dice < 7) net.heal();
      else if (dice < 9 && net.up().length > 3) net.crash(victim);
      else if (dice < 14 && !net.up().includes(victim)) net.restart(victim);
      else if (dice < 18) net.dropPending((m) => m.to === victim);
      const lead = net.leader();
      if (lead !== NONE && rng.int(3) === 0) {
        try {
          net.propose(lead, `v${++proposed}`);
        } catch {
          // dropped (e.g. a transfer or back-pressure): a client would retry
        }
      }
      net.tickAll();
      // Deliver some of the traffic each tick, not always all of it.
      const budget = rng.int(40);
      for (let i = 0; i < budget; i++) if (!net.deliver()) break;
    }
    // Healing must make progress: one leader, and every replica converges on one state.
    net.heal();
    for (const id of net.ids()) if (!net.up().includes(id)) net.restart(id);
    net.runUntil(() => net.leader() !== NONE && net.leaders().length === 1, 200);
    net.propose(net.leader(), 'final');
    net.runUntil(() => net.ids().every((id) => net.applied(id).includes('final')), 100);
    const states = net.ids().map((id) => JSON.stringify(net.applied(id)));
    t.equal(new Set(states).size, 1, `seed ${seed}: every state machine is the same`);
    // Log Matching (§5.3): same index and term means the same entries up to there.
    const logs = net.ids().map((id) => net.log(id));
    const shortest = Math.min(...logs.map((l) => l.length));
    t.ok(
      logs.every((l) => JSON.stringify(l.slice(-shortest)) === JSON.stringify(logs[0]?.slice(-shortest))),
      `seed ${seed}: logs agree`,
    );
  }
});
