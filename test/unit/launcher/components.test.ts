import t from 'tap';
import { assignProxyPorts, proxyPortCount } from '../../../scripts/drill/link-table.js';
import { resolveClusterConfig } from '../../../scripts/launcher/cluster-config.js';
import { clusterComponents, componentPortCount, splitComponentPorts } from '../../../scripts/launcher/components.js';
import { clusterLayout } from '../../../scripts/launcher/layout.js';

const layout = clusterLayout('/tmp/picokube-components');

function table(options: Parameters<typeof resolveClusterConfig>[1]) {
  const resolved = resolveClusterConfig(undefined, options, () => 'tok');
  // As `up` does: the fault proxy's ports, chosen once (here from 50000 up).
  const replicas = resolved.storePorts.length;
  const config = {
    ...resolved,
    faultProxy: assignProxyPorts(
      replicas,
      Array.from({ length: proxyPortCount(replicas) }, (_, i) => 50000 + i),
    ),
  };
  const ports = Array.from({ length: componentPortCount(config) }, (_, i) => 40000 + i);
  return { config, components: clusterComponents({ config, layout, logLevel: 'info', componentPorts: splitComponentPorts(config, ports) }) };
}

const flag = (args: readonly string[], name: string): string | undefined => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};

t.test('5 replicas, 2 apiservers and standbys get the names the drills look for, in start order', async (t) => {
  const { components } = table({ replicas: 5, apiservers: 2, schedulers: 2, controllerManagers: 2, nodes: 1 });
  t.same(
    components.map((c) => `${c.phase} ${c.name}`),
    [
      '0 fault-proxy',
      '1 store-1',
      '1 store-2',
      '1 store-3',
      '1 store-4',
      '1 store-5',
      '2 apiserver',
      '2 apiserver-2',
      '3 scheduler',
      '3 scheduler-2',
      '3 controller-manager',
      '3 controller-manager-2',
      '3 node-1',
    ],
  );
});

t.test('every replica knows all five peers, and the apiservers reach all five', async (t) => {
  const { components } = table({ replicas: 5, apiservers: 2 });
  const store3 = components.find((c) => c.name === 'store-3');
  t.equal(flag(store3?.args ?? [], '--peers')?.split(',').length, 5);
  t.equal(flag(store3?.args ?? [], '--client-port'), '2399');
  for (const name of ['apiserver', 'apiserver-2'])
    t.equal(flag(components.find((c) => c.name === name)?.args ?? [], '--store')?.split(',').length, 5, `${name} --store`);
});

t.test('one apiserver listens on the apiserver port itself, with no front', async (t) => {
  const { components } = table({ apiserverPort: 7000 });
  t.equal(flag(components.find((c) => c.name === 'apiserver')?.args ?? [], '--port'), '7000');
  t.equal(flag(components.find((c) => c.name === 'fault-proxy')?.args ?? [], '--front'), undefined);
});

t.test('several apiservers listen above the apiserver port, behind the front the fault proxy keeps on it', async (t) => {
  const { components } = table({ apiservers: 3, apiserverPort: 7000 });
  const apis = components.filter((c) => c.name.startsWith('apiserver'));
  t.same(
    apis.map((c) => [c.name, flag(c.args, '--port'), c.readyUrl]),
    [
      ['apiserver', '7001', 'https://127.0.0.1:7001/readyz'],
      ['apiserver-2', '7002', 'https://127.0.0.1:7002/readyz'],
      ['apiserver-3', '7003', 'https://127.0.0.1:7003/readyz'],
    ],
  );
  t.same(
    apis.flatMap((c) => c.ports.map((p) => p.purpose)),
    ["apiserver's own port", "apiserver-2's own port", "apiserver-3's own port"],
  );
  const proxy = components.find((c) => c.name === 'fault-proxy');
  t.equal(flag(proxy?.args ?? [], '--front'), '7000=127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003');
  t.ok(
    proxy?.ports.some((p) => p.port === 7000 && /front of 3 apiservers/.test(p.purpose)),
    'the proxy claims the apiserver port for the front',
  );
});

t.test('standbys share their role’s kubeconfig, and each copy has its own health port', async (t) => {
  const { components } = table({ schedulers: 2, controllerManagers: 2, nodes: 2 });
  const byName = new Map(components.map((c) => [c.name, c]));
  const kubeconfig = (name: string): string | undefined => flag(byName.get(name)?.args ?? [], '--kubeconfig');
  t.equal(kubeconfig('scheduler-2'), kubeconfig('scheduler'));
  t.match(kubeconfig('scheduler'), /kubeconfigs\/scheduler\.kubeconfig$/);
  t.equal(kubeconfig('controller-manager-2'), kubeconfig('controller-manager'));
  t.match(kubeconfig('node-2'), /kubeconfigs\/node-2\.kubeconfig$/);
  const ports = components.filter((c) => c.phase === 3).map((c) => flag(c.args, '--port'));
  t.equal(new Set(ports).size, ports.length, 'no two components share a port');
  t.equal(ports.length, 6);
});

t.test('the controller-managers run with a 20 s node grace period and volumes under DIR/volumes', async (t) => {
  const { components } = table({ controllerManagers: 2 });
  for (const c of components.filter((x) => x.name.startsWith('controller-manager'))) {
    t.equal(flag(c.args, '--node-monitor-grace-period'), '20s', c.name);
    t.equal(flag(c.args, '--local-path-dir'), '/tmp/picokube-components/volumes', c.name);
  }
});
