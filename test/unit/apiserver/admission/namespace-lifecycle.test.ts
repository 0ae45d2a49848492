import t from 'tap';
import { buildAdmissionChain } from '../../../../apiserver/admission/chain.js';
import { pod, startApiserver } from '../../../helpers/apiserver-harness.js';

t.test('NamespaceLifecycle refuses creates in a missing namespace (404) and a terminating one (403)', async (t) => {
  const { request } = await startApiserver(t);
  const missing = await request('POST', '/api/v1/namespaces/nowhere/pods', pod('p'));
  t.equal(missing.status, 404);
  t.equal(missing.json.message, 'namespaces "nowhere" not found');
  await request('POST', '/api/v1/namespaces', { metadata: { name: 'leaving', finalizers: ['test/hold'] } });
  await request('DELETE', '/api/v1/namespaces/leaving');
  const terminating = await request('POST', '/api/v1/namespaces/leaving/configmaps', { metadata: { name: 'c' } });
  t.equal(terminating.status, 403);
  t.equal(terminating.json.reason, 'Forbidden');
  t.equal(terminating.json.message, 'configmaps "c" is forbidden: unable to create new content in namespace leaving because it is being terminated');
});

t.test('with NamespaceLifecycle disabled, a terminating namespace still takes new objects', async (t) => {
  const { request } = await startApiserver(t, { admission: buildAdmissionChain([], ['NamespaceLifecycle']) });
  await request('POST', '/api/v1/namespaces', { metadata: { name: 'leaving', finalizers: ['test/hold'] } });
  await request('DELETE', '/api/v1/namespaces/leaving');
  t.equal((await request('POST', '/api/v1/namespaces/leaving/configmaps', { metadata: { name: 'c' } })).status, 201);
});
