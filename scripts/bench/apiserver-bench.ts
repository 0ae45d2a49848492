/**
 * The apiserver benchmark on the full stack: 3 store replicas and 1 apiserver as real processes
 * on loopback, driven over keep-alive HTTP (no kubectl). Prints single-object call throughput
 * and latency at several client counts, LIST of 10,000 pods three ways, watch fan-out to 1,000
 * watchers, and memory idle, at 10,000 pods and at 100,000 — as tables, then as JSON.
 *
 *   npm run bench:apiserver -- [--quick] [--pods N] [--ops N] [--watchers N] [--updates N] ...
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ApiserverCluster, metricValue, rssBytes } from './apiserver-cluster.js';
import { type ApiserverBenchReport, crudTable, fanoutTable, fillTable, type ListAtSize, listTable, type MemoryPoint, memoryTable } from './apiserver-report.js';
import { createNamespace, type FanoutResult, fillPods, runCrud, runFanout, runLists } from './apiserver-workloads.js';
import { type CpuPids, KeepAliveClient } from './http-load.js';
import { ProcessRegistry, sleep } from './processes.js';

const HELP = `npm run bench:apiserver -- [options]

  --quick              a fast run: 20,000 pods stored at the end, 500 ops per point, 3 LIST runs, 50 watch updates
  --pods N             pods stored at the end, for the last memory figure (default 100000; quick 20000)
  --list-pods N        pods in the LISTed namespace (default 10000)
  --ops N              operations per create/get/update point (default 3000; quick 500); a point also ends after --point-seconds
  --point-seconds S    longest run of one point (default 10)
  --clients LIST       closed-loop clients per point (default 1,16,128)
  --list-runs N        LISTs per mode; the median is reported (default 5; quick 3)
  --watchers N         concurrent watches of all pods (default 1000)
  --updates N          updates sent to them (default 200; quick 50)
  --fill-clients N     concurrent creators when filling (default 64)
  --json FILE          also write the JSON report to FILE
  --cpu-prof           run the apiserver under node --cpu-prof (the .cpuprofile lands in the kept run folder)
  --keep-dir           keep the run folder (data directories, logs) and print its path
`;

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, not ${raw}`);
  return n;
}

async function memoryPoint(cluster: ApiserverCluster, client: KeepAliveClient, label: string, pods: number): Promise<MemoryPoint> {
  await sleep(1000); // let the last requests' garbage settle a little; RSS is what it is
  const metrics = (await client.ok('GET', '/metrics')).body.toString('utf8');
  const m: MemoryPoint = {
    label,
    pods,
    apiserverRssBytes: rssBytes(cluster.apiserverPid),
    apiserverMetricRssBytes: metricValue(metrics, 'process_resident_memory_bytes'),
    apiserverHeapUsedBytes: metricValue(metrics, 'nodejs_heap_size_used_bytes'),
    storeRssBytes: cluster.storePids.map(rssBytes),
  };
  log(
    `  memory ${label}: apiserver ${(m.apiserverRssBytes / 1e6).toFixed(0)} MB RSS (heap used ${(m.apiserverHeapUsedBytes / 1e6).toFixed(0)} MB), stores ${m.storeRssBytes.map((b) => (b / 1e6).toFixed(0)).join(' / ')} MB`,
  );
  return m;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      pods: { type: 'string' },
      'list-pods': { type: 'string' },
      ops: { type: 'string' },
      'point-seconds': { type: 'string' },
      clients: { type: 'string' },
      'list-runs': { type: 'string' },
      watchers: { type: 'string' },
      updates: { type: 'string' },
      'fill-clients': { type: 'string' },
      json: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'keep-dir': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const quick = values.quick === true;
  const totalPods = positive('pods', values.pods, quick ? 20_000 : 100_000);
  const listPods = positive('list-pods', values['list-pods'], 10_000);
  const ops = positive('ops', values.ops, quick ? 500 : 3000);
  const pointMs = positive('point-seconds', values['point-seconds'], 10) * 1000;
  const clients = (values.clients ?? '1,16,128').split(',').map((s) => positive('clients', s.trim(), 1));
  const listRuns = Math.max(1, positive('list-runs', values['list-runs'], quick ? 3 : 5));
  const watchers = positive('watchers', values.watchers, 1000);
  const updates = positive('updates', values.updates, quick ? 50 : 200);
  const fillClients = Math.max(1, positive('fill-clients', values['fill-clients'], 64));
  const keepDir = values['keep-dir'] === true || values['cpu-prof'] === true;

  const started = performance.now();
  const command = `node --import tsx scripts/bench/apiserver-bench.ts ${process.argv.slice(2).join(' ')}`.trim();
  const machine = {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    shared: 'a shared machine: other engineers run tests on it meanwhile',
  };
  log(
    `machine: ${machine.cpuModel}, ${machine.cpus} cores, ${machine.memoryGiB.toFixed(1)} GiB, node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')} (${machine.shared})`,
  );
  log(`command: ${command}`);

  const processes = new ProcessRegistry();
  const cluster = new ApiserverCluster(processes, { cpuProfile: values['cpu-prof'] === true, keepDir });
  let client: KeepAliveClient | undefined;
  let ok = false;
  try {
    log('starting 3 store replicas and 1 apiserver...');
    await cluster.start();
    if (values['cpu-prof']) log(`  the apiserver's CPU profile will be written to ${cluster.directory} when it stops`);
    log(`  apiserver ${cluster.url} (pid ${cluster.apiserverPid}), stores ${cluster.stores.endpoints.join(' ')} (pids ${cluster.storePids.join(' ')})`);
    client = new KeepAliveClient(cluster.url, Math.max(...clients, fillClients) + 8);
    const pids: CpuPids = { apiserver: cluster.apiserverPid, stores: cluster.storePids };
    for (const ns of ['bench-list', 'bench-crud', 'bench-watch', 'bench-fill']) await createNamespace(client, ns);
    const memory: MemoryPoint[] = [await memoryPoint(cluster, client, 'idle', 0)];
    let stored = 0;

    log(`creating ${listPods} pods in bench-list (${fillClients} creators)...`);
    const fills: ApiserverBenchReport['fills'][number][] = [];
    const listFill = await fillPods(client, pids, 'bench-list', 'l', listPods, fillClients, log);
    fills.push({ label: `first ${listPods}`, ...listFill });
    stored += listFill.pods;
    log(`  ${listFill.pods} pods in ${listFill.seconds.toFixed(1)} s (${listFill.podsPerSec.toFixed(0)}/s)`);
    memory.push(await memoryPoint(cluster, client, `${listPods} pods`, stored));

    log(`LIST of the ${listPods} pods, ${listRuns} runs per mode...`);
    const lists: ListAtSize[] = [{ storedPods: stored, results: await runLists(client, 'bench-list', listRuns, log) }];

    log(`create / get / update, ${ops} ops or ${pointMs / 1000} s per point...`);
    const crud = await runCrud(client, pids, 'bench-crud', clients, ops, pointMs, log);
    stored += crud.create.reduce((s, r) => s + r.ops, 0);

    let fanout: FanoutResult | undefined;
    if (watchers > 0 && updates > 0) {
      log(`watch fan-out: ${watchers} watchers, ${updates} updates...`);
      fanout = await runFanout(client, pids, cluster.url, 'bench-watch', watchers, updates, log);
      stored += 1;
    }

    if (totalPods > stored) {
      const more = totalPods - stored;
      log(`filling up to ${totalPods} pods: ${more} more in bench-fill (${fillClients} creators)...`);
      const fill = await fillPods(client, pids, 'bench-fill', 'f', more, fillClients, log);
      fills.push({ label: `up to ${totalPods}`, ...fill });
      stored += fill.pods;
      log(`  ${fill.pods} pods in ${fill.seconds.toFixed(1)} s (${fill.podsPerSec.toFixed(0)}/s)`);
      memory.push(await memoryPoint(cluster, client, `${stored} pods`, stored));
      log(`LIST of the ${listPods} pods again, with ${stored} stored...`);
      lists.push({ storedPods: stored, results: await runLists(client, 'bench-list', listRuns, log) });
    }

    const at = clients.indexOf(16);
    const targetP99Ms = 50;
    const met: Record<string, boolean> = {};
    if (at >= 0)
      for (const verb of ['create', 'get', 'update'] as const)
        met[verb] = (crud[verb][at]?.p99Ms ?? Number.POSITIVE_INFINITY) < targetP99Ms && (crud[verb][at]?.errors ?? 1) === 0;
    const kubeSloP99Under1s = [...crud.create, ...crud.get, ...crud.update].every((r) => r.p99Ms < 1000);

    const report: ApiserverBenchReport = {
      command,
      machine,
      totalSeconds: (performance.now() - started) / 1000,
      crud,
      slo: { clients: 16, targetP99Ms, met, kubeSloP99Under1s },
      lists,
      fanout,
      fills,
      memory,
    };
    log('');
    log(`== picokube apiserver benchmark (${quick ? 'quick' : 'full'} run, ${report.totalSeconds.toFixed(0)} s) ==`);
    log(`machine: ${machine.cpuModel}, ${machine.cpus} cores, ${machine.memoryGiB.toFixed(1)} GiB RAM, node ${machine.node}; ${machine.shared}`);
    log(`command: ${command}`);
    log('');
    log(crudTable(crud));
    log('');
    log(
      at >= 0
        ? `aim p99 < ${targetP99Ms} ms at 16 clients: ${Object.entries(met)
            .map(([v, m]) => `${v} ${m ? 'met' : 'NOT met'}`)
            .join(', ')}`
        : 'aim p99 < 50 ms at 16 clients: not measured (no 16-client point)',
    );
    log(`Kubernetes SLO p99 < 1 s for single-object calls: ${kubeSloP99Under1s ? 'met at every point' : 'NOT met at some point'}`);
    log('');
    log(listTable(lists));
    if (fanout) {
      log('');
      log(fanoutTable(fanout));
    }
    log('');
    log(fillTable(fills));
    log('');
    log(memoryTable(memory));
    log('');
    const json = JSON.stringify(report, null, 2);
    log('JSON:');
    log(json);
    if (values.json) writeFileSync(values.json, `${json}\n`);
    ok = true;
  } finally {
    client?.close();
    if (values['cpu-prof']) await cluster.stopApiserverGracefully();
    await cluster.stop(keepDir || !ok);
    if (keepDir || !ok) log(`run folder kept: ${cluster.directory}`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
