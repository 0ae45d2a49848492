/**
 * Membership changes one server at a time (dissertation §4.1, §4.2): learners that catch up
 * before they vote (§4.2.1), removal of a follower and of the leader itself (§4.2.2), and the
 * rule that a change waits until the previous one is applied.
 */
import t from 'tap';
import { encodeConfChange } from '../../../../raft/core/conf-change.js';
import { ProposalDroppedError } from '../../../../raft/core/errors.js';
import { RawNode } from '../../../../raft/core/raw-node.js';
import { seededRng } from '../../../../raft/core/rng.js';
import { MemoryStorage, bootstrapMemoryStorage } from '../../../../raft/core/storage.js';
import { NONE } from '../../../../raft/core/types.js';
import { network } from '../../../helpers/raft-network.js';

const dropReason = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProposalDroppedError) return e.reason;
    throw e;
  }
  return 'accepted';
};

t.test('§4.2.1: a learner receives the log but neither votes nor counts toward commitment', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  net.propose(1, 'before');
  net.stabilize();
  net.addNode(4);
  const { index } = net.proposeConfChange(1, { type: 'addLearner', nodeId: 4 });
  net.takeTrace();
  net.stabilize();
  t.same(net.takeTrace((l) => l.startsWith('1->2 app')).slice(0, 1), [
    `1->2 app term=2 index=${index - 1} logTerm=2 entries=[${index}/2(addLearner 4)] commit=${index - 1}`,
  ]);
  t.same(net.raft(1).conf, { voters: [1, 2, 3], learners: [4] });
  t.same(net.applied(4), ['before']);
  // With 2 and 3 down, the leader and the learner together are not a majority.
  net.crash(2);
  net.crash(3);
  net.propose(1, 'stuck');
  net.stabilize();
  t.equal(net.raft(4).log.lastIndex(), net.raft(1).log.lastIndex(), 'the learner stores the entry');
  t.equal(net.commit(1), index, 'but the leader does not commit on its acknowledgement');
  t.same(net.applied(4), ['before']);
  // Nor can it start an election, however long it waits.
  net.crash(1);
  net.run(100);
  t.equal(net.role(4), 'follower');
  t.equal(net.term(4), 2);
});

t.test('§4.2.1: a promoted learner votes and counts toward commitment', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  net.addNode(4);
  net.proposeConfChange(1, { type: 'addLearner', nodeId: 4 });
  net.stabilize();
  net.proposeConfChange(1, { type: 'addVoter', nodeId: 4 });
  net.stabilize();
  for (const id of [1, 2, 3, 4]) t.same(net.raft(id).conf, { voters: [1, 2, 3, 4], learners: [] });
  t.equal(net.rawNode(1).status().progress?.[4]?.isLearner, false);
  // Three of four are needed now: 1 and 2 alone do not commit, 1, 2 and 4 do.
  net.crash(3);
  net.crash(4);
  const { index } = net.propose(1, 'x');
  net.stabilize();
  t.ok(net.commit(1) < index, 'two of four is not a majority');
  net.restart(4);
  net.run(3);
  t.equal(net.commit(1), index, 'with 4 back it commits');
});

t.test('§4.2: removing a follower leaves a smaller majority that carries on', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  net.proposeConfChange(1, { type: 'remove', nodeId: 3 });
  net.stabilize();
  for (const id of [1, 2]) t.same(net.raft(id).conf, { voters: [1, 2], learners: [] });
  t.equal(net.rawNode(1).status().progress?.[3], undefined, 'the leader no longer tracks it');
  net.crash(3);
  net.propose(1, 'x');
  net.stabilize();
  t.same(net.applied(2), ['x'], 'committed by 1 and 2, a majority of two');
  t.notOk(
    net.trace.some((l) => l.startsWith('1->3') && l.includes('4/2')),
    'and is no longer sent the log',
  );
});

t.test('§4.2.2: a leader that removes itself steps down once the change is applied, and the rest elect a leader', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  const { index } = net.proposeConfChange(1, { type: 'remove', nodeId: 1 });
  net.stabilize();
  t.equal(net.role(1), 'follower', 'it stepped down');
  t.equal(net.raft(1).lead, NONE);
  for (const id of [2, 3]) {
    t.equal(net.commit(id), index, `${id} learned the removal is committed from the leader's last append`);
    t.same(net.raft(id).conf, { voters: [2, 3], learners: [] });
  }
  net.runUntil(() => net.leader() !== NONE, 80);
  const leader = net.leader();
  t.ok(leader === 2 || leader === 3, `the new leader is ${leader}`);
  net.propose(leader, 'x');
  net.stabilize();
  t.same(net.applied(2), ['x']);
  t.same(net.applied(3), ['x']);
  net.run(100);
  t.equal(net.role(1), 'follower', 'the removed server never campaigns');
  t.equal(net.term(1), 2);
});

t.test('§4.1: one membership change at a time: a second is refused until the first is applied', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  net.addNode(4);
  net.addNode(5);
  net.proposeConfChange(1, { type: 'addLearner', nodeId: 4 });
  t.equal(
    dropReason(() => net.proposeConfChange(1, { type: 'addLearner', nodeId: 5 })),
    'confChangePending',
  );
  t.equal(
    dropReason(() => net.propose(1, 'ordinary proposals still go')),
    'accepted',
  );
  net.stabilize();
  t.equal(
    dropReason(() => net.proposeConfChange(1, { type: 'addLearner', nodeId: 5 })),
    'accepted',
    'the first is applied now',
  );
  net.stabilize();
  t.same(net.raft(1).conf, { voters: [1, 2, 3], learners: [4, 5] });
});

t.test('§4.1: a new leader takes no membership change until it has applied what earlier terms committed', async (t) => {
  // Entries 2 and 3 were never known committed: they might hold a membership change.
  const net = network(t, { voters: [1, 2, 3], config: { preVote: false, checkQuorum: false }, logs: { 1: [1, 1], 2: [1, 1], 3: [1, 1] } });
  net.campaign(1);
  while (net.role(1) !== 'leader') net.deliver();
  t.equal(
    dropReason(() => net.proposeConfChange(1, { type: 'addLearner', nodeId: 4 })),
    'confChangePending',
  );
  net.stabilize();
  t.equal(
    dropReason(() => net.proposeConfChange(1, { type: 'addLearner', nodeId: 4 })),
    'accepted',
  );
});

t.test('§4.1: changes that make no sense are refused', async (t) => {
  const net = network(t, { voters: [1, 2] });
  net.elect(1);
  t.equal(
    dropReason(() => net.proposeConfChange(1, { type: 'addVoter', nodeId: 2 })),
    'invalidConfChange',
    'already a voter',
  );
  t.equal(
    dropReason(() => net.proposeConfChange(1, { type: 'remove', nodeId: 7 })),
    'invalidConfChange',
    'not a member',
  );
  t.equal(
    dropReason(() => net.proposeConfChange(2, { type: 'addLearner', nodeId: 7 })),
    'notLeader',
  );
  net.proposeConfChange(1, { type: 'remove', nodeId: 2 });
  net.stabilize();
  t.equal(
    dropReason(() => net.proposeConfChange(1, { type: 'remove', nodeId: 1 })),
    'invalidConfChange',
    'the last voter stays',
  );
});

t.test('§4.1: a voter can also be added directly, without a learner stage', async (t) => {
  const net = network(t, { voters: [1, 2, 3] });
  net.elect(1);
  net.propose(1, 'x');
  net.addNode(4);
  net.proposeConfChange(1, { type: 'addVoter', nodeId: 4 });
  net.stabilize();
  for (const id of [1, 2, 3, 4]) t.same(net.raft(id).conf, { voters: [1, 2, 3, 4], learners: [] });
  t.same(net.applied(4), ['x']);
});

t.test('§4.1: a server does not campaign while a committed membership change is not yet applied', async (t) => {
  // Restarted with entry 2 (a change) committed but not applied: the driver has not applied it yet.
  const storage = new MemoryStorage();
  bootstrapMemoryStorage(storage, [1, 2, 3]);
  storage.append([{ index: 2, term: 1, type: 'confChange', data: encodeConfChange({ type: 'remove', nodeId: 3 }) }]);
  storage.setHardState({ term: 1, vote: NONE, commit: 2 });
  const rn = new RawNode({ id: 1, storage, rng: seededRng(1), preVote: false });
  rn.campaign();
  t.equal(rn.raft.role, 'follower', 'the change could alter who votes: wait for it');
  const rd = rn.ready();
  t.same(
    rd.committedEntries.map((e) => e.index),
    [2],
  );
  const [cc] = rd.committedEntries;
  if (cc) rn.applyConfChange(cc);
  rn.advance(rd);
  rn.campaign();
  t.equal(rn.raft.role, 'candidate');
  t.same(rn.raft.conf.voters, [1, 2]);
  t.same(
    rn.ready().messages.map((m) => `${m.type}->${m.to}`),
    ['vote->2'],
    'and it asks only the current voters',
  );
});
