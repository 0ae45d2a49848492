import t from 'tap';
import type { StoreStatus } from '../../../raft/client/store-client.js';
import { holderPid, leaseHolder, nodeRows } from '../../../scripts/launcher/api-overview.js';
import { type ProcessRow, renderStatus, roleOf, type StatusFacts } from '../../../scripts/launcher/status-screen.js';
import { agreedLeader, type ReplicaStatusRow } from '../../../scripts/launcher/store-status.js';

function replica(id: number, leader: number, term = 3, extra: Partial<StoreStatus> = {}): ReplicaStatusRow {
  const status: StoreStatus = {
    id,
    leader,
    term,
    revision: 40,
    compactRevision: 0,
    raftIndex: 50,
    raftAppliedIndex: 50,
    raftCommitIndex: 50,
    role: id === leader ? 'leader' : 'follower',
    dbSizeBytes: 1,
    members: [],
    ...extra,
  };
  return { name: `store-${id}`, id, endpoint: `127.0.0.1:${2369 + 10 * id}`, status };
}

const down = (id: number): ReplicaStatusRow => ({ name: `store-${id}`, id, endpoint: `127.0.0.1:${2369 + 10 * id}`, error: 'endpoint is not reachable' });

t.test('the store leader is the one every answering replica names, and only if it answers itself', async (t) => {
  t.same(agreedLeader([replica(1, 2), replica(2, 2, 4), replica(3, 2)]), { id: 2, term: 4 });
  t.same(agreedLeader([replica(1, 2), replica(2, 2), down(3)]), { id: 2, term: 3 }, 'a dead follower does not matter');
  t.equal(agreedLeader([replica(1, 2), down(2), replica(3, 2)]), undefined, 'a leader that does not answer is not one');
  t.equal(agreedLeader([replica(1, 1), replica(2, 3), replica(3, 3)]), undefined, 'replicas disagree');
  t.equal(agreedLeader([replica(1, 0), replica(2, 0)]), undefined, 'no leader elected yet');
  t.equal(agreedLeader([down(1), down(2)]), undefined);
});

t.test('the Lease holder is found by the PID in its identity', async (t) => {
  t.equal(holderPid('my_host_4242_ab12cd34'), 4242);
  t.equal(holderPid('host_17_x'), 17);
  t.equal(holderPid('no-pid-here'), undefined);
  t.equal(holderPid(undefined), undefined);
});

t.test('a Lease names its holder until it is released or expires', async (t) => {
  const lease = (spec: Record<string, unknown>) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'kube-scheduler' }, spec });
  const renewTime = '2026-11-27T10:00:00.000000Z';
  const renewed = Date.parse(renewTime);
  const held = lease({ holderIdentity: 'host_42_ab', leaseDurationSeconds: 15, renewTime });
  t.equal(leaseHolder(held, renewed + 14_000), 'host_42_ab', 'within the lease duration');
  t.equal(leaseHolder(held, renewed + 16_000), undefined, 'past renewTime + leaseDurationSeconds: nobody is active');
  t.equal(leaseHolder(lease({ holderIdentity: '', leaseDurationSeconds: 15, renewTime }), renewed), undefined, 'released');
  t.equal(leaseHolder(lease({ holderIdentity: 'host_42_ab' }), renewed + 1e9), 'host_42_ab', 'no times to judge by: as written');
});

t.test('nodes show their Ready condition and their unfinished pods', async (t) => {
  const node = (name: string, ready?: string) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { conditions: ready ? [{ type: 'Ready', status: ready }] : [] },
  });
  const pod = (nodeName: string | undefined, phase: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: nodeName ? { nodeName } : {},
    status: { phase },
  });
  t.same(
    nodeRows(
      [node('node-2', 'False'), node('node-1', 'True'), node('node-3')],
      [pod('node-1', 'Running'), pod('node-1', 'Pending'), pod('node-1', 'Succeeded'), pod('node-2', 'Failed'), pod(undefined, 'Pending')],
    ),
    [
      { name: 'node-1', ready: 'True', pods: 2 },
      { name: 'node-2', ready: 'False', pods: 0 },
      { name: 'node-3', ready: '-', pods: 0 },
    ],
  );
});

const facts: StatusFacts = {
  processes: [
    { name: 'store-1', pid: 11, running: true, ready: true, endpoint: '127.0.0.1:2379' },
    { name: 'store-2', pid: 12, running: true, ready: true, endpoint: '127.0.0.1:2389' },
    { name: 'store-3', pid: 13, running: false, endpoint: '127.0.0.1:2399' },
    { name: 'apiserver', pid: 20, running: true, ready: true, endpoint: 'https://127.0.0.1:6443' },
    { name: 'scheduler', pid: 31, running: true, ready: true, endpoint: '127.0.0.1:1' },
    { name: 'scheduler-2', pid: 32, running: true, ready: true, endpoint: '127.0.0.1:2' },
    { name: 'controller-manager', pid: 41, running: true, ready: true, endpoint: '127.0.0.1:3' },
    { name: 'controller-manager-2', pid: 42, running: true, ready: false, endpoint: '127.0.0.1:4' },
  ],
  stores: [replica(1, 2), replica(2, 2), down(3)],
  api: { schedulerHolder: 'h_32_aa', controllerManagerHolder: 'h_41_bb', nodes: [{ name: 'node-1', ready: 'True', pods: 2 }] },
};

t.test('status names the store leader, the active and standby copies, and the nodes with their pods', async (t) => {
  const byName = (n: string): ProcessRow => {
    const p = facts.processes.find((x) => x.name === n);
    if (!p) throw new Error(`no ${n}`);
    return p;
  };
  t.equal(roleOf(byName('scheduler-2'), facts), 'active');
  t.equal(roleOf(byName('scheduler'), facts), 'standby');
  t.equal(roleOf(byName('controller-manager'), facts), 'active');
  t.equal(roleOf(byName('controller-manager-2'), facts), 'standby');
  const screen = renderStatus(facts).join('\n');
  t.match(screen, /store-2\s+12\s+running\s+ready\s+leader/);
  t.match(screen, /store-1\s+11\s+running\s+ready\s+follower/);
  t.match(screen, /store-3\s+13\s+stopped\s+-\s+-/);
  t.match(screen, /scheduler-2\s+32\s+running\s+ready\s+active/);
  t.match(screen, /controller-manager-2\s+42\s+running\s+not ready\s+standby/);
  t.match(screen, /store: leader store-2, term 3/);
  t.match(screen, /store-2\s+2\s+yes\s+3\s+40\s+50\s+50\s+yes/);
  t.match(screen, /store-3\s+3\s+-\s+-\s+-\s+-\s+-\s+no: endpoint is not reachable/);
  t.match(screen, /nodes: 1 of 1 Ready/);
  t.match(screen, /node-1\s+True\s+2/);
});

t.test('without an apiserver answer the roles are unknown and the screen says why', async (t) => {
  const screen = renderStatus({ ...facts, api: { error: 'connect ECONNREFUSED' } }).join('\n');
  t.match(screen, /scheduler\s+31\s+running\s+ready\s+\?/);
  t.match(screen, /apiserver: no answer \(connect ECONNREFUSED\)/);
  t.notMatch(screen, /NODE/);
});
