import type { Test } from 'tap';
import t from 'tap';
import { pod, startApiserver } from '../../../helpers/apiserver-harness.js';
import { actAsHeaderUser, asNode } from './as-user.js';

const PODS = '/api/v1/namespaces/default/pods';

function node(name: string, labels: Record<string, string> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, status: { conditions: [] } };
}

async function cluster(t: Test) {
  const h = await startApiserver(t);
  actAsHeaderUser(h);
  return h;
}

t.test('a node may create and update its own Node but not another, with 403 and kube message', async (t) => {
  const { request } = await cluster(t);
  t.equal((await request('POST', '/api/v1/nodes', node('n1'), asNode('n1'))).status, 201);
  const other = await request('POST', '/api/v1/nodes', node('n2'), asNode('n1'));
  t.equal(other.status, 403);
  t.equal(other.json.reason, 'Forbidden');
  t.equal(other.json.message, 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
  t.equal((await request('POST', '/api/v1/nodes', node('n2'))).status, 201, 'an admin creates n2');
  const patch = { metadata: { labels: { zone: 'a' } } };
  const headers = { ...asNode('n1'), 'content-type': 'application/merge-patch+json' };
  t.equal((await request('PATCH', '/api/v1/nodes/n1', patch, headers)).status, 200, 'n1 labels itself');
  const cross = await request('PATCH', '/api/v1/nodes/n2', patch, headers);
  t.equal(cross.status, 403);
  t.equal(cross.json.message, 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
  const status = await request('PATCH', '/api/v1/nodes/n2/status', { status: { phase: 'Running' } }, headers);
  t.equal(status.status, 403, 'nor its status');
  t.equal((await request('DELETE', '/api/v1/nodes/n2', undefined, asNode('n1'))).status, 403, 'nor delete it');
});

t.test('a node may not set or change node-restriction.kubernetes.io labels', async (t) => {
  const { request } = await cluster(t);
  const created = await request('POST', '/api/v1/nodes', node('n1', { 'node-restriction.kubernetes.io/tier': 'gold' }), asNode('n1'));
  t.equal(created.status, 403);
  t.equal(created.json.message, 'nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: node-restriction.kubernetes.io/tier');
  t.equal((await request('POST', '/api/v1/nodes', node('n1', { 'node-restriction.kubernetes.io/tier': 'gold' }))).status, 201, 'an admin may');
  const headers = { ...asNode('n1'), 'content-type': 'application/merge-patch+json' };
  const changed = await request('PATCH', '/api/v1/nodes/n1', { metadata: { labels: { 'node-restriction.kubernetes.io/tier': 'silver' } } }, headers);
  t.equal(changed.status, 403);
  t.equal(changed.json.message, 'nodes "n1" is forbidden: node "n1" is not allowed to modify labels: node-restriction.kubernetes.io/tier');
  t.equal((await request('PATCH', '/api/v1/nodes/n1', { metadata: { labels: { other: 'x' } } }, headers)).status, 200, 'other labels are its own business');
});

t.test('a node writes the status of and deletes only pods bound to it', async (t) => {
  const { request } = await cluster(t);
  await request('POST', PODS, pod('mine', {}, { spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] } }));
  await request('POST', PODS, pod('theirs', {}, { spec: { nodeName: 'n2', containers: [{ name: 'c', image: 'busybox' }] } }));
  const headers = { ...asNode('n1'), 'content-type': 'application/merge-patch+json' };
  t.equal((await request('PATCH', `${PODS}/mine/status`, { status: { phase: 'Running' } }, headers)).status, 200);
  const theirs = await request('PATCH', `${PODS}/theirs/status`, { status: { phase: 'Running' } }, headers);
  t.equal(theirs.status, 403);
  t.equal(theirs.json.message, 'pods "theirs" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself');
  const spec = await request('PATCH', `${PODS}/mine`, { metadata: { labels: { a: 'b' } } }, headers);
  t.equal(spec.status, 403);
  t.equal(spec.json.message, 'pods "mine" is forbidden: unexpected operation "UPDATE", node "n1" can only create and delete mirror pods');
  const del = await request('DELETE', `${PODS}/theirs`, undefined, asNode('n1'));
  t.equal(del.status, 403);
  t.equal(del.json.message, 'pods "theirs" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself');
  const eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'theirs', namespace: 'default' } };
  const evicted = await request('POST', `${PODS}/theirs/eviction`, eviction, asNode('n1'));
  t.equal(evicted.status, 403, 'nor evicts them: an eviction is a delete to admission');
  t.equal(evicted.json.message, 'pods "theirs" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself');
  t.equal((await request('DELETE', `${PODS}/mine?gracePeriodSeconds=0`, undefined, asNode('n1'))).status, 200);
  const create = await request('POST', PODS, pod('new'), asNode('n1'));
  t.equal(create.status, 403);
  t.equal(create.json.message, 'pods "new" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods');
});

t.test('users that are not nodes are not restricted', async (t) => {
  const { request } = await cluster(t);
  await request('POST', PODS, pod('p', {}, { spec: { nodeName: 'n2', containers: [{ name: 'c', image: 'busybox' }] } }));
  const headers = { 'x-test-user': 'alice', 'x-test-groups': 'system:authenticated', 'content-type': 'application/merge-patch+json' };
  t.equal((await request('PATCH', `${PODS}/p`, { metadata: { labels: { a: 'b' } } }, headers)).status, 200);
  // system:node: names outside the system:nodes group are ordinary users.
  const impostor = { 'x-test-user': 'system:node:n1', 'x-test-groups': 'system:authenticated', 'content-type': 'application/merge-patch+json' };
  t.equal((await request('PATCH', `${PODS}/p`, { metadata: { labels: { c: 'd' } } }, impostor)).status, 200);
});

t.test('a node may only touch its own Lease in kube-node-lease', async (t) => {
  const { request } = await cluster(t);
  const lease = (name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: { holderIdentity: name } });
  const url = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
  t.equal((await request('POST', url, lease('n1'), asNode('n1'))).status, 201);
  const other = await request('POST', url, lease('n2'), asNode('n1'));
  t.equal(other.status, 403);
  t.equal(other.json.message, 'leases.coordination.k8s.io "n2" is forbidden: node "n1" can only access node lease with the same name as the requesting node');
});
