import t from 'tap';
import { pod, startApiserver } from '../../../helpers/apiserver-harness.js';

t.test('the system namespaces cannot be deleted, with kube’s 403', async (t) => {
  const h = await startApiserver(t);
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    const r = await h.request('DELETE', `/api/v1/namespaces/${name}`);
    t.equal(r.status, 403, name);
    t.match(r.json, {
      kind: 'Status',
      reason: 'Forbidden',
      message: `namespaces "${name}" is forbidden: this namespace may not be deleted`,
      details: { name, kind: 'namespaces' },
    });
    t.equal((await h.request('GET', `/api/v1/namespaces/${name}`)).json.metadata.deletionTimestamp, undefined);
  }
});

t.test('a deleted namespace is Terminating until /finalize removes the kubernetes finalizer, and refuses new content meanwhile', async (t) => {
  const h = await startApiserver(t);
  t.equal((await h.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } })).status, 201);
  const del = await h.request('DELETE', '/api/v1/namespaces/doomed');
  t.equal(del.status, 200);
  t.match(del.json, { status: { phase: 'Terminating' }, spec: { finalizers: ['kubernetes'] } });
  t.ok(del.json.metadata.deletionTimestamp);
  const refused = await h.request('POST', '/api/v1/namespaces/doomed/pods', pod('late'));
  t.equal(refused.status, 403);
  t.equal(refused.json.message, 'pods "late" is forbidden: unable to create new content in namespace doomed because it is being terminated');
  const ns = (await h.request('GET', '/api/v1/namespaces/doomed')).json;
  const fin = await h.request('PUT', '/api/v1/namespaces/doomed/finalize', { ...ns, spec: { finalizers: [] } });
  t.equal(fin.status, 200);
  t.equal((await h.request('GET', '/api/v1/namespaces/doomed')).status, 404, 'gone once finalized');
});

t.test('pods get the default not-ready and unreachable tolerations unless they tolerate those taints', async (t) => {
  const h = await startApiserver(t);
  const plain = await h.request('POST', '/api/v1/namespaces/default/pods', pod('plain'));
  t.same(plain.json.spec.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 };
  const custom = pod('custom');
  (custom.spec as Record<string, unknown>).tolerations = [own];
  const r = await h.request('POST', '/api/v1/namespaces/default/pods', custom);
  t.same(r.json.spec.tolerations, [own, { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]);
  const all = pod('all');
  (all.spec as Record<string, unknown>).tolerations = [{ operator: 'Exists' }];
  t.same(
    (await h.request('POST', '/api/v1/namespaces/default/pods', all)).json.spec.tolerations,
    [{ operator: 'Exists' }],
    'a wildcard toleration covers both',
  );
});
