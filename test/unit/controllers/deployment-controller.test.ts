import t from 'tap';
import { type DeploymentController, deploymentControllerFactory } from '../../../controllers/deployment-controller.js';
import { computeHash } from '../../../controllers/deployment-revision.js';
import type { Condition, Deployment, ReplicaSet } from '../../../controllers/workload-types.js';
import { Resources } from '../../../kube/client/resource.js';
import { FakeContext } from './fake-context.js';
import { deployment, NS, ownerRef, pod } from './fixtures.js';

const RS = Resources.replicasets;
const DEP = Resources.deployments;
const KEY = `${NS}/web`;

function setup(d: Deployment): { ctx: FakeContext; dc: DeploymentController } {
  const ctx = new FakeContext();
  const dc = deploymentControllerFactory(ctx) as DeploymentController;
  ctx.seed(DEP, d);
  return { ctx, dc };
}

/** Plays the ReplicaSet controller and the kubelet: every ReplicaSet gets its pods, `available(rs)` of them available. */
async function settle(ctx: FakeContext, available: (rs: ReplicaSet) => number = (rs) => rs.spec?.replicas ?? 0): Promise<void> {
  for (const rs of await ctx.stored<ReplicaSet>(RS)) {
    const n = rs.spec?.replicas ?? 0;
    const a = Math.min(n, available(rs));
    await ctx.change<ReplicaSet>(RS, rs.metadata.name ?? '', NS, (x) => {
      x.status = { replicas: n, fullyLabeledReplicas: n, readyReplicas: a, availableReplicas: a, observedGeneration: x.metadata.generation ?? 0 };
    });
  }
  await ctx.reflect();
}

async function step(ctx: FakeContext, dc: DeploymentController): Promise<void> {
  await dc.sync(KEY);
  await ctx.reflect();
}

async function setImage(ctx: FakeContext, image: string): Promise<void> {
  await ctx.change<Deployment>(DEP, 'web', NS, (d) => {
    const c = (d.spec?.template?.spec?.containers as { image: string }[] | undefined)?.[0];
    if (c) c.image = image;
    d.metadata.generation = (d.metadata.generation ?? 1) + 1;
  });
  await ctx.reflect();
}

async function stored(ctx: FakeContext): Promise<{ d: Deployment; rss: ReplicaSet[] }> {
  return { d: await ctx.client.get<Deployment>(DEP, 'web', NS), rss: await ctx.stored<ReplicaSet>(RS) };
}

function progressing(d: Deployment): Condition | undefined {
  return d.status?.conditions?.find((c) => c.type === 'Progressing');
}

const revision = (o: { metadata: { annotations?: Record<string, string> } }): string | undefined =>
  o.metadata.annotations?.['deployment.kubernetes.io/revision'];

/** Roll the Deployment to completion: sync and settle until nothing changes. */
async function rollOut(ctx: FakeContext, dc: DeploymentController): Promise<void> {
  for (let i = 0; i < 30; i++) {
    const before = ctx.client.calls.length;
    await step(ctx, dc);
    await settle(ctx);
    if (ctx.client.calls.length === before) return;
  }
  throw new Error('the rollout did not settle');
}

t.test('a new Deployment gets a ReplicaSet named and labelled by its template hash, at revision 1', async (t) => {
  const { ctx, dc } = setup(deployment('web', 3));
  await step(ctx, dc);
  const { d, rss } = await stored(ctx);
  t.equal(rss.length, 1);
  const rs = rss[0] as ReplicaSet;
  const hash = computeHash(d.spec?.template);
  t.equal(rs.metadata.name, `web-${hash}`);
  t.equal(rs.metadata.labels?.['pod-template-hash'], hash);
  t.same(rs.spec?.selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
  t.equal(rs.spec?.template?.metadata?.labels?.['pod-template-hash'], hash);
  t.equal(rs.spec?.replicas, 3);
  t.same(rs.metadata.ownerReferences, [ownerRef('Deployment', 'web')]);
  t.match(rs.metadata.annotations, {
    'deployment.kubernetes.io/revision': '1',
    'deployment.kubernetes.io/desired-replicas': '3',
    'deployment.kubernetes.io/max-replicas': '4',
  });
  t.equal(revision(d), '1');
  t.match(progressing(d), { status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "web-${hash}"` });
  t.ok(ctx.recorder.events.some((e) => e.reason === 'ScalingReplicaSet' && e.message === `Scaled up replica set web-${hash} from 0 to 3`));
});

t.test('the pod-template-hash is stable for a template and changes with it', async (t) => {
  const a = deployment('web', 1).spec?.template;
  const b = deployment('web', 1, { image: 'nginx:2' }).spec?.template;
  t.equal(computeHash(a), computeHash(structuredClone(a)));
  t.not(computeHash(a), computeHash(b));
  t.not(computeHash(a), computeHash(a, 1), 'a collision count changes the hash');
  t.match(computeHash(a), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
});

t.test('a finished rollout reports every count and the conditions kubectl rollout status waits for', async (t) => {
  const { ctx, dc } = setup(deployment('web', 3));
  await rollOut(ctx, dc);
  const { d, rss } = await stored(ctx);
  t.match(d.status, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 });
  t.match(
    d.status?.conditions?.find((c) => c.type === 'Available'),
    { status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
  );
  t.match(progressing(d), { status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rss[0]?.metadata.name}" has successfully progressed.` });
});

t.test('a rolling update never exceeds maxSurge nor drops below maxUnavailable', async (t) => {
  const { ctx, dc } = setup(deployment('web', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }));
  await rollOut(ctx, dc);
  await setImage(ctx, 'nginx:2');
  const sizes: number[][] = [];
  for (let i = 0; i < 30; i++) {
    const before = ctx.client.calls.length;
    await step(ctx, dc);
    const rss = await ctx.stored<ReplicaSet>(RS);
    const total = rss.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
    // Pods that stay available: an old ReplicaSet scaled down loses available pods at once, new pods are not yet available.
    const available = rss.reduce((n, rs) => n + Math.min(rs.spec?.replicas ?? 0, rs.status?.availableReplicas ?? 0), 0);
    t.ok(total <= 5, `at most replicas + maxSurge = 5 pods (step ${i}: ${total})`);
    t.ok(available >= 3, `at least replicas - maxUnavailable = 3 available (step ${i}: ${available})`);
    sizes.push(rss.map((rs) => rs.spec?.replicas ?? 0));
    await settle(ctx);
    if (ctx.client.calls.length === before) break;
  }
  const { d, rss } = await stored(ctx);
  const newRS = rss.find((rs) => revision(rs) === '2');
  const oldRS = rss.find((rs) => revision(rs) === '1');
  t.equal(newRS?.spec?.replicas, 4);
  t.equal(oldRS?.spec?.replicas, 0);
  t.equal(revision(d), '2');
  t.match(d.status, { replicas: 4, updatedReplicas: 4, availableReplicas: 4 });
  t.ok(sizes.length > 2, 'the rollout took several steps');
});

t.test('a rolling update waits for new pods to become available before removing more old ones', async (t) => {
  const { ctx, dc } = setup(deployment('web', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
  await rollOut(ctx, dc);
  await setImage(ctx, 'nginx:2');
  await step(ctx, dc);
  // New pods never become available: the old ReplicaSet must keep all four.
  for (let i = 0; i < 5; i++) {
    await settle(ctx, (rs) => (revision(rs) === '2' ? 0 : (rs.spec?.replicas ?? 0)));
    await step(ctx, dc);
  }
  const rss = await ctx.stored<ReplicaSet>(RS);
  t.equal(rss.find((rs) => revision(rs) === '1')?.spec?.replicas, 4);
  t.equal(rss.find((rs) => revision(rs) === '2')?.spec?.replicas, 1);
});

t.test('Recreate scales the old ReplicaSet to 0 and creates the new one only once its pods are gone', async (t) => {
  const { ctx, dc } = setup(deployment('web', 3, { strategy: { type: 'Recreate' } }));
  await rollOut(ctx, dc);
  const [oldRS] = await ctx.stored<ReplicaSet>(RS);
  await setImage(ctx, 'nginx:2');
  await step(ctx, dc);
  let rss = await ctx.stored<ReplicaSet>(RS);
  t.equal(rss.length, 1, 'no new ReplicaSet while the old one is scaling down');
  t.equal(rss[0]?.spec?.replicas, 0);
  // The old ReplicaSet reports no pods, but one is still running.
  await settle(ctx);
  const labels = oldRS?.spec?.template?.metadata?.labels ?? {};
  ctx.seed(Resources.pods, pod('old-pod', labels, { owner: ownerRef('ReplicaSet', oldRS?.metadata.name ?? '', oldRS?.metadata.uid), phase: 'Running' }));
  await step(ctx, dc);
  t.equal((await ctx.stored<ReplicaSet>(RS)).length, 1, 'a running old pod holds the new ReplicaSet back');
  ctx.informers.fake(Resources.pods).delete(pod('old-pod', labels));
  await ctx.client.delete(Resources.pods, 'old-pod', { namespace: NS });
  t.equal(await dc.queue.get(), KEY, 'the last old pod going wakes the Deployment');
  dc.queue.done(KEY);
  await step(ctx, dc);
  rss = await ctx.stored<ReplicaSet>(RS);
  t.equal(rss.length, 2);
  t.equal(rss.find((rs) => revision(rs) === '2')?.spec?.replicas, 3);
});

t.test('rolling back to the first template reuses its ReplicaSet and gives it the next revision', async (t) => {
  const { ctx, dc } = setup(deployment('web', 2));
  await rollOut(ctx, dc);
  const first = (await ctx.stored<ReplicaSet>(RS))[0];
  await setImage(ctx, 'nginx:2');
  await rollOut(ctx, dc);
  t.equal((await ctx.stored<ReplicaSet>(RS)).length, 2);
  // kubectl rollout undo: the Deployment's template becomes revision 1's again.
  await setImage(ctx, 'nginx:1');
  await rollOut(ctx, dc);
  const { d, rss } = await stored(ctx);
  t.equal(rss.length, 2, 'no new ReplicaSet: the old one is reused');
  const reused = rss.find((rs) => rs.metadata.uid === first?.metadata.uid);
  t.equal(revision(reused ?? { metadata: {} }), '3');
  t.equal(reused?.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
  t.equal(reused?.spec?.replicas, 2);
  t.equal(revision(d), '3');
  t.equal(rss.find((rs) => rs.metadata.uid !== first?.metadata.uid)?.spec?.replicas, 0);
});

t.test('old ReplicaSets beyond revisionHistoryLimit are deleted, lowest revision first', async (t) => {
  const { ctx, dc } = setup(deployment('web', 1, { revisionHistoryLimit: 1 }));
  await rollOut(ctx, dc);
  for (const image of ['nginx:2', 'nginx:3', 'nginx:4']) {
    await setImage(ctx, image);
    await rollOut(ctx, dc);
  }
  const rss = await ctx.stored<ReplicaSet>(RS);
  t.same(rss.map((rs) => revision(rs)).sort(), ['3', '4'], 'the current revision and one old one remain');
  t.equal(ctx.client.callsOf('delete', 'replicasets').length, 2);
});

t.test('a paused Deployment does not roll out a new template but still scales', async (t) => {
  const { ctx, dc } = setup(deployment('web', 2));
  await rollOut(ctx, dc);
  await ctx.change<Deployment>(DEP, 'web', NS, (d) => {
    if (d.spec) d.spec.paused = true;
  });
  await ctx.reflect();
  await setImage(ctx, 'nginx:2');
  await step(ctx, dc);
  let { d, rss } = await stored(ctx);
  t.equal(rss.length, 1, 'no ReplicaSet for the new template while paused');
  t.match(progressing(d), { status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
  await ctx.change<Deployment>(DEP, 'web', NS, (x) => {
    if (x.spec) x.spec.replicas = 5;
  });
  await ctx.reflect();
  await step(ctx, dc);
  ({ d, rss } = await stored(ctx));
  t.equal(rss[0]?.spec?.replicas, 5, 'scaling still works');
  await ctx.change<Deployment>(DEP, 'web', NS, (x) => {
    if (x.spec) x.spec.paused = false;
  });
  await ctx.reflect();
  await step(ctx, dc);
  ({ d, rss } = await stored(ctx));
  t.equal(rss.length, 2, 'resumed: the rollout starts');
  t.equal(progressing(d)?.reason, 'NewReplicaSetCreated');
  t.ok(
    ctx.client.callsOf('updateStatus', 'deployments').some((c) => progressing(c.body as Deployment)?.reason === 'DeploymentResumed'),
    'the Progressing condition said DeploymentResumed on the way',
  );
});

t.test('scaling mid-rollout shares the new replicas among the ReplicaSets in proportion', async (t) => {
  const { ctx, dc } = setup(deployment('web', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
  await rollOut(ctx, dc);
  await setImage(ctx, 'nginx:2');
  await step(ctx, dc);
  await settle(ctx, (rs) => (revision(rs) === '2' ? 0 : (rs.spec?.replicas ?? 0)));
  await ctx.change<Deployment>(DEP, 'web', NS, (d) => {
    if (d.spec) d.spec.replicas = 8;
  });
  await ctx.reflect();
  await step(ctx, dc);
  const rss = await ctx.stored<ReplicaSet>(RS);
  const oldRS = rss.find((rs) => revision(rs) === '1');
  const newRS = rss.find((rs) => revision(rs) === '2');
  // 8 + maxSurge 1 = 9 pods at most, shared 4:1 as before (7.2 and 1.8, rounded).
  t.equal(oldRS?.spec?.replicas, 7);
  t.equal(newRS?.spec?.replicas, 2);
  for (const rs of [oldRS, newRS])
    t.match(rs?.metadata.annotations, { 'deployment.kubernetes.io/desired-replicas': '8', 'deployment.kubernetes.io/max-replicas': '9' });
});

t.test('Progressing says FoundNewReplicaSet, then ReplicaSetUpdated, then ProgressDeadlineExceeded when stuck', async (t) => {
  const { ctx, dc } = setup(deployment('web', 2, { progressDeadlineSeconds: 60 }));
  await rollOut(ctx, dc);
  // Forget the condition, as if the controller met an existing ReplicaSet for the first time.
  await ctx.change<Deployment>(DEP, 'web', NS, (d) => {
    if (d.status) d.status.conditions = [];
  });
  await ctx.reflect();
  await step(ctx, dc);
  const found = ctx.client.callsOf('updateStatus', 'deployments').map((c) => progressing(c.body as Deployment));
  t.match(found.at(-2), { status: 'True', reason: 'FoundNewReplicaSet', message: /^Found new replica set "web-[a-z0-9]+"$/ });
  t.equal(found.at(-1)?.reason, 'NewReplicaSetAvailable', 'and, the rollout being complete, NewReplicaSetAvailable');
  await setImage(ctx, 'nginx:2');
  await step(ctx, dc);
  await settle(ctx, (rs) => (revision(rs) === '2' ? 0 : (rs.spec?.replicas ?? 0)));
  await step(ctx, dc);
  const d1 = (await stored(ctx)).d;
  t.equal(progressing(d1)?.reason, 'ReplicaSetUpdated');
  t.match(progressing(d1)?.message, /^ReplicaSet "web-[a-z0-9]+" is progressing\.$/);
  ctx.clock.advance(61_000);
  await step(ctx, dc);
  const d2 = (await stored(ctx)).d;
  t.match(progressing(d2), { status: 'False', reason: 'ProgressDeadlineExceeded' });
  t.match(progressing(d2)?.message, /has timed out progressing\.$/);
});

t.test('a stuck rollout is looked at again when its deadline passes', async (t) => {
  const { ctx, dc } = setup(deployment('web', 1, { progressDeadlineSeconds: 60 }));
  await step(ctx, dc);
  await settle(ctx, () => 0);
  await step(ctx, dc);
  while (dc.queue.len() > 0) {
    const k = await dc.queue.get();
    if (k) dc.queue.done(k);
  }
  // No progress to report: the sync changes nothing but schedules a look at the deadline.
  await step(ctx, dc);
  t.equal(dc.queue.len(), 0);
  ctx.clock.advance(60_000);
  t.equal(dc.queue.len(), 1, 'requeued when the deadline is due');
});

t.test('a Deployment adopts a matching orphan ReplicaSet and releases one that no longer matches', async (t) => {
  const { ctx, dc } = setup(deployment('web', 1));
  const orphan: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'stray', namespace: NS, uid: 'uid-stray', labels: { app: 'web' } },
    spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } } } },
  };
  const mislabelled: ReplicaSet = {
    ...structuredClone(orphan),
    metadata: { name: 'moved', namespace: NS, uid: 'uid-moved', labels: { app: 'other' }, ownerReferences: [ownerRef('Deployment', 'web')] },
  };
  ctx.seed(RS, orphan);
  ctx.seed(RS, mislabelled);
  await step(ctx, dc);
  const patches = ctx.client.callsOf('patch', 'replicasets');
  t.same(patches.find((p) => p.name === 'stray')?.body, { metadata: { ownerReferences: [ownerRef('Deployment', 'web')], uid: 'uid-stray' } });
  t.same(patches.find((p) => p.name === 'moved')?.body, { metadata: { ownerReferences: [{ $patch: 'delete', uid: 'uid-web' }], uid: 'uid-moved' } });
});

t.test('a Deployment selecting everything is refused with a SelectingAll warning', async (t) => {
  const d = deployment('web', 1);
  if (d.spec) d.spec.selector = {};
  const { ctx, dc } = setup(d);
  await step(ctx, dc);
  t.equal(ctx.client.callsOf('create', 'replicasets').length, 0);
  t.ok(ctx.recorder.events.some((e) => e.reason === 'SelectingAll' && e.type === 'Warning'));
  t.equal((await stored(ctx)).d.status?.observedGeneration, 1);
});

t.test('a sync before the watch delivered its new ReplicaSet reuses it instead of counting a hash collision', async (t) => {
  const { ctx, dc } = setup(deployment('web', 2));
  await dc.sync(KEY);
  // No reflect: the cache has neither the ReplicaSet nor the Deployment's new status.
  await dc.sync(KEY);
  const { d, rss } = await stored(ctx);
  t.equal(rss.length, 1);
  t.equal(d.status?.collisionCount, undefined);
});

t.test('a ReplicaSet of another template under the hashed name counts a collision, and the next hash differs', async (t) => {
  const d = deployment('web', 1);
  const { ctx, dc } = setup(d);
  const hash = computeHash(d.spec?.template);
  ctx.seed(RS, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: `web-${hash}`, namespace: NS, uid: 'uid-squatter', labels: { other: 'x' } },
    spec: { replicas: 0, selector: { matchLabels: { other: 'x' } }, template: { metadata: { labels: { other: 'x' } } } },
  });
  await t.rejects(dc.sync(KEY), /already exists/);
  t.equal((await stored(ctx)).d.status?.collisionCount, 1);
  await ctx.reflect();
  await step(ctx, dc);
  const mine = (await ctx.stored<ReplicaSet>(RS)).filter((rs) => rs.metadata.uid !== 'uid-squatter');
  t.equal(mine.length, 1);
  t.equal(mine[0]?.metadata.name, `web-${computeHash(d.spec?.template, 1)}`);
});
