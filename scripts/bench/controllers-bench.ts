/**
 * The controller-manager benchmark on the full stack: 3 store replicas, the apiserver, the
 * scheduler, the controller-manager and one node-agent process hosting N simulated nodes. Creates
 * one Deployment of R replicas and reports the time until every pod is Running and the
 * Deployment reports them all available, with every process's peak memory.
 *
 *   npm run bench:controllers -- [--nodes 500] [--replicas 5000] [--keep-dir]
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { RestClient } from '../../kube/client/rest-client.js';
import { Resources } from '../../kube/client/resource.js';
import { ApiserverCluster } from './apiserver-cluster.js';
import { PeakMemory, startBenchComponent, waitForReadyNodes } from './bench-components.js';
import { ProcessRegistry, pollUntil } from './processes.js';

const HELP = `npm run bench:controllers -- [options]

  --nodes N      simulated nodes, all in one node-agent process (default 500)
  --replicas N   replicas of the one Deployment (default 5000)
  --keep-dir     keep the run folder (data, logs) and print its path
`;

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      nodes: { type: 'string', default: '500' },
      replicas: { type: 'string', default: '5000' },
      'keep-dir': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (v.help) {
    process.stdout.write(HELP);
    return;
  }
  const nodes = Number(v.nodes);
  const replicas = Number(v.replicas);
  const processes = new ProcessRegistry();
  const cluster = new ApiserverCluster(processes, { keepDir: v['keep-dir'] });
  log(`bench:controllers: a Deployment of ${replicas} replicas on ${nodes} simulated nodes`);
  log(
    `machine: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${loadavg()[0]?.toFixed(2)}`,
  );
  await cluster.start();
  const client = new RestClient({ server: cluster.url });
  const start = (name: string, args: string[]): Promise<number> => startBenchComponent(processes, cluster, name, args);
  const agentPid = await start('nodes', ['node', '--count', String(nodes), '--name-prefix', 'sim-', '--cpu', '32', '--memory', '256Gi', '--pods', '110']);
  await waitForReadyNodes(client, nodes);
  const [schedulerPid, cmPid] = await Promise.all([start('scheduler', ['scheduler']), start('controller-manager', ['controller-manager'])]);
  const memory = new PeakMemory(
    new Map([
      ['controller-manager', () => [cmPid]],
      ['scheduler', () => [schedulerPid]],
      [`node agent (${nodes} nodes)`, () => [agentPid]],
      ['apiserver', () => [cluster.apiserverPid]],
      ['store replica (largest)', () => cluster.storePids],
    ]),
  );

  const running = new Set<string>();
  let lastRunningMs = 0;
  const t0 = performance.now();
  const watch = client.watch(Resources.pods, { namespace: 'default', resourceVersion: '0' }, (e) => {
    if ((e.object.status as { phase?: string } | undefined)?.phase === 'Running' && !running.has(e.object.metadata.name ?? '')) {
      running.add(e.object.metadata.name ?? '');
      lastRunningMs = performance.now();
    }
  });
  await client.create(Resources.deployments, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'big', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'big' } },
      template: {
        metadata: { labels: { app: 'big' } },
        spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '10Mi' } } }] },
      },
    },
  });
  let lastProgress = 0;
  await pollUntil(
    `${replicas} available replicas`,
    async () => {
      const d = await client.get(Resources.deployments, 'big', 'default');
      const available = (d.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0;
      if (running.size - lastProgress >= 1000) {
        lastProgress = running.size;
        log(`  ${running.size} pods Running, ${available} available, after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
      return available >= replicas && running.size >= replicas ? true : undefined;
    },
    1_800_000,
    250,
  );
  const availableMs = performance.now() - t0;
  const peaks = memory.stop();
  watch.stop();
  log('');
  log('| figure | result |');
  log('| --- | ---: |');
  log(`| create → all ${replicas} pods Running | ${(lastRunningMs - t0) / 1000 > 0 ? ((lastRunningMs - t0) / 1000).toFixed(1) : 'n/a'} s |`);
  log(`| create → Deployment reports ${replicas} available | ${(availableMs / 1000).toFixed(1)} s |`);
  log(`| pods Running per second | ${(replicas / ((lastRunningMs - t0) / 1000)).toFixed(0)} |`);
  for (const [name, bytes] of peaks) log(`| peak RSS: ${name} | ${(bytes / 1e6).toFixed(0)} MB |`);
  log(`| load average after | ${loadavg()[0]?.toFixed(2)} |`);
  await cluster.stop(v['keep-dir']);
  await processes.killAll();
  if (v['keep-dir']) log(`run folder kept: ${cluster.directory}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:controllers: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
