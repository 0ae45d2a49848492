import t from 'tap';
import type { MemberStatus, StoreStatus } from '../../../raft/client/store-client.js';
import { stopKeepsQuorum } from '../../../scripts/launcher/quorum-safety.js';
import type { ReplicaStatusRow } from '../../../scripts/launcher/store-status.js';

const member = (id: number, isLearner = false): MemberStatus => ({ id, name: `store-${id}`, peerAddress: '', clientAddress: '', isLearner });

function row(id: number, leader: number, members: MemberStatus[]): ReplicaStatusRow {
  const status: StoreStatus = {
    id,
    leader,
    term: 3,
    revision: 10,
    compactRevision: 0,
    raftIndex: 20,
    raftAppliedIndex: 20,
    raftCommitIndex: 20,
    role: id === leader ? 'leader' : 'follower',
    dbSizeBytes: 0,
    members,
  };
  return { name: `store-${id}`, id, endpoint: `127.0.0.1:${id}`, status };
}
const down = (id: number): ReplicaStatusRow => ({ name: `store-${id}`, id, endpoint: `127.0.0.1:${id}`, error: 'connection refused' });

t.test('three healthy voters: any one may stop', async (t) => {
  const members = [member(1), member(3), member(4)];
  const rows = [row(1, 3, members), row(3, 3, members), row(4, 3, members)];
  for (const id of [1, 3, 4]) t.ok(stopKeepsQuorum(rows, id).safe, `store-${id}`);
});

t.test('with the new member still a learner, stopping a voter would leave one voter of two: not safe', async (t) => {
  const members = [member(1), member(3), member(4, true)];
  const rows = [row(1, 3, members), row(3, 3, members), row(4, 3, members)];
  const v = stopKeepsQuorum(rows, 1);
  t.notOk(v.safe);
  t.match(v.why, /quorum is 2/);
  t.ok(stopKeepsQuorum(rows, 4).safe, 'the learner itself may stop');
});

t.test('a voter down already: stopping another loses the quorum', async (t) => {
  const members = [member(1), member(2), member(3)];
  t.notOk(stopKeepsQuorum([row(1, 1, members), down(2), row(3, 1, members)], 3).safe);
  t.ok(stopKeepsQuorum([row(1, 1, members), down(2), row(3, 1, members)], 2).safe, 'stopping the one that is down costs nothing');
});

t.test('no agreed leader: nothing is stopped', async (t) => {
  const members = [member(1), member(2), member(3)];
  const v = stopKeepsQuorum([row(1, 1, members), row(2, 3, members), row(3, 3, members)], 2);
  t.notOk(v.safe);
  t.match(v.why, /do not agree/);
  t.notOk(stopKeepsQuorum([down(1), down(2), down(3)], 1).safe);
});
