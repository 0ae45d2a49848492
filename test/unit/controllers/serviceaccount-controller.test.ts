import t from 'tap';
import { ServiceAccountController } from '../../../controllers/serviceaccount-controller.js';
import { Resources } from '../../../kube/client/resource.js';
import type { KubeObject } from '../../../kube/object.js';
import { FakeContext } from './fake-context.js';

const namespace = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name },
  status: { phase: 'Active' },
  ...extra,
});

async function drain(ctx: FakeContext, ctl: ServiceAccountController): Promise<string[]> {
  const keys: string[] = [];
  while (ctl.queue.len() > 0) {
    const key = (await ctl.queue.get()) as string;
    keys.push(key);
    await ctl.sync(key);
    ctl.queue.done(key);
  }
  await ctx.reflect();
  return keys;
}

t.test('every Active namespace gets a default ServiceAccount, once', async (t) => {
  const ctx = new FakeContext();
  const ctl = new ServiceAccountController(ctx);
  ctx.seed(Resources.namespaces, namespace('team-a'));
  ctx.seed(Resources.namespaces, namespace('team-b'));
  t.same((await drain(ctx, ctl)).sort(), ['team-a', 'team-b']);
  const sas = await ctx.stored(Resources.serviceaccounts);
  t.same(sas.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).sort(), ['team-a/default', 'team-b/default']);
  await ctl.sync('team-a');
  t.equal(ctx.client.callsOf('create', 'serviceaccounts').length, 2, 'a namespace that has one gets no second');
});

t.test('a deleted default ServiceAccount is made again', async (t) => {
  const ctx = new FakeContext();
  const ctl = new ServiceAccountController(ctx);
  ctx.seed(Resources.namespaces, namespace('team-a'));
  await drain(ctx, ctl);
  await ctx.client.delete(Resources.serviceaccounts, 'default', { namespace: 'team-a' });
  await ctx.reflect();
  t.same(await drain(ctx, ctl), ['team-a'], 'the delete queues its namespace');
  t.equal((await ctx.stored(Resources.serviceaccounts)).length, 1);
  t.equal(ctx.client.callsOf('create', 'serviceaccounts').length, 2);
});

t.test('a Terminating namespace, or one already gone, gets none', async (t) => {
  const ctx = new FakeContext();
  const ctl = new ServiceAccountController(ctx);
  ctx.seed(Resources.namespaces, namespace('leaving', { status: { phase: 'Terminating' } }));
  ctx.seed(Resources.namespaces, namespace('deleting', { metadata: { name: 'deleting', deletionTimestamp: '2026-01-01T00:00:00Z' } }));
  await drain(ctx, ctl);
  await ctl.sync('never-existed');
  t.same(ctx.client.callsOf('create'), []);
});

t.test('a ServiceAccount that already exists in the apiserver (cache behind) is not an error', async (t) => {
  const ctx = new FakeContext();
  const ctl = new ServiceAccountController(ctx);
  ctx.seed(Resources.namespaces, namespace('team-a'));
  ctx.client.seed(Resources.serviceaccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'team-a' } });
  await t.resolves(ctl.sync('team-a'));
  t.equal((await ctx.stored(Resources.serviceaccounts)).length, 1);
});
