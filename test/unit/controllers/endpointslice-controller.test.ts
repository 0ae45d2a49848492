import t from 'tap';
import { EndpointSliceController, EndpointSlices } from '../../../controllers/endpointslice-controller.js';
import { desiredGroups, planSlices } from '../../../controllers/endpointslice-plan.js';
import { serviceView } from '../../../controllers/endpoint-ports.js';
import { Resources } from '../../../kube/client/resource.js';
import type { KubeObject } from '../../../kube/object.js';
import { pod, svc } from './service-fixtures.js';
import { FakeContext } from './fake-context.js';

type Slice = KubeObject & { endpoints: { addresses: string[]; conditions: Record<string, boolean> }[]; ports: unknown[] };

async function slices(ctx: FakeContext): Promise<Slice[]> {
  return ctx.stored<Slice>(EndpointSlices);
}

t.test('a Service gets an owned, labelled IPv4 slice with an endpoint and conditions per selected pod', async (t) => {
  const ctx = new FakeContext();
  const ctl = new EndpointSliceController(ctx);
  ctx.seed(Resources.services, svc({}, { tier: 'front' }));
  ctx.seed(Resources.pods, pod('a', '10.244.1.2', true));
  ctx.seed(Resources.pods, pod('b', '10.244.1.3', false));
  ctx.seed(Resources.pods, pod('c', '10.244.1.4', true, { deleting: true }));
  ctx.seed(Resources.pods, pod('x', '10.244.1.5', true, { labels: { app: 'other' } }));
  await ctl.sync('default/web');
  const [slice, more] = await slices(ctx);
  t.equal(more, undefined, 'one slice');
  t.match(slice?.metadata, {
    generateName: 'web-',
    labels: { tier: 'front', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true }],
  });
  t.equal(slice?.addressType, 'IPv4');
  t.same(slice?.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  t.same(
    slice?.endpoints.map((e) => [e.addresses[0], e.conditions]),
    [
      ['10.244.1.2', { ready: true, serving: true, terminating: false }],
      ['10.244.1.3', { ready: false, serving: false, terminating: false }],
      ['10.244.1.4', { ready: false, serving: true, terminating: true }],
    ],
  );
  t.match(slice?.endpoints[0], { nodeName: 'node-1', targetRef: { kind: 'Pod', name: 'a', uid: 'uid-a' } });
  await ctx.reflect();
  await ctl.sync('default/web');
  t.equal(ctx.client.callsOf('update').length + ctx.client.callsOf('create').length, 1, 'converged: no more writes');
});

t.test('slices hold at most 100 endpoints, and a change rewrites only the slice holding it', async (t) => {
  const ctx = new FakeContext();
  const ctl = new EndpointSliceController(ctx);
  ctx.seed(Resources.services, svc());
  for (let i = 0; i < 150; i++) ctx.seed(Resources.pods, pod(`p${i}`, `10.244.${Math.floor(i / 200)}.${(i % 200) + 2}`, true));
  await ctl.sync('default/web');
  const made = await slices(ctx);
  t.same(made.map((s) => s.endpoints.length).sort(), [100, 50]);
  await ctx.reflect();
  const writesBefore = ctx.client.calls.length;
  await ctx.change<KubeObject>(Resources.pods, 'p0', 'default', (p) => Object.assign(p, pod('p0', '10.244.0.2', false)));
  await ctx.reflect();
  await ctl.sync('default/web');
  const writes = ctx.client.calls.slice(writesBefore);
  t.same(
    writes.map((c) => c.verb),
    ['update'],
    'one slice rewritten',
  );
  const all = (await slices(ctx)).flatMap((s) => s.endpoints);
  t.equal(all.length, 150);
  t.same(all.find((e) => e.addresses[0] === '10.244.0.2')?.conditions.ready, false);
});

t.test('a Service with no pods keeps one empty placeholder slice; a deleted Service loses its slices', async (t) => {
  const ctx = new FakeContext();
  const ctl = new EndpointSliceController(ctx);
  ctx.seed(Resources.services, svc());
  ctx.seed(Resources.pods, pod('a', '10.244.1.2', true));
  await ctl.sync('default/web');
  await ctx.reflect();
  await ctx.client.delete(Resources.pods, 'a', { namespace: 'default' });
  await ctx.reflect();
  await ctl.sync('default/web');
  const [placeholder, more] = await slices(ctx);
  t.equal(more, undefined);
  t.same(placeholder?.endpoints, []);
  t.same(placeholder?.ports, []);
  await ctx.client.delete(Resources.services, 'web', { namespace: 'default' });
  await ctx.reflect();
  await ctl.sync('default/web');
  t.same(await slices(ctx), []);
});

t.test('the plan keeps endpoints where they are and fills existing room before making slices', async (t) => {
  const view = serviceView(svc());
  const pods = [pod('a', '10.0.0.1', true), pod('b', '10.0.0.2', true), pod('c', '10.0.0.3', true)];
  const first = planSlices([], desiredGroups(view, 'web', pods.slice(0, 2)), 2);
  t.equal(first.create.length, 1);
  const existing: KubeObject = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 's1' },
    endpoints: first.create[0]?.endpoints,
    ports: first.create[0]?.ports,
  };
  const grown = planSlices([existing], desiredGroups(view, 'web', pods), 2);
  t.same(grown.update, [], 'the full slice is untouched');
  t.same(
    grown.create.map((c) => c.endpoints.map((e) => e.addresses[0])),
    [['10.0.0.3']],
  );
  const shrunk = planSlices([existing], desiredGroups(view, 'web', [pods[1] as KubeObject]), 2);
  t.same(
    shrunk.update.map((u) => u.endpoints.map((e) => e.addresses[0])),
    [['10.0.0.2']],
  );
});
