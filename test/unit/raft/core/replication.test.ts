/**
 * Log replication (§5.3): the consistency check, the repair of diverging logs (Figure 7) with
 * etcd's term-skipping backtracking, pipelining under a window of in-flight appends, and
 * proposal back-pressure.
 */
import t from 'tap';
import { ProposalDroppedError } from '../../../../raft/core/errors.js';
import { msg, network } from '../../../helpers/raft-network.js';

const base = { preVote: false, checkQuorum: false } as const;

const rejectionsFrom = (lines: readonly string[], id: number): number =>
  lines.filter((l) => l.startsWith(`${id}->`) && l.includes('appResp') && l.includes('reject')).length;

t.test('§5.3: the leader appends a command, replicates it, and applies it once a majority stores it', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  net.elect(1);
  net.takeTrace();
  const { index, term } = net.propose(1, 'x');
  t.same({ index, term }, { index: 3, term: 2 });
  t.equal(net.commit(1), 2, 'not committed while only the leader has it');
  net.stabilize();
  t.same(net.takeTrace(), [
    '1->2 app term=2 index=2 logTerm=2 entries=[3/2] commit=2',
    '1->3 app term=2 index=2 logTerm=2 entries=[3/2] commit=2',
    '2->1 appResp term=2 index=3',
    '3->1 appResp term=2 index=3',
    // The commit index reaches the followers with the next append.
    '1->2 app term=2 index=3 logTerm=2 entries=[] commit=3',
    '1->3 app term=2 index=3 logTerm=2 entries=[] commit=3',
    '2->1 appResp term=2 index=3',
    '3->1 appResp term=2 index=3',
  ]);
  t.same(
    net.ids().map((id) => net.applied(id)),
    [['x'], ['x'], ['x']],
  );
});

t.test('§5.3: a follower refuses an append whose previous entry it lacks, and the leader resends from earlier', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  net.elect(1);
  net.drop(msg.once(msg.all(msg.to(3), msg.carrying(3))));
  net.takeTrace();
  net.propose(1, 'x');
  net.stabilize();
  t.same(
    net.takeTrace((l) => l.includes('->3 ') || l.startsWith('3->')),
    [
      '1->3 app term=2 index=2 logTerm=2 entries=[3/2] commit=2 DROPPED',
      // 3 does not hold entry 3, so the append that announces commit=3 after it fails the check.
      '1->3 app term=2 index=3 logTerm=2 entries=[] commit=3',
      '3->1 appResp term=2 index=3 reject hint=2/2',
      '1->3 app term=2 index=2 logTerm=2 entries=[3/2] commit=3',
      '3->1 appResp term=2 index=3',
      // Back in step: the leader confirms where 3 stands (the append also carries the commit).
      '1->3 app term=2 index=3 logTerm=2 entries=[] commit=3',
      '3->1 appResp term=2 index=3',
    ],
  );
  t.same(net.applied(3), ['x']);
});

t.test('§5.3: an append lost in flight is sent again after a heartbeat', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  net.elect(1);
  const undo = net.drop(msg.all(msg.to(3), msg.carrying(3)));
  net.propose(1, 'x');
  net.stabilize();
  undo();
  t.same(net.applied(3), []);
  net.run(3);
  t.same(net.applied(3), ['x']);
});

t.test('§5.3: a follower with extra uncommitted entries of an old term has them overwritten', async (t) => {
  // 3 once took three entries of term 2 from a leader that failed before replicating them.
  const net = network(t, { voters: [1, 2, 3], config: base, logs: { 1: [1], 2: [1], 3: [1, 2, 2, 2] }, terms: { 1: 2, 2: 2 } });
  net.campaign(1);
  net.stabilize();
  t.equal(net.leader(), 1, 'elected by 2; 3 refused (its log is newer)');
  t.same(net.log(3), ['2/1', '3/3'], "the leader's entry replaces 3/2 and everything after it");
  net.propose(1, 'x');
  net.stabilize();
  t.same(net.log(3), net.log(1));
  t.same(net.applied(3), ['preloaded 2/1', 'x']);
});

t.test("§5.3 Figure 7: the leader brings every follower's log in line with its own", async (t) => {
  // The paper's logs, shifted by one: index 1 is the bootstrap snapshot (term 1).
  const logs = {
    1: [1, 1, 4, 4, 5, 5, 6, 6, 6], // the leader, about to start term 8
    2: [1, 1, 4, 4, 5, 5, 6, 6], //       (a) missing entries
    3: [1, 1, 4], //                      (b) missing many
    4: [1, 1, 4, 4, 5, 5, 6, 6, 6, 6], // (c) one extra uncommitted entry
    5: [1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], // (d) extra entries of a later term
    6: [1, 1, 4, 4, 4, 4], //             (e) extra entries of an old term
    7: [1, 1, 2, 2, 2, 3, 3, 3, 3, 3], // (f) a whole divergent history
  };
  const net = network(t, { voters: [1, 2, 3, 4, 5, 6, 7], config: base, logs, terms: { 1: 7 } });
  net.campaign(1);
  net.stabilize();
  t.equal(net.leader(), 1);
  t.equal(net.term(1), 8);
  const trace = net.takeTrace();
  t.same(
    [4, 5].map((id) => trace.filter((l) => l.startsWith(`${id}->1 voteResp`))),
    [['4->1 voteResp term=8 reject'], ['5->1 voteResp term=8 reject']],
    '(c) and (d) hold more up-to-date logs and refused their votes',
  );
  const leaderLog = ['2/1', '3/1', '4/4', '5/4', '6/5', '7/5', '8/6', '9/6', '10/6', '11/8'];
  t.same(net.log(1), leaderLog);
  for (const id of [2, 3, 4, 5, 6, 7]) t.same(net.log(id), leaderLog, `follower ${id} now matches`);
  t.equal(net.commit(1), 11);
  // One term-skipping hint is enough for each follower here.
  t.same(
    [2, 3, 4, 5, 6, 7].map((id) => rejectionsFrom(trace, id)),
    [1, 1, 0, 0, 1, 1],
  );
  t.same(trace.filter((l) => l.includes('1->7 app') || l.startsWith('7->1 app')).slice(0, 3), [
    '1->7 app term=8 index=10 logTerm=6 entries=[11/8] commit=1',
    '7->1 appResp term=8 index=10 reject hint=10/3',
    // The leader skips every entry of terms above 3 at once: its last entry of term <= 3 is 3/1.
    '1->7 app term=8 index=3 logTerm=1 entries=[4/4 5/4 6/5 7/5 8/6 9/6 10/6 11/8] commit=1',
  ]);
});

t.test('§5.3: fast backtracking repairs a long divergent log with one round trip per conflicting term', async (t) => {
  const run = (n: number, term: number): number[] => Array<number>(n).fill(term);
  const leader = [...run(10, 2), ...run(10, 4), ...run(10, 6)]; // 2..11 term 2, 12..21 term 4, 22..31 term 6
  const diverged = [...run(10, 2), ...run(10, 3), ...run(20, 5)]; // 2..11 term 2, 12..21 term 3, 22..41 term 5
  const net = network(t, { voters: [1, 2, 3], config: base, logs: { 1: leader, 2: leader, 3: diverged }, terms: { 3: 6 } });
  net.campaign(1);
  net.stabilize();
  t.equal(net.leader(), 1);
  t.same(net.log(3), net.log(1), 'the 30 conflicting entries are gone');
  const trace = net.takeTrace();
  const rejections = rejectionsFrom(trace, 3);
  const conflictingTerms = 2; // 3 and 5
  t.ok(rejections <= conflictingTerms + 1, `${rejections} rejected appends (one entry at a time would take 30)`);
  t.same(trace.filter((l) => l.startsWith('3->1 appResp')).slice(0, 2), [
    '3->1 appResp term=7 index=31 reject hint=31/5',
    '3->1 appResp term=7 index=21 reject hint=21/3',
  ]);
});

t.test('pipelining: with maxInflightMsgs=3, three appends are in flight to a follower before any answer', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: { ...base, maxInflightMsgs: 3 } });
  net.elect(1);
  for (const x of ['a', 'b', 'c', 'd', 'e']) net.propose(1, x);
  t.same(
    net.pendingLines(msg.to(2)),
    [
      '1->2 app term=2 index=2 logTerm=2 entries=[3/2] commit=2',
      '1->2 app term=2 index=3 logTerm=2 entries=[4/2] commit=2',
      '1->2 app term=2 index=4 logTerm=2 entries=[5/2] commit=2',
    ],
    'the fourth and fifth proposals wait for the window',
  );
  net.deliver(msg.to(2));
  net.deliver(msg.between(2, 1));
  t.same(
    net.pendingLines(msg.to(2)),
    [
      '1->2 app term=2 index=3 logTerm=2 entries=[4/2] commit=2',
      '1->2 app term=2 index=4 logTerm=2 entries=[5/2] commit=2',
      '1->2 app term=2 index=5 logTerm=2 entries=[6/2 7/2] commit=3',
    ],
    'one acknowledgement opens one slot, and what waited goes out in one message',
  );
  net.stabilize();
  t.same(net.applied(2), ['a', 'b', 'c', 'd', 'e']);
});

t.test('pipelining: with maxInflightMsgs=1 the leader stops and waits for each answer', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: { ...base, maxInflightMsgs: 1 } });
  net.elect(1);
  for (const x of ['a', 'b', 'c']) net.propose(1, x);
  t.same(net.pendingLines(msg.to(2)), ['1->2 app term=2 index=2 logTerm=2 entries=[3/2] commit=2']);
  net.deliver(msg.to(2));
  net.deliver(msg.between(2, 1));
  t.same(net.pendingLines(msg.to(2)), ['1->2 app term=2 index=3 logTerm=2 entries=[4/2 5/2] commit=3']);
  net.stabilize();
  t.same(net.applied(2), ['a', 'b', 'c']);
});

t.test('pipelining: maxSizePerMsgBytes splits a backlog into several appends', async (t) => {
  // An empty entry counts 16 bytes: two per message.
  const net = network(t, { voters: [1, 2, 3], config: { ...base, maxSizePerMsgBytes: 40 } });
  net.elect(1);
  net.isolate(3);
  for (let i = 0; i < 5; i++) net.propose(1, '');
  net.stabilize();
  net.heal();
  net.run(3);
  const apps = net.takeTrace((l) => l.startsWith('1->3 app') && !l.includes('entries=[]'));
  t.ok(apps.length >= 3 && apps.every((l) => (l.match(/\d+\/2/g) ?? []).length <= 2), 'at most two entries per append');
  t.same(net.log(3), net.log(1));
});

t.test('back-pressure: above maxUncommittedEntriesBytes a proposal is dropped with reason backPressure', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: { ...base, maxUncommittedEntriesBytes: 10 } });
  net.elect(1);
  net.isolate(1);
  net.propose(1, 'aaaaaaaa');
  const err = t.throws(() => net.propose(1, 'bbbb'));
  t.ok(err instanceof ProposalDroppedError && err.reason === 'backPressure', String(err));
  t.ok(err instanceof ProposalDroppedError && err.leader === 1, 'the error names the leader');
  net.heal();
  net.run(3);
  t.equal(net.commit(1), 3, 'the backlog commits once the followers are back');
  net.propose(1, 'bbbb');
  net.stabilize();
  t.same(net.applied(2), ['aaaaaaaa', 'bbbb']);
});

t.test('one proposal always fits when nothing is uncommitted, however large', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: { ...base, maxUncommittedEntriesBytes: 4 } });
  net.elect(1);
  net.propose(1, 'a proposal larger than the limit');
  net.stabilize();
  t.same(net.applied(3), ['a proposal larger than the limit']);
});

t.test('a follower refuses proposals; the error names the leader to ask', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  net.elect(1);
  const err = t.throws(() => net.propose(2, 'x'));
  t.ok(err instanceof ProposalDroppedError && err.reason === 'notLeader' && err.leader === 1, String(err));
});

t.test('§5.3: a late duplicate of an old append neither truncates nor rewinds the follower', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  net.elect(1);
  net.propose(1, 'x');
  const [old] = net.pending(msg.between(1, 2));
  net.stabilize();
  net.propose(1, 'y');
  net.stabilize();
  t.ok(old);
  if (!old) return;
  const before = net.log(2);
  net.takeTrace();
  net.inject(old);
  net.stabilize();
  t.same(net.takeTrace(), ['1->2 app term=2 index=2 logTerm=2 entries=[3/2] commit=2', '2->1 appResp term=2 index=4']);
  t.same(net.log(2), before);
  t.equal(net.commit(2), 4);
});

t.test('a follower the transport reports unreachable is probed, not pipelined to, until it answers', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  net.elect(1);
  net.cut(1, 3);
  net.rawNode(1).reportUnreachable(3);
  t.equal(net.rawNode(1).status().progress?.[3]?.state, 'probe');
  for (const x of ['a', 'b', 'c']) net.propose(1, x);
  t.equal(net.pending(msg.all(msg.to(3), msg.type('app'))).length, 1, 'one probe, not three appends');
  net.stabilize();
  net.heal();
  net.run(2);
  t.equal(net.rawNode(1).status().progress?.[3]?.state, 'replicate');
  t.same(net.applied(3), ['a', 'b', 'c']);
});

t.test('an append window never acknowledged falls back to probing after two election timeouts', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: { ...base, electionTicks: 10 } });
  net.elect(1);
  const undo = net.drop(msg.all(msg.from(3), msg.type('appResp')));
  net.propose(1, 'x');
  net.stabilize();
  t.equal(net.rawNode(1).status().progress?.[3]?.state, 'replicate');
  net.run(25);
  t.equal(net.rawNode(1).status().progress?.[3]?.state, 'probe', 'the leader stops trusting its guess of what 3 holds');
  undo();
  net.run(2);
  const pr = net.rawNode(1).status().progress?.[3];
  t.same([pr?.state, pr?.match], ['replicate', 3]);
});
