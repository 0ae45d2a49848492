import t from 'tap';
import { pod, startApiserver } from '../../../helpers/apiserver-harness.js';

const NS = '/api/v1/namespaces/default';

function quota(name: string, hard: Record<string, string>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard } };
}

function podWith(name: string, resources: Record<string, unknown>): Record<string, unknown> {
  return { ...pod(name), spec: { containers: [{ name: 'main', image: 'busybox', resources }] } };
}

t.test('a quota admits creates up to its hard count and refuses the next with 403 and kube message', async (t) => {
  const { request } = await startApiserver(t);
  t.equal((await request('POST', `${NS}/resourcequotas`, quota('q', { pods: '2' }))).status, 201);
  t.equal((await request('POST', `${NS}/pods`, pod('a'))).status, 201);
  t.equal((await request('POST', `${NS}/pods`, pod('b'))).status, 201);
  const third = await request('POST', `${NS}/pods`, pod('c'));
  t.equal(third.status, 403);
  t.equal(third.json.reason, 'Forbidden');
  t.equal(third.json.message, 'pods "c" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');
  const q = await request('GET', `${NS}/resourcequotas/q`);
  t.same(q.json.status.used, { pods: '2' }, 'used counts the two admitted pods');
  t.same(q.json.status.hard, { pods: '2' });
});

t.test('object-count quotas name kinds as count/<resource>.<group>', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', `${NS}/resourcequotas`, quota('q', { 'count/deployments.apps': '0', configmaps: '1' }));
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
  };
  const refused = await request('POST', '/apis/apps/v1/namespaces/default/deployments', deployment);
  t.equal(refused.status, 403);
  t.equal(
    refused.json.message,
    'deployments.apps "web" is forbidden: exceeded quota: q, requested: count/deployments.apps=1, used: count/deployments.apps=0, limited: count/deployments.apps=0',
  );
  t.equal((await request('POST', `${NS}/configmaps`, { metadata: { name: 'one' } })).status, 201);
  t.equal((await request('POST', `${NS}/configmaps`, { metadata: { name: 'two' } })).status, 403);
});

t.test('compute quotas sum container requests and refuse what would pass the hard limit', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', `${NS}/resourcequotas`, quota('compute', { 'requests.cpu': '1', 'requests.memory': '1Gi' }));
  t.equal((await request('POST', `${NS}/pods`, podWith('a', { requests: { cpu: '600m', memory: '512Mi' } }))).status, 201);
  const over = await request('POST', `${NS}/pods`, podWith('b', { requests: { cpu: '500m', memory: '256Mi' } }));
  t.equal(over.status, 403);
  t.equal(over.json.message, 'pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1');
  const q = await request('GET', `${NS}/resourcequotas/compute`);
  t.same(q.json.status.used, { 'requests.cpu': '600m', 'requests.memory': '512Mi' });
});

t.test('a compute quota refuses a pod that does not declare what the quota tracks', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', `${NS}/resourcequotas`, quota('compute', { 'limits.cpu': '2' }));
  const res = await request('POST', `${NS}/pods`, pod('bare'));
  t.equal(res.status, 403);
  t.equal(res.json.message, 'pods "bare" is forbidden: failed quota: compute: must specify limits.cpu for: main');
});

t.test('a dry-run create is checked against the quota but not charged', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', `${NS}/resourcequotas`, quota('q', { pods: '1' }));
  t.equal((await request('POST', `${NS}/pods?dryRun=All`, pod('a'))).status, 201);
  t.equal((await request('POST', `${NS}/pods`, pod('b'))).status, 201, 'the dry run did not take the slot');
  t.equal((await request('POST', `${NS}/pods?dryRun=All`, pod('c'))).status, 403, 'a dry run over the quota is refused');
});

t.test('a quota created after objects exist counts them before charging', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', `${NS}/pods`, pod('a'));
  await request('POST', `${NS}/pods`, pod('b'));
  await request('POST', `${NS}/resourcequotas`, quota('q', { pods: '2' }));
  const res = await request('POST', `${NS}/pods`, pod('c'));
  t.equal(res.status, 403);
  t.match(res.json.message, /used: pods=2, limited: pods=2$/);
});

t.test('two concurrent creates at the last slot of a quota: exactly one succeeds', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', `${NS}/resourcequotas`, quota('q', { pods: '2' }));
  t.equal((await request('POST', `${NS}/pods`, pod('first'))).status, 201);
  // Many rounds: every round races two creates for the one slot left, then frees it.
  for (let round = 0; round < 10; round++) {
    const [a, b] = await Promise.all([request('POST', `${NS}/pods`, pod(`a${round}`)), request('POST', `${NS}/pods`, pod(`b${round}`))]);
    const codes = [a.status, b.status].sort();
    t.same(codes, [201, 403], `round ${round}: one create wins, the other is refused`);
    const pods = await request('GET', `${NS}/pods`);
    t.equal(pods.json.items.length, 2, 'never more pods than the quota allows');
    const winner = a.status === 201 ? `a${round}` : `b${round}`;
    await request('DELETE', `${NS}/pods/${winner}?gracePeriodSeconds=0`);
    // What the resourcequota controller does after a delete: release the slot.
    const q = await request('GET', `${NS}/resourcequotas/q`);
    const released = await request('PUT', `${NS}/resourcequotas/q/status`, { ...q.json, status: { hard: { pods: '2' }, used: { pods: '1' } } });
    t.equal(released.status, 200);
  }
});
