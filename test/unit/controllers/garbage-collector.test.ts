import t from 'tap';
import { GarbageCollector } from '../../../controllers/garbage-collector.js';
import { Resources } from '../../../kube/client/resource.js';
import type { KubeObject, OwnerReference } from '../../../kube/object.js';
import { type Bench, newBench } from './fake-context-d2.js';

function ownerRef(obj: KubeObject, block = true): OwnerReference {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata.name ?? '',
    uid: obj.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: block,
  };
}

function replicaSet(name: string, uid: string, owners: OwnerReference[] = []): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', uid, ...(owners.length ? { ownerReferences: owners } : {}) },
    spec: {},
  };
}

function deployment(name: string, uid: string): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default', uid }, spec: {} };
}

function pod(name: string, owners: OwnerReference[]): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}`, ownerReferences: owners }, spec: {} };
}

function setup(): { bench: Bench; gc: GarbageCollector } {
  const bench = newBench();
  const gc = new GarbageCollector(bench.ctx);
  return { bench, gc };
}

/** Run the collector like the manager would: sync every queued key until the queue is empty, letting the watch deliver after each. */
async function drain(bench: Bench, gc: GarbageCollector, rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const keys = bench.queue.take();
    if (keys.length === 0) return;
    for (const key of keys) await gc.sync(key);
    await bench.reflect();
  }
}

async function names(bench: Bench, r = Resources.pods): Promise<string[]> {
  return (await bench.client.list(r)).items.map((o) => o.metadata.name ?? '').sort();
}

t.test('a dependent whose owner is gone is deleted in the background', async (t) => {
  const { bench, gc } = setup();
  const rs = replicaSet('web', 'rs-1');
  bench.seed(Resources.pods, pod('orphaned', [ownerRef(rs)]));
  t.same(bench.queue.take(), ['pods/default/orphaned'], 'an owner never seen makes the dependent worth a look');
  await gc.sync('pods/default/orphaned');
  const [del] = bench.client.callsOf('delete', 'pods');
  t.match(del, { name: 'orphaned', body: { propagationPolicy: 'Background', preconditions: { uid: 'uid-orphaned' } } });
});

t.test('an owner missing from the cache but present in the apiserver keeps its dependents', async (t) => {
  const { bench, gc } = setup();
  const rs = replicaSet('web', 'rs-1');
  bench.client.seed(Resources.replicasets, rs);
  bench.seed(Resources.pods, pod('p', [ownerRef(rs)]));
  await gc.sync('pods/default/p');
  t.same(bench.client.callsOf('delete'), []);
});

t.test('an owner replaced by a new object of the same name counts as gone', async (t) => {
  const { bench, gc } = setup();
  bench.seed(Resources.replicasets, replicaSet('web', 'rs-new'));
  bench.seed(Resources.pods, pod('p', [ownerRef(replicaSet('web', 'rs-old'))]));
  await drain(bench, gc);
  t.same(await names(bench), []);
});

t.test('deleting an owner in the background deletes its dependents, and theirs', async (t) => {
  const { bench, gc } = setup();
  const d = bench.seed(Resources.deployments, deployment('web', 'd-1'));
  const rs = bench.seed(Resources.replicasets, replicaSet('web-1', 'rs-1', [ownerRef(d)]));
  bench.seed(Resources.pods, pod('a', [ownerRef(rs)]));
  bench.seed(Resources.pods, pod('b', [ownerRef(rs)]));
  await drain(bench, gc);
  t.same(bench.client.callsOf('delete'), [], 'nothing goes while the owners are there');
  await bench.client.delete(Resources.deployments, 'web', { namespace: 'default', propagationPolicy: 'Background' });
  await bench.reflect();
  await drain(bench, gc);
  t.same(await names(bench, Resources.replicasets), []);
  t.same(await names(bench), []);
});

t.test('a dependent with another owner left only loses the reference to the one that is gone', async (t) => {
  const { bench, gc } = setup();
  const alive = bench.seed(Resources.replicasets, replicaSet('alive', 'rs-alive'));
  const gone = replicaSet('gone', 'rs-gone');
  bench.seed(
    Resources.pods,
    pod('shared', [
      { ...ownerRef(alive), controller: false },
      { ...ownerRef(gone), controller: false },
    ]),
  );
  await drain(bench, gc);
  t.same(await names(bench), ['shared']);
  const live = await bench.client.get(Resources.pods, 'shared', 'default');
  t.same(
    live.metadata.ownerReferences?.map((o) => o.uid),
    ['rs-alive'],
  );
});

t.test('foreground deletion: the owner waits with its finalizer until its blocking dependents are gone', async (t) => {
  const { bench, gc } = setup();
  const d = bench.seed(Resources.deployments, deployment('web', 'd-1'));
  const rs = bench.seed(Resources.replicasets, replicaSet('web-1', 'rs-1', [ownerRef(d)]));
  bench.seed(Resources.pods, pod('a', [ownerRef(rs)]));
  bench.seed(Resources.pods, pod('b', [ownerRef(rs)]));
  await drain(bench, gc);
  await bench.client.delete(Resources.deployments, 'web', { namespace: 'default', propagationPolicy: 'Foreground' });
  await bench.reflect();
  const marked = await bench.client.get(Resources.deployments, 'web', 'default');
  t.same(marked.metadata.finalizers, ['foregroundDeletion'], 'the apiserver marks the owner');
  await gc.sync('deployments.apps/default/web');
  t.ok(await bench.client.get(Resources.deployments, 'web', 'default'), 'the owner stays while its ReplicaSet is there');
  await drain(bench, gc);
  t.match(
    bench.client.callsOf('delete', 'replicasets'),
    [{ name: 'web-1', body: { propagationPolicy: 'Foreground' } }],
    'a dependent with dependents of its own goes in the foreground too',
  );
  t.same(await names(bench), [], 'the pods went first');
  t.same(await names(bench, Resources.replicasets), []);
  t.same(await names(bench, Resources.deployments), [], 'then the finalizer came off and the owner went');
});

t.test('foreground deletion does not wait for dependents without blockOwnerDeletion', async (t) => {
  const { bench, gc } = setup();
  const rs = bench.seed(Resources.replicasets, replicaSet('web-1', 'rs-1'));
  bench.seed(Resources.pods, pod('loose', [ownerRef(rs, false)]));
  await bench.client.delete(Resources.replicasets, 'web-1', { namespace: 'default', propagationPolicy: 'Foreground' });
  await bench.reflect();
  await gc.sync('replicasets.apps/default/web-1');
  t.same(await names(bench, Resources.replicasets), [], 'the finalizer comes off at once');
});

t.test('orphan deletion strips the owner reference from every dependent, then removes the finalizer', async (t) => {
  const { bench, gc } = setup();
  const rs = bench.seed(Resources.replicasets, replicaSet('web-1', 'rs-1'));
  bench.seed(Resources.pods, pod('a', [ownerRef(rs)]));
  bench.seed(Resources.pods, pod('b', [ownerRef(rs)]));
  await bench.client.delete(Resources.replicasets, 'web-1', { namespace: 'default', propagationPolicy: 'Orphan' });
  await bench.reflect();
  await drain(bench, gc);
  t.same(await names(bench), ['a', 'b'], 'the pods stay');
  for (const name of ['a', 'b'])
    t.same((await bench.client.get(Resources.pods, name, 'default')).metadata.ownerReferences, undefined, `${name} has no owner left`);
  t.same(await names(bench, Resources.replicasets), [], 'the owner went once they were released');
  t.same(bench.client.callsOf('delete', 'pods'), []);
});

t.test('an owner of a kind the collector cannot resolve is never taken as gone', async (t) => {
  const { bench, gc } = setup();
  bench.seed(Resources.pods, pod('custom', [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'w-1', controller: true }]));
  await drain(bench, gc);
  t.same(await names(bench), ['custom']);
});
