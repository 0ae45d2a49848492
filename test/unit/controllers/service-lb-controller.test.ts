import t from 'tap';
import { LoadBalancerPool } from '../../../controllers/load-balancer-pool.js';
import { ServiceLbController } from '../../../controllers/service-lb-controller.js';
import { Resources } from '../../../kube/client/resource.js';
import type { KubeObject } from '../../../kube/object.js';
import { FakeContext } from './fake-context.js';
import { svc } from './service-fixtures.js';

function lb(name: string, extra: Record<string, unknown> = {}): KubeObject {
  const s = svc({ type: 'LoadBalancer', ...extra });
  return { ...s, metadata: { ...s.metadata, name, uid: `uid-${name}` } };
}

async function ingressOf(ctx: FakeContext, name: string): Promise<unknown> {
  const s = await ctx.client.get(Resources.services, name, 'default');
  return (s.status as { loadBalancer?: { ingress?: unknown } } | undefined)?.loadBalancer?.ingress;
}

t.test('the pool parses addresses, ranges and CIDRs and picks the lowest free one', async (t) => {
  const pool = LoadBalancerPool.parse('10.0.0.5, 10.0.0.1-10.0.0.2,192.168.1.0/30');
  t.equal(pool.size, 7);
  t.equal(pool.pick(new Set()), '10.0.0.5');
  t.equal(pool.pick(new Set(['10.0.0.5', '10.0.0.1'])), '10.0.0.2');
  t.equal(pool.pick(new Set(), '192.168.1.3'), '192.168.1.3');
  t.equal(pool.pick(new Set(), '8.8.8.8'), undefined, 'outside the pool');
  for (const bad of ['', 'x', '10.0.0.9-10.0.0.1', '10.0.0.1/24']) t.throws(() => LoadBalancerPool.parse(bad), bad);
});

t.test('LoadBalancer Services get distinct pool addresses; a full pool is reported and retried', async (t) => {
  const ctx = new FakeContext();
  const ctl = new ServiceLbController(ctx, { pool: LoadBalancerPool.parse('172.18.255.200-172.18.255.201') });
  for (const n of ['a', 'b', 'c']) ctx.seed(Resources.services, lb(n));
  ctx.seed(Resources.services, { ...svc(), metadata: { name: 'plain', namespace: 'default', uid: 'p' } });
  t.equal(ctl.queue.len(), 3, 'only LoadBalancer Services are queued');
  for (const n of ['a', 'b', 'c']) await ctl.sync(`default/${n}`);
  t.same(await ingressOf(ctx, 'a'), [{ ip: '172.18.255.200', ipMode: 'VIP' }]);
  t.same(await ingressOf(ctx, 'b'), [{ ip: '172.18.255.201', ipMode: 'VIP' }]);
  t.equal(await ingressOf(ctx, 'c'), undefined);
  t.match(
    ctx.recorder.events.find((e) => e.key === 'default/c' && e.type === 'Warning'),
    { reason: 'SyncLoadBalancerFailed' },
  );
  // a leaves the LoadBalancer type: its address goes back and c gets it.
  await ctx.reflect();
  await ctx.change<KubeObject>(Resources.services, 'a', 'default', (s) => Object.assign(s.spec as object, { type: 'ClusterIP' }));
  await ctx.reflect();
  await ctl.sync('default/a');
  t.same(await ingressOf(ctx, 'a'), undefined, 'cleared');
  await ctx.reflect();
  await ctl.sync('default/c');
  t.same(await ingressOf(ctx, 'c'), [{ ip: '172.18.255.200', ipMode: 'VIP' }]);
});

t.test('a requested loadBalancerIP is honoured when free, and a deleted Service frees its address', async (t) => {
  const ctx = new FakeContext();
  const ctl = new ServiceLbController(ctx, { pool: LoadBalancerPool.parse('10.1.0.1-10.1.0.3') });
  ctx.seed(Resources.services, lb('want', { loadBalancerIP: '10.1.0.3' }));
  ctx.seed(Resources.services, lb('class', { loadBalancerClass: 'example.com/other' }));
  await ctl.sync('default/want');
  await ctl.sync('default/class');
  t.same(await ingressOf(ctx, 'want'), [{ ip: '10.1.0.3', ipMode: 'VIP' }]);
  t.equal(await ingressOf(ctx, 'class'), undefined, "another implementation's");
  await ctx.client.delete(Resources.services, 'want', { namespace: 'default' });
  await ctx.reflect();
  await ctl.sync('default/want');
  ctx.seed(Resources.services, lb('next', { loadBalancerIP: '10.1.0.3' }));
  await ctl.sync('default/next');
  t.same(await ingressOf(ctx, 'next'), [{ ip: '10.1.0.3', ipMode: 'VIP' }]);
});
