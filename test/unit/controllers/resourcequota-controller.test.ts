import t from 'tap';
import { ResourceQuotaController } from '../../../controllers/resourcequota-controller.js';
import { type ResourceRef, Resources } from '../../../kube/client/resource.js';
import type { KubeObject } from '../../../kube/object.js';
import { FakeContext } from './fake-context.js';

const QUOTAS: ResourceRef = { group: '', version: 'v1', resource: 'resourcequotas', kind: 'ResourceQuota', namespaced: true };

function quota(hard: Record<string, string>, used?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'ns' }, spec: { hard }, ...(used ? { status: { hard, used } } : {}) };
}

function pod(name: string, cpu: string, phase = 'Running'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns' },
    spec: { containers: [{ name: 'c', image: 'i', resources: { requests: { cpu } } }] },
    status: { phase },
  };
}

async function quotaStatus(ctx: FakeContext): Promise<unknown> {
  return (await ctx.client.get(QUOTAS, 'q', 'ns')).status;
}

t.test('a new quota gets status.hard from spec and status.used counted from the caches', async (t) => {
  const ctx = new FakeContext();
  const c = new ResourceQuotaController(ctx);
  ctx.seed(Resources.pods, pod('a', '200m'));
  ctx.seed(Resources.pods, pod('b', '300m'));
  ctx.seed(Resources.pods, pod('done', '1', 'Succeeded'));
  ctx.seed(Resources.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns' } });
  ctx.seed(Resources.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'elsewhere', namespace: 'other' } });
  ctx.seed(QUOTAS, quota({ pods: '10', 'requests.cpu': '2', configmaps: '5', 'count/widgets.example.com': '3' }));
  await c.sync('ns/q');
  t.same(
    await quotaStatus(ctx),
    {
      hard: { configmaps: '5', 'count/widgets.example.com': '3', pods: '10', 'requests.cpu': '2' },
      used: { configmaps: '1', pods: '2', 'requests.cpu': '500m' },
    },
    'finished pods and other namespaces do not count; unwatched kinds are left alone',
  );
});

t.test('a delete releases the slot that admission charged', async (t) => {
  const ctx = new FakeContext();
  const c = new ResourceQuotaController(ctx);
  ctx.seed(Resources.pods, pod('a', '100m'));
  ctx.seed(QUOTAS, quota({ pods: '2' }, { pods: '2' }));
  await c.sync('ns/q');
  t.same(await quotaStatus(ctx), { hard: { pods: '2' }, used: { pods: '1' } });
});

t.test('a quota already right is not written', async (t) => {
  const ctx = new FakeContext();
  const c = new ResourceQuotaController(ctx);
  ctx.seed(Resources.pods, pod('a', '100m'));
  ctx.seed(QUOTAS, quota({ pods: '2' }, { pods: '1' }));
  await c.sync('ns/q');
  t.equal(ctx.client.calls.filter((call) => call.verb === 'updateStatus').length, 0);
});

t.test('deleting a counted object queues its namespace quotas', async (t) => {
  const ctx = new FakeContext();
  const c = new ResourceQuotaController(ctx);
  ctx.seed(QUOTAS, quota({ pods: '2' }, { pods: '1' }));
  const p = ctx.seed(Resources.pods, pod('a', '100m'));
  while (c.queue.len() > 0) c.queue.done((await c.queue.get()) as string);
  ctx.informers.fake(Resources.pods).delete(p);
  t.equal(c.queue.len(), 1);
});
