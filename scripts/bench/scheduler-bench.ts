/**
 * The scheduler benchmark on the full stack: 3 store replicas, the apiserver, the scheduler and
 * one node-agent process hosting N simulated nodes, each a real process on loopback. Creates P
 * pods through the apiserver with C concurrent creators and reports pods bound per second (first
 * create to last bind, as the scheduler sees the work arrive), create-to-bound latency, the time
 * until every pod is Running, and every process's peak memory.
 *
 *   npm run bench:scheduler -- [--nodes 1000] [--pods 10000] [--creators 64] [--keep-dir] [--cpu-prof scheduler,nodes,apiserver]
 *
 * Besides wall-clock rates it reports the CPU seconds each process spent from the first create
 * to the last bind: on a shared machine that figure moves far less than the rates do.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ListWatchInformer } from '../../kube/cache/informer.js';
import { RestClient } from '../../kube/client/rest-client.js';
import { Resources } from '../../kube/client/resource.js';
import type { KubeObject } from '../../kube/object.js';
import { ApiserverCluster } from './apiserver-cluster.js';
import { KeepAliveClient } from './http-load.js';
import { cpuSeconds, PeakMemory, startBenchComponent, stopComponentGracefully, waitForReadyNodes } from './bench-components.js';
import { ProcessRegistry } from './processes.js';
import { quantile } from './workload.js';

const HELP = `npm run bench:scheduler -- [options]

  --nodes N      simulated nodes, all in one node-agent process (default 1000)
  --pods N       pods to create and schedule (default 10000)
  --creators N   concurrent closed-loop creators (default 64)
  --keep-dir     keep the run folder (data, logs) and print its path
  --cpu-prof L   run these components under node --cpu-prof (comma list of scheduler, nodes,
                 apiserver); the profiles land in the run folder (implies --keep-dir)
`;

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      nodes: { type: 'string', default: '1000' },
      pods: { type: 'string', default: '10000' },
      creators: { type: 'string', default: '64' },
      'keep-dir': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string', default: '' },
      help: { type: 'boolean', default: false },
    },
  });
  if (v.help) {
    process.stdout.write(HELP);
    return;
  }
  const nodes = Number(v.nodes);
  const podCount = Number(v.pods);
  const creators = Number(v.creators);
  const profiled = new Set(v['cpu-prof'].split(',').filter((c) => c !== ''));
  const keepDir = v['keep-dir'] || profiled.size > 0;
  const processes = new ProcessRegistry();
  const cluster = new ApiserverCluster(processes, { keepDir, cpuProfile: profiled.has('apiserver') });
  log(`bench:scheduler: ${nodes} simulated nodes, ${podCount} pods, ${creators} creators`);
  log(
    `machine: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${loadavg()[0]?.toFixed(2)}`,
  );
  await cluster.start();
  const server = cluster.url;
  const startComponent = (name: string, args: string[]): Promise<number> =>
    startBenchComponent(processes, cluster, name, args, { cpuProfile: profiled.has(name) });

  const client = new RestClient({ server });
  let t0 = performance.now();
  const agentPid = await startComponent('nodes', [
    'node',
    '--count',
    String(nodes),
    '--name-prefix',
    'sim-',
    '--cpu',
    '32',
    '--memory',
    '256Gi',
    '--pods',
    '110',
  ]);
  await waitForReadyNodes(client, nodes);
  log(`  ${nodes} nodes registered and Ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const schedulerPid = await startComponent('scheduler', ['scheduler']);

  const memory = new PeakMemory(
    new Map([
      ['scheduler', () => [schedulerPid]],
      [`node agent (${nodes} nodes)`, () => [agentPid]],
      ['apiserver', () => [cluster.apiserverPid]],
      ['store replica (largest)', () => cluster.storePids],
    ]),
  );

  const createdAt = new Map<string, number>();
  const boundAt = new Map<string, number>();
  const runningAt = new Map<string, number>();
  let allBound: () => void = () => {};
  let allRunning: () => void = () => {};
  const boundDone = new Promise<void>((r) => {
    allBound = r;
  });
  const runningDone = new Promise<void>((r) => {
    allRunning = r;
  });
  const cpuPids: [string, () => readonly number[]][] = [
    ['scheduler', () => [schedulerPid]],
    ['node agent', () => [agentPid]],
    ['apiserver', () => [cluster.apiserverPid]],
    ['store replicas (sum)', () => cluster.storePids],
  ];
  const cpuNow = (): number[] => cpuPids.map(([, pids]) => pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0));
  let cpuAtFirstCreate: number[] = [];
  let cpuAtLastBind: number[] = [];
  const observe = (pod: KubeObject): void => {
    const name = pod.metadata.name ?? '';
    const now = performance.now();
    if ((pod.spec as { nodeName?: string } | undefined)?.nodeName && !boundAt.has(name)) {
      boundAt.set(name, now);
      if (boundAt.size === podCount) {
        cpuAtLastBind = cpuNow();
        allBound();
      }
    }
    if ((pod.status as { phase?: string } | undefined)?.phase === 'Running' && !runningAt.has(name)) {
      runningAt.set(name, now);
      if (runningAt.size === podCount) allRunning();
    }
  };
  // An informer, not one bare watch: the apiserver ends a watcher that falls behind (TooSlow),
  // and the informer resumes from the last resourceVersion where a bare watch would go deaf.
  const watch = new ListWatchInformer<KubeObject>({ client, resource: Resources.pods, namespace: 'bench' });
  watch.addHandlers({ onAdd: observe, onUpdate: (_old, pod) => observe(pod) });
  watch.start();
  await watch.waitForSync();

  const http = new KeepAliveClient(server, creators);
  await http.send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  let next = 0;
  let errors = 0;
  t0 = performance.now();
  cpuAtFirstCreate = cpuNow();
  await Promise.all(
    Array.from({ length: creators }, async () => {
      while (next < podCount) {
        const name = `pod-${next++}`;
        createdAt.set(name, performance.now());
        const body = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: 'bench', labels: { app: 'bench' } },
          spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '100Mi' } } }] },
        };
        const answer = await http.send('POST', '/api/v1/namespaces/bench/pods', body);
        if (answer.status !== 201) errors++;
      }
    }),
  );
  const createdMs = performance.now() - t0;
  log(`  ${podCount} pods created in ${(createdMs / 1000).toFixed(1)} s (${((podCount / createdMs) * 1000).toFixed(0)}/s, ${errors} errors)`);
  // Unref'd: a finished run must not linger until the 10-minute guards fire.
  await Promise.race([
    boundDone,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${boundAt.size} of ${podCount} pods bound after 10 minutes`)), 600_000).unref()),
  ]);
  const lastBind = Math.max(...boundAt.values());
  const boundMs = lastBind - t0;
  await Promise.race([runningDone, new Promise((resolve) => setTimeout(resolve, 600_000).unref())]);
  const lastRunning = runningAt.size > 0 ? Math.max(...runningAt.values()) : Number.NaN;
  const peaks = memory.stop();
  await watch.stop();
  http.close();

  const latencies = [...boundAt.entries()].map(([name, at]) => at - (createdAt.get(name) ?? at)).sort((a, b) => a - b);
  log('');
  log('| figure | result |');
  log('| --- | ---: |');
  log(`| pods bound per second (first create → last bind) | ${((podCount / boundMs) * 1000).toFixed(0)} |`);
  log(`| first create → last bind | ${(boundMs / 1000).toFixed(1)} s |`);
  log(
    `| create → bound latency p50 / p99 / max | ${quantile(latencies, 0.5).toFixed(0)} / ${quantile(latencies, 0.99).toFixed(0)} / ${(latencies.at(-1) ?? 0).toFixed(0)} ms |`,
  );
  log(`| create rate (${creators} creators) | ${((podCount / createdMs) * 1000).toFixed(0)} pods/s |`);
  log(`| first create → all ${runningAt.size} Running | ${((lastRunning - t0) / 1000).toFixed(1)} s |`);
  for (const [name, bytes] of peaks) log(`| peak RSS: ${name} | ${(bytes / 1e6).toFixed(0)} MB |`);
  cpuPids.forEach(([name], i) => {
    const seconds = (cpuAtLastBind[i] ?? Number.NaN) - (cpuAtFirstCreate[i] ?? Number.NaN);
    log(`| CPU first create → last bind: ${name} | ${seconds.toFixed(1)} s (${((seconds * 1e6) / podCount).toFixed(0)} µs/pod) |`);
  });
  log(`| load average after | ${loadavg()[0]?.toFixed(2)} |`);
  // Graceful stops first, so that the profiled processes write their profiles.
  if (profiled.has('scheduler')) await stopComponentGracefully(schedulerPid);
  if (profiled.has('nodes')) await stopComponentGracefully(agentPid);
  if (profiled.has('apiserver')) await cluster.stopApiserverGracefully();
  await cluster.stop(keepDir);
  await processes.killAll();
  if (keepDir) log(`run folder kept: ${cluster.directory}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:scheduler: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
