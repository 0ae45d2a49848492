import t from 'tap';
import { CLUSTER_ROLES, ClusterRoleAggregationController, aggregatedRules } from '../../../controllers/clusterrole-aggregation-controller.js';
import type { KubeObject } from '../../../kube/object.js';
import { FakeContext } from './fake-context.js';

const role = (name: string, labels: Record<string, string>, rules: unknown[], aggregateLabel?: string): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name, labels },
  rules,
  ...(aggregateLabel ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [aggregateLabel]: 'true' } }] } } : {}),
});
const VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';
const getPods = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
const listCrds = { verbs: ['list'], apiGroups: ['example.com'], resources: ['widgets'] };

t.test('an aggregated role holds the union of the rules of the roles its selectors match, once each', async (t) => {
  const all = [
    role('view', {}, [], VIEW),
    role('b-part', { [VIEW]: 'true' }, [listCrds, getPods]),
    role('a-part', { [VIEW]: 'true' }, [getPods]),
    role('unrelated', {}, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]),
  ];
  t.same(aggregatedRules(all[0] as KubeObject, all), [getPods, listCrds]);
  t.equal(aggregatedRules(all[3] as KubeObject, all), undefined, 'a role without aggregationRule is left alone');
});

t.test('the controller writes the aggregated rules when a labelled role appears', async (t) => {
  const ctx = new FakeContext();
  const controller = new ClusterRoleAggregationController(ctx);
  ctx.seed(CLUSTER_ROLES, role('view', {}, [], VIEW));
  await ctx.reflect();
  ctx.seed(CLUSTER_ROLES, role('widgets-view', { [VIEW]: 'true' }, [listCrds]));
  await ctx.reflect();
  await controller.sync('view');
  const [view] = (await ctx.stored<KubeObject>(CLUSTER_ROLES)).filter((r) => r.metadata.name === 'view');
  t.same(view?.rules, [listCrds]);
  await ctx.reflect();
  const before = ctx.client.callsOf('update').length;
  await controller.sync('view');
  t.equal(ctx.client.callsOf('update').length, before, 'nothing to write once converged');
});
