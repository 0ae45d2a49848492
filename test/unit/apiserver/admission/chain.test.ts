import t from 'tap';
import type { AdmissionPlugin, AdmissionRequest } from '../../../../apiserver/admission/admission-types.js';
import { ADMISSION_ORDER, AdmissionChain, buildAdmissionChain, parsePluginList } from '../../../../apiserver/admission/chain.js';
import { ApiError } from '../../../../apiserver/status.js';
import { startApiserver } from '../../../helpers/apiserver-harness.js';

t.test('the chain has every plugin in kube order by default', async (t) => {
  t.same(buildAdmissionChain().names, ['NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'NodeRestriction', 'ResourceQuota']);
  t.same(ADMISSION_ORDER, buildAdmissionChain().names);
});

t.test('disabled plugins leave the chain and enabling keeps kube order whatever the flag order', async (t) => {
  t.same(buildAdmissionChain(['ResourceQuota', 'NamespaceLifecycle'], ['LimitRanger', 'ServiceAccount']).names, [
    'NamespaceLifecycle',
    'NodeRestriction',
    'ResourceQuota',
  ]);
  t.throws(() => buildAdmissionChain(['AlwaysPullImages']), /admission plugin "AlwaysPullImages" is unknown/);
  t.same(parsePluginList(' A, B ,,C'), ['A', 'B', 'C']);
});

t.test('all mutating admits run before any validate, each phase in order', async (t) => {
  const calls: string[] = [];
  const plugin = (name: string): AdmissionPlugin => ({
    name,
    admit: async () => void calls.push(`admit ${name}`),
    validate: async () => void calls.push(`validate ${name}`),
  });
  const chain = new AdmissionChain([plugin('a'), plugin('b')]);
  const req = {} as AdmissionRequest;
  await chain.admit(req);
  await chain.validate(req);
  t.same(calls, ['admit a', 'admit b', 'validate a', 'validate b']);
});

t.test('a validating plugin sees the object after defaulting and its refusal stops the write', async (t) => {
  const seen: unknown[] = [];
  const refuser: AdmissionPlugin = {
    name: 'Refuser',
    async validate(req) {
      seen.push(structuredClone(req.object?.spec));
      if (req.operation === 'CREATE') throw new ApiError(403, 'Forbidden', 'no');
    },
  };
  const { request } = await startApiserver(t, { admission: new AdmissionChain([refuser]) });
  const res = await request('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  t.equal(res.status, 403);
  t.equal((seen[0] as { restartPolicy?: string }).restartPolicy, 'Always', 'pod defaults were applied before validation');
  t.equal((await request('GET', '/api/v1/namespaces/default/pods/p')).status, 404, 'nothing was stored');
});
