/**
 * Linearizable reads without writing to the log: ReadIndex (dissertation §6.4). The leader
 * records its commit index, proves it is still leader with a round of heartbeats acknowledged
 * by a majority, and the read is served once the state machine has applied that index.
 */
import t from 'tap';
import { NONE } from '../../../../raft/core/types.js';
import { msg, network } from '../../../helpers/raft-network.js';

const base = { preVote: false, checkQuorum: false } as const;

t.test('§6.4: a new leader answers a read only after its no-op commits and a majority acks a heartbeat', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  net.campaign(1);
  while (net.role(1) !== 'leader') net.deliver();
  t.ok(net.readIndex(1, 'r1'), 'accepted');
  t.same(net.reads(1), [], "not yet: its commit index may lag the cluster's until an entry of its term commits");
  t.same(net.pending(msg.type('heartbeat')), [], 'and it does not even ask yet');
  net.takeTrace();
  // The no-op commits...
  net.deliver(msg.type('app'));
  net.deliver(msg.type('appResp'));
  t.equal(net.commit(1), 2);
  t.same(net.reads(1), [], 'still not: a newer leader could exist');
  t.same(net.pendingLines(msg.type('heartbeat')), ['1->2 heartbeat term=2 commit=2 ctx=r1', '1->3 heartbeat term=2 commit=0 ctx=r1']);
  // ...and one follower's ack makes a majority with the leader itself.
  net.deliver(msg.type('heartbeat'));
  net.deliver(msg.type('heartbeatResp'));
  t.same(
    net.takeTrace((l) => l.includes('heartbeat')),
    ['1->2 heartbeat term=2 commit=2 ctx=r1', '2->1 heartbeatResp term=2 ctx=r1'],
  );
  t.same(net.reads(1), [{ index: 2, context: 'r1' }]);
});

t.test('§6.4: a read sees every write acknowledged before it', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  net.elect(1);
  const { index } = net.propose(1, 'x');
  net.stabilize();
  net.readIndex(1, 'after-x');
  net.stabilize();
  t.same(net.reads(1), [{ index, context: 'after-x' }]);
});

t.test("§6.4: a follower forwards a read to the leader and gets the leader's commit index", async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  net.elect(1);
  // 2 misses the write; its own commit index lags the leader's.
  net.cut(1, 2);
  net.propose(1, 'x');
  net.stabilize();
  net.heal();
  t.equal(net.commit(2), 2);
  t.equal(net.commit(1), 3);
  net.takeTrace();
  t.ok(net.readIndex(2, 'f1'));
  net.stabilize();
  t.same(
    net.takeTrace((l) => l.includes('readIndex') || l.includes('ctx=')),
    [
      '2->1 readIndex term=2 ctx=f1',
      '1->2 heartbeat term=2 commit=2 ctx=f1',
      '1->3 heartbeat term=2 commit=3 ctx=f1',
      '2->1 heartbeatResp term=2 ctx=f1',
      '3->1 heartbeatResp term=2 ctx=f1',
      '1->2 readIndexResp term=2 index=3 ctx=f1',
    ],
  );
  t.same(net.reads(2), [{ index: 3, context: 'f1' }], 'the follower must apply up to 3 before serving');
  t.same(net.reads(1), [], 'the answer goes to the follower, not the leader');
});

t.test('§6.4: a follower with no known leader drops the read; the client retries', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  t.equal(net.raft(2).lead, NONE);
  t.notOk(net.readIndex(2, 'nobody'));
});

t.test('§6.4: a deposed leader, cut off from the majority, never answers a read', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: { ...base, checkQuorum: true } });
  net.elect(1);
  net.partition([1], [2, 3]);
  net.runUntil(() => net.leader() === 2 || net.leader() === 3, 60, [2, 3]);
  const next = net.leader();
  net.propose(next, 'written by the new leader');
  net.stabilize();
  t.equal(net.role(1), 'leader', '1 still believes it leads');
  t.ok(net.readIndex(1, 'stale?'));
  // Its heartbeats reach nobody; check-quorum then deposes it.
  net.run(30);
  t.same(net.reads(1), [], "the read was never answered from 1's stale state");
  t.equal(net.role(1), 'follower');
  net.heal();
  net.run(5);
  t.same(net.reads(1), [], 'nor after the partition heals');
  net.readIndex(1, 'retried');
  net.stabilize();
  t.same(
    net.reads(1).map((r) => r.context),
    ['retried'],
    'a retry is forwarded to the new leader',
  );
  t.ok((net.reads(1)[0]?.index ?? 0) >= net.commit(next), "and includes the new leader's write");
});

t.test('§6.4: a deposed leader without check-quorum does not answer either; the answering heartbeats depose it', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: { preVote: true, checkQuorum: false } });
  net.elect(1);
  net.partition([1], [2, 3]);
  net.runUntil(() => net.leader() === 2 || net.leader() === 3, 60, [2, 3]);
  net.readIndex(1, 'stale?');
  net.run(5, [1]);
  t.equal(net.role(1), 'leader');
  t.same(net.reads(1), []);
  net.heal();
  net.tick(1);
  net.stabilize();
  t.equal(net.role(1), 'follower', 'it learned the newer term from the answers to its heartbeat');
  t.same(net.reads(1), []);
});

t.test('§6.4: reads are answered in order; an ack for a later read confirms the earlier ones', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: base });
  net.elect(1);
  net.takeTrace();
  net.readIndex(1, 'a');
  net.readIndex(1, 'b');
  // Only the heartbeats of the second read get through.
  net.dropPending((m) => m.context !== undefined && new TextDecoder().decode(m.context) === 'a');
  net.stabilize();
  t.same(
    net.reads(1).map((r) => r.context),
    ['a', 'b'],
  );
});

t.test('§6.4: a single-node cluster answers a read at once, with no message', async (t) => {
  const net = network(t, { voters: [1] });
  net.campaign(1);
  t.equal(net.role(1), 'leader');
  net.takeTrace();
  net.readIndex(1, 'solo');
  t.same(net.reads(1), [{ index: 2, context: 'solo' }]);
  t.same(net.pending(), []);
});

t.test('§6.4: a single-node leader whose persisted commit index lags waits for its own entry before answering', async (t) => {
  const net = network(t, { voters: [1] });
  net.campaign(1);
  const { index } = net.propose(1, 'x');
  t.equal(net.appliedIndex(1), index, 'x was applied, and its client told so');
  // The commit index need not be fsynced (mustSync is false for it alone): a crash can lose it.
  net.crash(1);
  const hs = net.storage(1).hardState;
  net.storage(1).setHardState({ ...hs, commit: index - 1 });
  net.restart(1);
  t.equal(net.commit(1), index - 1);
  // Elected again, with the read asked before the no-op is on disk.
  const rn = net.rawNode(1);
  rn.campaign();
  t.equal(net.role(1), 'leader');
  rn.readIndex(new TextEncoder().encode('after-restart'));
  net.process(1);
  const [answer] = net.reads(1);
  t.ok(answer !== undefined && answer.index >= index, `answered at ${answer?.index}, which covers x at ${index}`);
});
