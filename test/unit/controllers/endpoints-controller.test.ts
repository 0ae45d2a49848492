import t from 'tap';
import { EndpointsController } from '../../../controllers/endpoints-controller.js';
import { resolveTargetPort } from '../../../controllers/endpoint-ports.js';
import { Resources } from '../../../kube/client/resource.js';
import type { KubeObject } from '../../../kube/object.js';
import { FakeContext } from './fake-context.js';
import { pod, svc } from './service-fixtures.js';

interface Subset {
  addresses?: { ip: string }[];
  notReadyAddresses?: { ip: string }[];
  ports?: { port: number }[];
}

async function endpointsOf(ctx: FakeContext): Promise<(KubeObject & { subsets?: Subset[] }) | undefined> {
  return (await ctx.stored<KubeObject & { subsets?: Subset[] }>(Resources.endpoints)).find((e) => e.metadata.name === 'web');
}

t.test("a Service's Endpoints list its ready pods under addresses and the others under notReadyAddresses", async (t) => {
  const ctx = new FakeContext();
  const ctl = new EndpointsController(ctx);
  ctx.seed(Resources.services, svc({}, { tier: 'front' }));
  ctx.seed(Resources.pods, pod('b', '10.244.1.10', true, { node: 'node-2' }));
  ctx.seed(Resources.pods, pod('a', '10.244.1.9', true));
  ctx.seed(Resources.pods, pod('c', '10.244.1.11', false));
  ctx.seed(Resources.pods, pod('other', '10.244.1.12', true, { labels: { app: 'db' } }));
  ctx.seed(Resources.pods, pod('no-ip', '', true));
  ctx.seed(Resources.pods, pod('done', '10.244.1.13', false, { phase: 'Succeeded' }));
  ctx.seed(Resources.pods, pod('going', '10.244.1.14', true, { deleting: true }));
  await ctl.sync('default/web');
  const ep = await endpointsOf(ctx);
  t.same(ep?.metadata.labels, { tier: 'front' });
  t.same(ep?.subsets, [
    {
      addresses: [
        { ip: '10.244.1.9', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } },
        { ip: '10.244.1.10', nodeName: 'node-2', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' } },
      ],
      notReadyAddresses: [{ ip: '10.244.1.11', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'c', uid: 'uid-c' } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
  ]);
  t.equal(ctx.client.callsOf('create', 'endpoints').length, 1);
  await ctx.reflect();
  await ctl.sync('default/web');
  t.equal(ctx.client.callsOf('update', 'endpoints').length, 0, 'nothing changed: no write');
});

t.test('pods coming, going and turning not ready are followed', async (t) => {
  const ctx = new FakeContext();
  const ctl = new EndpointsController(ctx);
  ctx.seed(Resources.services, svc());
  ctx.seed(Resources.pods, pod('a', '10.244.1.2', true));
  await ctl.sync('default/web');
  await ctx.reflect();
  ctx.seed(Resources.pods, pod('b', '10.244.1.3', true));
  await ctl.sync('default/web');
  t.same(
    (await endpointsOf(ctx))?.subsets?.[0]?.addresses?.map((a) => a.ip),
    ['10.244.1.2', '10.244.1.3'],
  );
  await ctx.reflect();
  await ctx.change<KubeObject>(Resources.pods, 'a', 'default', (p) => Object.assign(p, pod('a', '10.244.1.2', false)));
  await ctx.reflect();
  await ctl.sync('default/web');
  const ep = await endpointsOf(ctx);
  t.same(
    ep?.subsets?.[0]?.addresses?.map((a) => a.ip),
    ['10.244.1.3'],
  );
  t.same(
    ep?.subsets?.[0]?.notReadyAddresses?.map((a) => a.ip),
    ['10.244.1.2'],
  );
  await ctx.client.delete(Resources.pods, 'b', { namespace: 'default' });
  await ctx.client.delete(Resources.pods, 'a', { namespace: 'default' });
  await ctx.reflect();
  await ctl.sync('default/web');
  t.same((await endpointsOf(ctx))?.subsets, undefined, 'no pods: no subsets');
});

t.test('a pod change enqueues the Services that select it, before and after', async (t) => {
  const ctx = new FakeContext();
  const ctl = new EndpointsController(ctx);
  ctx.seed(Resources.services, svc());
  const q = ctl.queue;
  while (q.len() > 0) {
    const k = await q.get();
    if (k !== undefined) q.done(k);
  }
  ctx.seed(Resources.pods, pod('a', '10.244.1.2', true, { labels: { app: 'other' } }));
  t.equal(q.len(), 0, 'a pod the Service does not select');
  ctx.seed(Resources.pods, pod('a', '10.244.1.2', true));
  t.equal(q.len(), 1, 'now it does');
});

t.test('publishNotReadyAddresses lists not-ready pods as addresses', async (t) => {
  const ctx = new FakeContext();
  const ctl = new EndpointsController(ctx);
  ctx.seed(Resources.services, svc({ publishNotReadyAddresses: true }));
  ctx.seed(Resources.pods, pod('a', '10.244.1.2', false));
  await ctl.sync('default/web');
  const ep = await endpointsOf(ctx);
  t.same(
    ep?.subsets?.[0]?.addresses?.map((a) => a.ip),
    ['10.244.1.2'],
  );
  t.equal(ep?.subsets?.[0]?.notReadyAddresses, undefined);
});

t.test('a named targetPort resolves per pod, and pods exposing different ports get different subsets', async (t) => {
  const ctx = new FakeContext();
  const ctl = new EndpointsController(ctx);
  ctx.seed(Resources.services, svc({ ports: [{ port: 80, protocol: 'TCP', targetPort: 'web' }] }));
  ctx.seed(Resources.pods, pod('a', '10.244.1.2', true, { ports: [{ name: 'web', containerPort: 8080, protocol: 'TCP' }] }));
  ctx.seed(Resources.pods, pod('b', '10.244.1.3', true, { ports: [{ name: 'web', containerPort: 9090 }] }));
  ctx.seed(Resources.pods, pod('c', '10.244.1.4', true, { ports: [{ name: 'other', containerPort: 1 }] }));
  await ctl.sync('default/web');
  const subsets = (await endpointsOf(ctx))?.subsets as { addresses: { ip: string }[]; ports: { port: number }[] }[];
  t.same(
    subsets.map((s) => [s.addresses.map((a) => a.ip), s.ports.map((p) => p.port)]),
    [
      [['10.244.1.2'], [8080]],
      [['10.244.1.3'], [9090]],
    ],
  );
  t.equal(resolveTargetPort(pod('x', '', true), { port: 80 }), 80, 'no targetPort: the port');
  t.equal(resolveTargetPort(pod('x', '', true), { port: 80, targetPort: 'missing' }), undefined);
});

t.test('a Service without a selector keeps its user-written Endpoints; a deleted Service loses its own', async (t) => {
  const ctx = new FakeContext();
  const ctl = new EndpointsController(ctx);
  const manual = svc();
  delete (manual.spec as Record<string, unknown>).selector;
  ctx.seed(Resources.services, manual);
  ctx.seed(Resources.endpoints, {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'default' },
    subsets: [{ addresses: [{ ip: '1.2.3.4' }] }],
  });
  ctx.seed(Resources.pods, pod('a', '10.244.1.2', true));
  await ctl.sync('default/web');
  t.same(ctx.client.calls, [], 'left alone');
  await ctx.client.delete(Resources.services, 'web', { namespace: 'default' });
  await ctx.reflect();
  await ctl.sync('default/web');
  t.same(
    ctx.client.callsOf('delete', 'endpoints').map((c) => c.name),
    ['web'],
  );
});

t.test("a headless Service's Endpoints carry the headless label", async (t) => {
  const ctx = new FakeContext();
  const ctl = new EndpointsController(ctx);
  ctx.seed(Resources.services, svc({ clusterIP: 'None' }));
  await ctl.sync('default/web');
  t.same((await endpointsOf(ctx))?.metadata.labels, { 'service.kubernetes.io/headless': '' });
});
