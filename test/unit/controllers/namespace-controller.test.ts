import t from 'tap';
import { NamespaceController } from '../../../controllers/namespace-controller.js';
import { NAMESPACED_KINDS } from '../../../controllers/namespace-deleter.js';
import { Resources } from '../../../kube/client/resource.js';
import type { KubeObject } from '../../../kube/object.js';
import { newBench } from './fake-context-d2.js';

function namespace(name: string, deleting: boolean): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: deleting ? 'Terminating' : 'Active' },
  };
}

const obj = (kind: string, apiVersion: string, name: string, ns: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, namespace: ns, ...extra },
});

t.test('a terminating namespace is emptied kind by kind, then finalized without the kubernetes finalizer', async (t) => {
  const bench = newBench();
  const ctl = new NamespaceController(bench.ctx, { recheckMs: 1000 });
  bench.seed(Resources.namespaces, namespace('doomed', true));
  bench.seed(Resources.pods, obj('Pod', 'v1', 'p1', 'doomed'));
  bench.seed(Resources.deployments, obj('Deployment', 'apps/v1', 'web', 'doomed'));
  bench.seed(Resources.services, obj('Service', 'v1', 'svc', 'doomed'));
  bench.seed(Resources.pods, obj('Pod', 'v1', 'keep', 'other'));
  t.same(bench.queue.take(), ['doomed']);
  await ctl.sync('doomed');
  const deletes = bench.client.callsOf('delete').map((c) => `${c.resource}/${c.namespace}/${c.name}`);
  t.same(deletes.sort(), ['deployments/doomed/web', 'pods/doomed/p1', 'services/doomed/svc']);
  t.ok(bench.client.callsOf('delete').every((c) => (c.body as { propagationPolicy?: string }).propagationPolicy === 'Background'));
  const [finalize] = bench.client.callsOf('updateSubresource', 'namespaces');
  t.match(finalize, { name: 'doomed', subresource: 'finalize', body: { spec: { finalizers: [] } } });
  await t.rejects(bench.client.get(Resources.namespaces, 'doomed'), /not found/, 'the namespace is gone');
  t.equal((await bench.client.list(Resources.pods, { namespace: 'other' })).items.length, 1, 'other namespaces are untouched');
});

t.test('while content is still terminating the namespace waits and is looked at again', async (t) => {
  const bench = newBench();
  const ctl = new NamespaceController(bench.ctx, { recheckMs: 1500 });
  bench.seed(Resources.namespaces, namespace('doomed', true));
  bench.seed(Resources.pods, obj('Pod', 'v1', 'slow', 'doomed', { deletionTimestamp: '2026-01-01T00:00:30Z' }));
  await ctl.sync('doomed');
  t.same(bench.client.callsOf('delete'), [], 'an object already going is not deleted again');
  t.same(bench.client.callsOf('updateSubresource'), [], 'not finalized yet');
  t.equal(bench.queue.lastDelay('doomed'), 1500);
  await bench.client.delete(Resources.pods, 'slow', { namespace: 'doomed' });
  await ctl.sync('doomed');
  t.equal(bench.client.callsOf('updateSubresource').length, 1, 'finalized once it is empty');
});

t.test('a namespace not being deleted, or already finalized, is left alone', async (t) => {
  const bench = newBench();
  const ctl = new NamespaceController(bench.ctx);
  bench.seed(Resources.namespaces, namespace('live', false));
  bench.seed(Resources.pods, obj('Pod', 'v1', 'p', 'live'));
  const done = namespace('done', true);
  (done.spec as { finalizers: string[] }).finalizers = ['example.com/other'];
  bench.seed(Resources.namespaces, done);
  t.same(bench.queue.take(), ['done'], 'only namespaces being deleted are queued');
  await ctl.sync('live');
  await ctl.sync('done');
  t.same(bench.client.calls, []);
});

t.test('a failed deletion is retried through the queue, and nothing is finalized meanwhile', async (t) => {
  const bench = newBench();
  const ctl = new NamespaceController(bench.ctx);
  bench.seed(Resources.namespaces, namespace('doomed', true));
  bench.seed(Resources.pods, obj('Pod', 'v1', 'p1', 'doomed'));
  bench.client.failNext('delete', 500);
  await t.rejects(ctl.sync('doomed'), /failed to delete some content/);
  t.same(bench.client.callsOf('updateSubresource'), []);
  await ctl.sync('doomed');
  t.equal(bench.client.callsOf('updateSubresource').length, 1);
});

t.test('every namespaced kind the clients know is on the deletion list, workload owners before pods', async (t) => {
  const names = NAMESPACED_KINDS.map((r) => r.resource);
  for (const r of Object.values(Resources)) if (r.namespaced) t.ok(names.includes(r.resource), r.resource);
  t.notOk(names.includes('nodes'));
  t.ok(names.indexOf('deployments') < names.indexOf('replicasets') && names.indexOf('replicasets') < names.indexOf('pods'));
});
