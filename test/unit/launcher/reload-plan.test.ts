import t from 'tap';
import type { ClusterConfig } from '../../../scripts/launcher/cluster-config.js';
import { resolveClusterConfig } from '../../../scripts/launcher/cluster-config.js';
import { clusterComponents, componentPortCount, splitComponentPorts } from '../../../scripts/launcher/components.js';
import { clusterLayout } from '../../../scripts/launcher/layout.js';
import { planReload } from '../../../scripts/launcher/reload-plan.js';

const layout = clusterLayout('/tmp/picokube-reload');
const config = resolveClusterConfig(undefined, { nodes: 1 }, () => 'tok');
const ports = splitComponentPorts(
  config,
  Array.from({ length: componentPortCount(config) }, (_, i) => 41000 + i),
);
const tableOf = (c: ClusterConfig) => clusterComponents({ config: c, layout, logLevel: 'info', componentPorts: ports });

t.test('replacing store-2 by store-4: store-2 goes, store-4 comes with --join, the other replicas restart with the new peers', async (t) => {
  const before = tableOf(config);
  const after = tableOf({ ...config, storeIds: [1, 4, 3] });
  const plan = planReload(before, after);
  t.same(plan.remove, ['store-2']);
  t.same(
    plan.add.map((s) => s.name),
    ['store-4'],
  );
  t.ok(plan.add[0]?.args.includes('--join'), 'a member added after the founding never bootstraps a cluster of its own');
  t.same(
    plan.restart.map((s) => s.name),
    ['store-1', 'store-3'],
    'only the replicas whose --peers changed; the apiserver dials the same slots',
  );
  const peers = plan.restart[0]?.args[plan.restart[0].args.indexOf('--peers') + 1] ?? '';
  t.match(peers, /(^|,)4=/, 'the new peer list names store-4');
  t.notMatch(peers, /(^|,)2=/, 'and no longer store-2');
});

t.test('the founding replicas never get --join, and an unchanged table plans nothing', async (t) => {
  const table = tableOf(config);
  t.notOk(
    table.some((s) => s.args.includes('--join')),
    'store-1..3 bootstrap a new cluster',
  );
  t.same(planReload(table, tableOf(config)), { remove: [], add: [], restart: [] });
});
