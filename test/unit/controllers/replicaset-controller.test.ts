import t from 'tap';
import {
  BURST_REPLICAS,
  REPLICA_SET_KIND,
  ReplicaSetController,
  replicaSetControllerFactory,
  replicationControllerFactory,
} from '../../../controllers/replicaset-controller.js';
import type { Pod, ReplicaSet } from '../../../controllers/workload-types.js';
import { Resources } from '../../../kube/client/resource.js';
import { FakeContext } from './fake-context.js';
import { NS, ownerRef, pod, replicaSet, replicationController } from './fixtures.js';

const RS = Resources.replicasets;

function setup(): { ctx: FakeContext; rsc: ReplicaSetController } {
  const ctx = new FakeContext();
  const rsc = replicaSetControllerFactory(ctx) as ReplicaSetController;
  return { ctx, rsc };
}

const webOwner = ownerRef('ReplicaSet', 'web');

t.test('a ReplicaSet without pods creates the missing ones with generateName, labels and a controller reference', async (t) => {
  const { ctx, rsc } = setup();
  ctx.seed(RS, replicaSet('web', 3));
  await rsc.sync(`${NS}/web`);
  const creates = ctx.client.callsOf('create', 'pods');
  t.equal(creates.length, 3);
  const body = creates[0]?.body as Pod;
  t.equal(body.metadata.generateName, 'web-');
  t.same(body.metadata.labels, { app: 'web' });
  t.same(body.metadata.ownerReferences, [webOwner]);
  t.equal(body.metadata.namespace, NS);
  t.equal(ctx.recorder.events.filter((e) => e.reason === 'SuccessfulCreate').length, 3);
});

t.test('a failing first create stops the slow start at once and sets the ReplicaFailure condition', async (t) => {
  const { ctx, rsc } = setup();
  ctx.seed(RS, replicaSet('web', 10));
  ctx.client.failNext('create', 500);
  await t.rejects(rsc.sync(`${NS}/web`));
  t.equal(ctx.client.callsOf('create', 'pods').length, 1, 'the first batch of one failed: nothing more was tried');
  t.same(rsc.expectations.pending(`${NS}/web`), { add: 0, del: 0 }, 'the failed and skipped creates are not waited for');
  const stored = (await ctx.client.get<ReplicaSet>(RS, 'web', NS)).status;
  t.equal(stored?.conditions?.[0]?.type, 'ReplicaFailure');
  t.equal(stored?.conditions?.[0]?.reason, 'FailedCreate');
  t.ok(ctx.recorder.events.some((e) => e.reason === 'FailedCreate' && e.type === 'Warning'));
});

t.test('a failure in the third batch stops the slow start after 1 + 2 + 4 creates', async (t) => {
  const { ctx, rsc } = setup();
  ctx.seed(RS, replicaSet('web', 20));
  let n = 0;
  const create = ctx.client.create.bind(ctx.client);
  ctx.client.create = (async (r, obj, o) => {
    n++;
    if (n === 5) throw new Error('quota exceeded');
    return create(r, obj, o);
  }) as typeof ctx.client.create;
  await t.rejects(rsc.sync(`${NS}/web`), /quota exceeded/);
  t.equal(n, 7, 'batches of 1, 2 and 4 were tried; the batch of 8 was not');
  t.equal(ctx.client.callsOf('create', 'pods').length, 6, 'six pods were created');
  t.same(rsc.expectations.pending(`${NS}/web`), { add: 6, del: 0 }, 'only the creates that happened are still expected');
});

t.test('a matching orphan pod is adopted with a uid-guarded strategic patch instead of creating a new pod', async (t) => {
  const { ctx, rsc } = setup();
  ctx.seed(RS, replicaSet('web', 1));
  ctx.seed(Resources.pods, pod('orphan', { app: 'web' }, { phase: 'Running' }));
  await rsc.sync(`${NS}/web`);
  t.equal(ctx.client.callsOf('create', 'pods').length, 0);
  const patches = ctx.client.callsOf('patch', 'pods');
  t.equal(patches.length, 1);
  t.equal(patches[0]?.name, 'orphan');
  t.same(patches[0]?.body, { metadata: { ownerReferences: [webOwner], uid: 'uid-orphan' } });
  const stored = await ctx.client.get<ReplicaSet>(RS, 'web', NS);
  t.equal(stored.status?.replicas, 1);
});

t.test('an owned pod whose labels no longer match is released and replaced', async (t) => {
  const { ctx, rsc } = setup();
  ctx.seed(RS, replicaSet('web', 1));
  ctx.seed(Resources.pods, pod('relabelled', { app: 'other' }, { owner: webOwner, phase: 'Running' }));
  await rsc.sync(`${NS}/web`);
  const patches = ctx.client.callsOf('patch', 'pods');
  t.equal(patches.length, 1);
  t.same(patches[0]?.body, { metadata: { ownerReferences: [{ $patch: 'delete', uid: 'uid-web' }], uid: 'uid-relabelled' } });
  t.equal(ctx.client.callsOf('create', 'pods').length, 1, 'a replacement is created');
});

t.test('pods owned by another controller, being deleted, or finished are neither adopted nor counted', async (t) => {
  const { ctx, rsc } = setup();
  ctx.seed(RS, replicaSet('web', 1));
  ctx.seed(Resources.pods, pod('theirs', { app: 'web' }, { owner: ownerRef('ReplicaSet', 'other'), phase: 'Running' }));
  ctx.seed(Resources.pods, pod('leaving', { app: 'web' }, { deleting: true, phase: 'Running' }));
  ctx.seed(Resources.pods, pod('done', { app: 'web' }, { phase: 'Succeeded' }));
  await rsc.sync(`${NS}/web`);
  t.equal(ctx.client.callsOf('patch', 'pods').length, 0);
  t.equal(ctx.client.callsOf('create', 'pods').length, 1);
});

t.test('an orphan is not adopted when the owner read fresh from the apiserver is another object of the same name', async (t) => {
  const { ctx, rsc } = setup();
  ctx.seed(RS, replicaSet('web', 1));
  ctx.seed(Resources.pods, pod('orphan', { app: 'web' }, { phase: 'Running' }));
  await ctx.change<ReplicaSet>(RS, 'web', NS, (rs) => {
    rs.metadata.uid = 'uid-web-recreated';
  });
  await t.rejects(rsc.sync(`${NS}/web`), /is gone/);
  t.equal(ctx.client.callsOf('patch', 'pods').length, 0);
});

t.test('scale-down deletes the least valuable pods: unscheduled, then pending, then not ready', async (t) => {
  const { ctx, rsc } = setup();
  ctx.seed(RS, replicaSet('web', 2));
  const labels = { app: 'web' };
  ctx.seed(Resources.pods, pod('running-ready', labels, { owner: webOwner, node: 'n1', phase: 'Running', ready: true }));
  ctx.seed(Resources.pods, pod('running-notready', labels, { owner: webOwner, node: 'n1', phase: 'Running', ready: false }));
  ctx.seed(Resources.pods, pod('pending-scheduled', labels, { owner: webOwner, node: 'n2', phase: 'Pending' }));
  ctx.seed(Resources.pods, pod('unscheduled', labels, { owner: webOwner, phase: 'Pending' }));
  await rsc.sync(`${NS}/web`);
  const deleted = ctx.client
    .callsOf('delete', 'pods')
    .map((c) => c.name)
    .sort();
  t.same(deleted, ['pending-scheduled', 'unscheduled']);
  t.same(rsc.expectations.pending(`${NS}/web`), { add: 0, del: 2 });
  t.equal(ctx.recorder.events.filter((e) => e.reason === 'SuccessfulDelete').length, 2);
});

t.test('it does not create twice while its creates are still on their way back through the watch', async (t) => {
  const { ctx, rsc } = setup();
  ctx.seed(RS, replicaSet('web', 3));
  await rsc.sync(`${NS}/web`);
  t.equal(ctx.client.callsOf('create', 'pods').length, 3);
  t.notOk(rsc.expectations.satisfied(`${NS}/web`));
  await rsc.sync(`${NS}/web`);
  t.equal(ctx.client.callsOf('create', 'pods').length, 3, 'no second round of creates from a stale cache');
  await ctx.reflect();
  t.ok(rsc.expectations.satisfied(`${NS}/web`), 'the informer delivered the three creates');
  await rsc.sync(`${NS}/web`);
  t.equal(ctx.client.callsOf('create', 'pods').length, 3);
  t.equal((await ctx.client.get<ReplicaSet>(RS, 'web', NS)).status?.replicas, 3);
});

t.test('expectations stop holding the controller back after five minutes', async (t) => {
  const { ctx, rsc } = setup();
  ctx.seed(RS, replicaSet('web', 2));
  await rsc.sync(`${NS}/web`);
  ctx.clock.advance(5 * 60 * 1000 + 1);
  await rsc.sync(`${NS}/web`);
  t.equal(ctx.client.callsOf('create', 'pods').length, 4, 'the lost creates are retried');
});

t.test('status counts replicas, fully labelled, ready and available pods and the observed generation', async (t) => {
  const { ctx, rsc } = setup();
  const rs = replicaSet('web', 3, { app: 'web' });
  if (rs.spec?.template?.metadata) rs.spec.template.metadata.labels = { app: 'web', tier: 'front' };
  if (rs.spec) rs.spec.minReadySeconds = 30;
  rs.metadata.generation = 4;
  ctx.seed(RS, rs);
  const now = ctx.clock.now();
  const longAgo = new Date(now - 60_000).toISOString();
  const justNow = new Date(now - 1_000).toISOString();
  ctx.seed(Resources.pods, pod('a', { app: 'web', tier: 'front' }, { owner: webOwner, phase: 'Running', ready: true, readySince: longAgo }));
  ctx.seed(Resources.pods, pod('b', { app: 'web', tier: 'front' }, { owner: webOwner, phase: 'Running', ready: true, readySince: justNow }));
  ctx.seed(Resources.pods, pod('c', { app: 'web' }, { owner: webOwner, phase: 'Pending' }));
  await rsc.sync(`${NS}/web`);
  const status = (await ctx.client.get<ReplicaSet>(RS, 'web', NS)).status;
  t.match(status, { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 4 });
  t.equal(ctx.client.callsOf('create', 'pods').length + ctx.client.callsOf('delete', 'pods').length, 0);
});

t.test('a ReplicaSet whose status is current is not written again', async (t) => {
  const { ctx, rsc } = setup();
  ctx.seed(
    RS,
    replicaSet('web', 0, { app: 'web' }, { status: { replicas: 0, fullyLabeledReplicas: 0, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 } }),
  );
  await rsc.sync(`${NS}/web`);
  t.equal(ctx.client.callsOf('updateStatus').length, 0);
});

t.test('handlers enqueue the owner of a pod and count its creation as observed', async (t) => {
  const { ctx, rsc } = setup();
  ctx.seed(RS, replicaSet('web', 1));
  await rsc.sync(`${NS}/web`);
  while (rsc.queue.len() > 0) {
    const k = await rsc.queue.get();
    if (k) rsc.queue.done(k);
  }
  await ctx.reflect();
  t.ok(rsc.expectations.satisfied(`${NS}/web`));
  t.equal(await rsc.queue.get(), `${NS}/web`);
});

t.test('a ReplicationController is served by the same controller with its map selector and its own kind', async (t) => {
  const ctx = new FakeContext();
  const rcm = replicationControllerFactory(ctx) as ReplicaSetController;
  t.equal(rcm.name, 'replicationcontroller');
  ctx.seed(Resources.replicationcontrollers, replicationController('legacy', 2));
  ctx.seed(Resources.pods, pod('orphan', { app: 'legacy' }, { phase: 'Running' }));
  await rcm.sync(`${NS}/legacy`);
  const rcRef = ownerRef('ReplicationController', 'legacy', 'uid-legacy', 'v1');
  t.same(ctx.client.callsOf('patch', 'pods')[0]?.body, { metadata: { ownerReferences: [rcRef], uid: 'uid-orphan' } });
  const creates = ctx.client.callsOf('create', 'pods');
  t.equal(creates.length, 1);
  t.same((creates[0]?.body as Pod | undefined)?.metadata.ownerReferences, [rcRef]);
  t.equal((await ctx.client.get<ReplicaSet>(Resources.replicationcontrollers, 'legacy', NS)).status?.replicas, 1, 'the new pod counts once seen');
  await ctx.reflect();
  await rcm.sync(`${NS}/legacy`);
  t.equal((await ctx.client.get<ReplicaSet>(Resources.replicationcontrollers, 'legacy', NS)).status?.replicas, 2);
});

t.test('one sync creates at most a burst of pods (500 by default); the next sync creates the rest', async (t) => {
  t.equal(BURST_REPLICAS, 500);
  const ctx = new FakeContext();
  const rsc = new ReplicaSetController(ctx, REPLICA_SET_KIND, { burstReplicas: 4 });
  ctx.seed(RS, replicaSet('web', 6));
  await rsc.sync(`${NS}/web`);
  t.equal(ctx.client.callsOf('create', 'pods').length, 4);
  await ctx.reflect();
  await rsc.sync(`${NS}/web`);
  t.equal(ctx.client.callsOf('create', 'pods').length, 6);
});
