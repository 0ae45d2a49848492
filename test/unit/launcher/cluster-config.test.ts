import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type ClusterConfig, readClusterConfig, resolveClusterConfig, writeClusterConfig } from '../../../scripts/launcher/cluster-config.js';

const token = () => 'tok';

t.test('a new cluster gets 5 replicas on the default ports with --replicas 5, and one of each control plane copy by default', async (t) => {
  const c = resolveClusterConfig(undefined, { replicas: 5 }, token);
  t.same(c.storePorts, [2379, 2389, 2399, 2409, 2419]);
  t.equal(c.apiservers, 1);
  t.equal(c.schedulers, 1);
  t.equal(c.controllerManagers, 1);
  t.same(resolveClusterConfig(undefined, {}, token).storePorts, [2379, 2389, 2399]);
});

t.test('a recorded cluster keeps its replica count; the copies are remembered and may change', async (t) => {
  const recorded = resolveClusterConfig(undefined, { replicas: 5, apiservers: 2, schedulers: 2, controllerManagers: 2 }, token);
  t.throws(() => resolveClusterConfig(recorded, { replicas: 3 }, token), /created with 5 replicas/);
  const again = resolveClusterConfig(recorded, {}, token);
  t.same(again.storePorts, recorded.storePorts);
  t.equal(again.schedulers, 2);
  t.equal(again.controllerManagers, 2);
  t.equal(again.apiservers, 2);
  t.equal(resolveClusterConfig(recorded, { schedulers: 3 }, token).schedulers, 3);
});

t.test('several apiservers take the ports above the apiserver port (their front keeps it), and a clash with them is refused', async (t) => {
  t.throws(
    () => resolveClusterConfig(undefined, { apiservers: 3, apiserverPort: 2377 }, token),
    /port 2379 is asked for twice: store-1 client port and the apiserver-2 port/,
  );
  t.doesNotThrow(() => resolveClusterConfig(undefined, { apiservers: 3, apiserverPort: 6443 }, token));
});

t.test('cluster.json round-trips the counts, and a file from before them reads as one of each', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picokube-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'cluster.json');
  const config: ClusterConfig = resolveClusterConfig(undefined, { replicas: 5, apiservers: 2, schedulers: 3, controllerManagers: 2 }, token);
  writeClusterConfig(file, config);
  t.same(readClusterConfig(file), config);
  writeFileSync(file, JSON.stringify({ storePorts: [3001, 3011, 3021], apiserverPort: 3031, token: 'x' }));
  t.match(readClusterConfig(file), { apiservers: 1, schedulers: 1, controllerManagers: 1, nodes: 3 });
  writeFileSync(file, JSON.stringify({ storePorts: [3001, 3011, 3021, 3041], apiserverPort: 3031, token: 'x' }));
  t.throws(() => readClusterConfig(file), /3 or 5 ports/);
});
