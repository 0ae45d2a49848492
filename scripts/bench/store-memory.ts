/**
 * The store's memory and event-loop stalls under a pod-sized load: a 3-replica picokube store,
 * N keys of V bytes each written `versions` times (a pod is created, bound, then its status
 * set), by C closed-loop writers. Samples each replica's RSS, V8 heap and external memory and
 * its event loop's longest delay (prom-client's, from /metrics) while loading; reads each
 * snapshot the replicas took from their logs (index, bytes, how long it blocked the loop).
 *
 *   node --import tsx scripts/bench/store-memory.ts [--keys 100000] [--versions 3] [--value-bytes 1500]
 *        [--concurrency 64] [--compact] [--picokube-args="--snapshot-count 10000"] [--keep-dirs]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WsStoreClient } from '../../raft/client/ws-store-client.js';
import { PicokubeCluster } from './picokube-cluster.js';
import { ProcessRegistry, sleep } from './processes.js';

const HELP = `node --import tsx scripts/bench/store-memory.ts [options]

  --keys N              distinct keys (default 100000)
  --versions N          writes per key (default 3: create, bind, status)
  --value-bytes N       bytes per value (default 1500, a small pod)
  --concurrency N       closed-loop writers (default 64)
  --compact             compact at the last revision after loading, then sample again
  --settle-ms MS        wait after loading before the last sample (default 5000)
  --picokube-args=ARGS  extra flags for each replica, space-separated (note the =)
  --keep-dirs           keep the data directories and logs (path printed)
`;

interface Sample {
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly externalMb: number;
  readonly loopLagMaxMs: number;
}

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

async function sample(endpoint: string, pid: number): Promise<Sample> {
  const text = await (await fetch(`http://${endpoint}/metrics`)).text();
  const metric = (name: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : Number.NaN;
  };
  return {
    rssMb: rssMb(pid),
    heapUsedMb: metric('nodejs_heap_size_used_bytes') / 2 ** 20,
    externalMb: metric('nodejs_external_memory_bytes') / 2 ** 20,
    loopLagMaxMs: metric('nodejs_eventloop_lag_max_seconds') * 1000,
  };
}

interface SnapshotLine {
  readonly index: number;
  readonly bytes: number;
  readonly blockedMs: number;
  readonly totalMs: number;
}

/** The replica's "snapshot taken" log lines (pino JSON). */
function snapshotsIn(logFile: string): SnapshotLine[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"snapshot taken"'))
    .map((l) => JSON.parse(l) as { index: number; bytes: number; blockedMs?: number; encodeMs?: number; totalMs?: number })
    .map((j) => ({ index: j.index, bytes: j.bytes, blockedMs: j.blockedMs ?? j.encodeMs ?? Number.NaN, totalMs: j.totalMs ?? Number.NaN }));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      keys: { type: 'string', default: '100000' },
      versions: { type: 'string', default: '3' },
      'value-bytes': { type: 'string', default: '1500' },
      concurrency: { type: 'string', default: '64' },
      compact: { type: 'boolean', default: false },
      'settle-ms': { type: 'string', default: '5000' },
      'picokube-args': { type: 'string', default: '' },
      'keep-dirs': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const keys = Number(values.keys);
  const versions = Number(values.versions);
  const valueBytes = Number(values['value-bytes']);
  const concurrency = Number(values.concurrency);
  const extraArgs = values['picokube-args'].split(' ').filter(Boolean);
  const processes = new ProcessRegistry();
  const cluster = new PicokubeCluster(processes, extraArgs);
  log(
    `store memory: ${keys} keys x ${versions} writes of ${valueBytes} bytes, ${concurrency} writers, replica flags: ${extraArgs.join(' ') || '(defaults)'}; load ${loadavg()[0]?.toFixed(1)}`,
  );
  await cluster.start();
  const endpoints = cluster.endpoints;
  const pids = cluster.serverPids();
  const client = new WsStoreClient({ endpoints, attemptTimeoutMs: 10_000, requestTimeoutMs: 60_000 });
  const lagMax = endpoints.map(() => 0);
  const take = async (): Promise<Sample[]> => {
    const samples = await Promise.all(endpoints.map((e, i) => sample(e, pids[i] as number)));
    samples.forEach((s, i) => {
      lagMax[i] = Math.max(lagMax[i] ?? 0, s.loopLagMaxMs);
    });
    return samples;
  };
  const baseline = await take();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await take().catch(() => undefined);
      await sleep(250);
    }
  })();

  const value = new Uint8Array(valueBytes).fill(120);
  const total = keys * versions;
  let next = 0;
  let errors = 0;
  const started = Date.now();
  const writer = async (): Promise<void> => {
    for (;;) {
      const n = next++;
      if (n >= total) return;
      const key = `/registry/pods/bench/pod-${String(n % keys).padStart(7, '0')}`;
      value[0] = n % 256;
      try {
        await client.put(key, value);
      } catch {
        errors++;
      }
      if (n > 0 && n % 50_000 === 0) log(`  ${n} writes, ${((n / (Date.now() - started)) * 1000).toFixed(0)}/s`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => writer()));
  const loadSeconds = (Date.now() - started) / 1000;
  log(`loaded ${total} writes in ${loadSeconds.toFixed(1)} s (${(total / loadSeconds).toFixed(0)}/s), ${errors} errors`);
  await cluster.waitHealthy(120_000);
  await sleep(Number(values['settle-ms']));
  const loaded = await take();
  let compacted: Sample[] | undefined;
  if (values.compact) {
    const status = await client.status();
    await client.compact(status.revision);
    await sleep(Number(values['settle-ms']));
    compacted = await take();
  }
  sampling = false;
  await sampler;

  const statuses = await client.statusAll();
  log(`\n1-min load average at the end ${loadavg()[0]?.toFixed(1)}`);
  log('replica  role       RSS MB (idle -> loaded)  heap MB  external MB  RSS bytes/key  longest loop stall ms  snapshots (index: MB, blocked ms / total ms)');
  endpoints.forEach((_, i) => {
    const s = loaded[i] as Sample;
    const b = baseline[i] as Sample;
    const role = statuses[i]?.status?.role ?? '?';
    const snaps = snapshotsIn(join(cluster.directory, `r${i + 1}.log`))
      .map((x) => `${x.index}: ${(x.bytes / 2 ** 20).toFixed(0)}, ${x.blockedMs.toFixed(0)}/${x.totalMs.toFixed(0)}`)
      .join('; ');
    log(
      `${String(i + 1).padEnd(8)} ${role.padEnd(10)} ${b.rssMb.toFixed(0).padStart(6)} -> ${s.rssMb.toFixed(0).padEnd(13)} ${s.heapUsedMb.toFixed(0).padStart(7)}  ${s.externalMb.toFixed(0).padStart(11)}  ${(((s.rssMb - b.rssMb) * 2 ** 20) / keys).toFixed(0).padStart(13)}  ${(lagMax[i] ?? 0).toFixed(0).padStart(21)}  ${snaps || '-'}`,
    );
    const c = compacted?.[i];
    if (c) log(`${''.padEnd(8)} compacted: RSS ${c.rssMb.toFixed(0)} MB, heap ${c.heapUsedMb.toFixed(0)} MB, external ${c.externalMb.toFixed(0)} MB`);
  });
  await client.close();
  await cluster.stop(values['keep-dirs']);
  if (values['keep-dirs']) log(`data directories and logs kept in ${cluster.directory}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`store memory: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
