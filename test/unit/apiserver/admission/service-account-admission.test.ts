import t from 'tap';
import type { AdmissionRequest } from '../../../../apiserver/admission/admission-types.js';
import { serviceAccountPlugin } from '../../../../apiserver/admission/service-account-admission.js';
import { UNSECURED_USER } from '../../../../apiserver/auth/user-info.js';
import { ApiError } from '../../../../apiserver/status.js';
import type { KubeObject } from '../../../../kube/object.js';
import { type Harness, startApiserver } from '../../../helpers/apiserver-harness.js';

function podRequest(
  h: Harness,
  spec: Record<string, unknown>,
  extra: Partial<AdmissionRequest> = {},
  annotations: Record<string, string> = {},
): AdmissionRequest {
  const def = h.api.context.registry.byKind('', 'Pod');
  if (!def) throw new Error('no Pod kind');
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', annotations },
    spec: { containers: [{ name: 'c', image: 'i' }], ...spec },
  };
  return {
    operation: 'CREATE',
    def,
    namespace: 'default',
    name: 'web',
    subresource: '',
    object,
    oldObject: undefined,
    user: UNSECURED_USER,
    dryRun: false,
    ctx: h.api.context,
    ...extra,
  };
}

const accounts = (req: AdmissionRequest) => {
  const spec = req.object?.spec as { serviceAccountName?: string; serviceAccount?: string };
  return [spec.serviceAccountName, spec.serviceAccount];
};

t.test('a pod created without a service account gets the default one, in serviceAccountName and its alias', async (t) => {
  const h = await startApiserver(t);
  const req = podRequest(h, {});
  await serviceAccountPlugin.admit?.(req);
  t.same(accounts(req), ['default', 'default']);
});

t.test('a pod naming a ServiceAccount that exists keeps it; one named only in the deprecated alias gets it in the field too', async (t) => {
  const h = await startApiserver(t);
  const created = await h.request('POST', '/api/v1/namespaces/default/serviceaccounts', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'builder' },
  });
  t.equal(created.status, 201);
  const byName = podRequest(h, { serviceAccountName: 'builder' });
  await serviceAccountPlugin.admit?.(byName);
  t.same(accounts(byName), ['builder', 'builder']);
  const byAlias = podRequest(h, { serviceAccount: 'builder' });
  await serviceAccountPlugin.admit?.(byAlias);
  t.same(accounts(byAlias), ['builder', 'builder']);
});

t.test('a pod naming a ServiceAccount that does not exist is refused 403 with kube message', async (t) => {
  const h = await startApiserver(t);
  const req = podRequest(h, { serviceAccountName: 'ghost' });
  const err = await serviceAccountPlugin.admit?.(req).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof ApiError);
  t.equal((err as ApiError).code, 403);
  t.equal((err as ApiError).message, 'pods "web" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found');
});

t.test('the default ServiceAccount is not required to exist yet (a new namespace races the serviceaccount controller)', async (t) => {
  const h = await startApiserver(t);
  const req = podRequest(h, { serviceAccountName: 'default' });
  await t.resolves(serviceAccountPlugin.admit?.(req) ?? Promise.resolve());
});

t.test('updates, subresources, other kinds and mirror pods are left alone', async (t) => {
  const h = await startApiserver(t);
  const update = podRequest(h, { serviceAccountName: 'ghost' }, { operation: 'UPDATE' });
  await serviceAccountPlugin.admit?.(update);
  t.same(accounts(update), ['ghost', undefined]);
  const binding = podRequest(h, {}, { subresource: 'binding' });
  await serviceAccountPlugin.admit?.(binding);
  t.same(accounts(binding), [undefined, undefined]);
  const mirror = podRequest(h, { serviceAccountName: 'ghost' }, {}, { 'kubernetes.io/config.mirror': 'abc' });
  await serviceAccountPlugin.admit?.(mirror);
  t.same(accounts(mirror), ['ghost', undefined]);
  const svcDef = h.api.context.registry.byKind('', 'Service');
  if (!svcDef) throw new Error('no Service kind');
  const other = podRequest(h, {}, { def: svcDef });
  await serviceAccountPlugin.admit?.(other);
  t.same(accounts(other), [undefined, undefined]);
});
