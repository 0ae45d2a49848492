import { performance } from 'node:perf_hooks';
import type { CpuPids, KeepAliveClient, LoadResult } from './http-load.js';
import { cpuPercents, cpuSnapshot, runClosedLoop } from './http-load.js';
import { WatchFanout } from './watch-fanout.js';
import { quantile } from './workload.js';

/** A small pod: what a Deployment's pod template looks like before defaulting. */
export function smallPod(namespace: string, name: string): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'bench', tier: 'load' } },
    spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  };
}

export const podsPath = (namespace: string): string => `/api/v1/namespaces/${namespace}/pods`;

export async function createNamespace(client: KeepAliveClient, name: string): Promise<void> {
  const answer = await client.send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (answer.status !== 201 && answer.status !== 409)
    throw new Error(`create namespace ${name}: ${answer.status} ${answer.body.toString('utf8').slice(0, 300)}`);
}

/** Creating many pods as fast as `concurrency` closed-loop creators can. */
export interface FillResult {
  readonly pods: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly podsPerSec: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** % of one core, over the fill. */
  readonly apiserverCpuPct: number;
  readonly storesCpuPct: number;
  readonly otherCpuPct: number;
}

export async function fillPods(
  client: KeepAliveClient,
  pids: CpuPids,
  namespace: string,
  prefix: string,
  count: number,
  concurrency: number,
  log: (s: string) => void,
): Promise<FillResult> {
  const PROGRESS_EVERY = 10_000;
  let done = 0;
  let lapStart = performance.now();
  const r = await runClosedLoop({ concurrency, ops: count, maxMs: Number.POSITIVE_INFINITY }, pids, async (i) => {
    await client.ok('POST', podsPath(namespace), smallPod(namespace, `${prefix}-${i}`));
    if (++done % PROGRESS_EVERY === 0 && done < count) {
      const now = performance.now();
      log(`  ${done} created, the last ${PROGRESS_EVERY} at ${(PROGRESS_EVERY / ((now - lapStart) / 1000)).toFixed(0)}/s`);
      lapStart = now;
    }
  });
  if (r.errors > 0) process.stderr.write(`bench: ${r.errors} of ${count} creates failed; first: ${r.firstError}\n`);
  return {
    pods: r.ops,
    concurrency,
    seconds: r.seconds,
    podsPerSec: r.opsPerSec,
    errors: r.errors,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    apiserverCpuPct: r.apiserverCpuPct,
    storesCpuPct: r.storesCpuPct,
    otherCpuPct: r.otherCpuPct,
  };
}

export interface CrudResults {
  readonly create: LoadResult[];
  readonly get: LoadResult[];
  readonly update: LoadResult[];
}

/**
 * Create, then get, then update (a merge patch of one label) at each concurrency, closed loop.
 * Creates use names unique to the point, so they never collide; gets and updates go round the
 * pods the creates made, a different pod for each operation of a point where there are enough.
 */
export async function runCrud(
  client: KeepAliveClient,
  pids: CpuPids,
  namespace: string,
  concurrencies: readonly number[],
  ops: number,
  maxMs: number,
  log: (s: string) => void,
): Promise<CrudResults> {
  const names: string[] = [];
  const results: CrudResults = { create: [], get: [], update: [] };
  for (const c of concurrencies) {
    const r = await runClosedLoop({ concurrency: c, ops, maxMs }, pids, async (i) => {
      const name = `c${c}-${i}`;
      await client.ok('POST', podsPath(namespace), smallPod(namespace, name));
      names.push(name);
    });
    log(`  create  x${c}: ${describeLoad(r)}`);
    results.create.push(r);
  }
  if (names.length === 0) throw new Error('no pod was created; cannot measure get and update');
  for (const c of concurrencies) {
    const r = await runClosedLoop({ concurrency: c, ops, maxMs }, pids, async (i) => {
      await client.ok('GET', `${podsPath(namespace)}/${names[i % names.length]}`);
    });
    log(`  get     x${c}: ${describeLoad(r)}`);
    results.get.push(r);
  }
  let seq = 0;
  for (const c of concurrencies) {
    const r = await runClosedLoop({ concurrency: c, ops, maxMs }, pids, async (i) => {
      const patch = { metadata: { labels: { 'bench-seq': String(seq++) } } };
      await client.ok('PATCH', `${podsPath(namespace)}/${names[i % names.length]}`, patch, 'application/merge-patch+json');
    });
    log(`  update  x${c}: ${describeLoad(r)}`);
    results.update.push(r);
  }
  return results;
}

export function describeLoad(r: LoadResult): string {
  const err = r.errors > 0 ? `  ERRORS ${r.errors} (${r.firstError})` : '';
  return `${r.ops} ops in ${r.seconds.toFixed(1)} s: ${r.opsPerSec.toFixed(0)} ops/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms; CPU apiserver ${r.apiserverCpuPct.toFixed(0)}% stores ${r.storesCpuPct.toFixed(0)}% bench ${r.clientCpuPct.toFixed(0)}% others ${r.otherCpuPct.toFixed(0)}%${err}`;
}

export type ListMode = 'cache' | 'paged' | 'consistent';

export const LIST_MODES: Readonly<Record<ListMode, string>> = {
  cache: 'watch cache (resourceVersion=0)',
  paged: 'store, limit=500 pages to the end',
  consistent: 'consistent (no rv, no limit): cache after a store revision check',
};

export interface ListResult {
  readonly mode: ListMode;
  readonly items: number;
  readonly pages: number;
  readonly bytes: number;
  readonly runsMs: number[];
  readonly medianMs: number;
  readonly mbPerSec: number;
}

/**
 * One whole LIST of a namespace's pods, every page of it: the item count, pages, bytes read, and
 * the time the server took — each page from its request to the last byte of its answer, summed,
 * so the benchmark's own JSON.parse of the pages (to count items, find the continue token) is
 * not in the figure.
 */
async function listOnce(client: KeepAliveClient, namespace: string, mode: ListMode): Promise<{ items: number; pages: number; bytes: number; ms: number }> {
  let items = 0;
  let pages = 0;
  let bytes = 0;
  let ms = 0;
  let cont: string | undefined;
  do {
    const q = mode === 'cache' ? '?resourceVersion=0' : mode === 'paged' ? `?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}` : '';
    const t0 = performance.now();
    const answer = await client.ok('GET', `${podsPath(namespace)}${q}`);
    ms += performance.now() - t0;
    const list = JSON.parse(answer.body.toString('utf8')) as { items?: unknown[]; metadata?: { continue?: string } };
    items += list.items?.length ?? 0;
    bytes += answer.body.length;
    pages++;
    cont = mode === 'paged' && list.metadata?.continue ? list.metadata.continue : undefined;
  } while (cont);
  return { items, pages, bytes, ms };
}

/** `runs` LISTs in each mode, one mode after the other; the median time each, and MB/s of response body at that median. */
export async function runLists(client: KeepAliveClient, namespace: string, runs: number, log: (s: string) => void): Promise<ListResult[]> {
  const out: ListResult[] = [];
  for (const mode of Object.keys(LIST_MODES) as ListMode[]) {
    const runsMs: number[] = [];
    let shape = { items: 0, pages: 0, bytes: 0 };
    for (let i = 0; i < runs; i++) {
      const { ms, ...rest } = await listOnce(client, namespace, mode);
      shape = rest;
      runsMs.push(ms);
    }
    const medianMs = quantile(
      [...runsMs].sort((a, b) => a - b),
      0.5,
    );
    const r: ListResult = { mode, ...shape, runsMs, medianMs, mbPerSec: shape.bytes / 1e6 / (medianMs / 1000) };
    log(
      `  ${LIST_MODES[mode]}: ${r.items} pods in ${r.pages} page(s), ${(r.bytes / 1e6).toFixed(1)} MB, median ${r.medianMs.toFixed(0)} ms (${runsMs.map((m) => m.toFixed(0)).join(', ')}), ${r.mbPerSec.toFixed(1)} MB/s`,
    );
    out.push(r);
  }
  return out;
}

export interface Percentiles {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface FanoutResult {
  readonly watchers: number;
  readonly updates: number;
  /** Time to open every watch (headers back on each). */
  readonly connectMs: number;
  /** Per update, the last watcher's delivery after the writer's acknowledgement. */
  readonly lastDeliveryAfterAck: Percentiles;
  /** Every single delivery after the writer's acknowledgement (0 when it came first). */
  readonly deliveryAfterAck: Percentiles;
  /** The same two measured from when the writer sent the update. */
  readonly lastDeliveryAfterSend: Percentiles;
  readonly writeMs: Percentiles;
  /** Deliveries that arrived before the writer had its answer. */
  readonly deliveriesBeforeAck: number;
  readonly oddLines: number;
  readonly closedEarly: number;
  /** CPU while the updates ran, % of one core; the benchmark's share is reading the 1,000 streams. */
  readonly cpu: Pick<LoadResult, 'apiserverCpuPct' | 'storesCpuPct' | 'clientCpuPct' | 'otherCpuPct'>;
}

function percentiles(values: number[]): Percentiles {
  const sorted = values.sort((a, b) => a - b);
  return { p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: sorted[sorted.length - 1] ?? Number.NaN };
}

/**
 * `watchers` watches on all pods from the current revision, then `updates` merge patches of one
 * pod, each sent once the last one reached every watcher (so the writer never overruns them).
 * One unmeasured update first proves every stream delivers.
 */
export async function runFanout(
  client: KeepAliveClient,
  pids: CpuPids,
  baseUrl: string,
  namespace: string,
  watchers: number,
  updates: number,
  log: (s: string) => void,
): Promise<FanoutResult> {
  const target = 'watch-target';
  await client.ok('POST', podsPath(namespace), smallPod(namespace, target));
  const list = JSON.parse((await client.ok('GET', `${podsPath(namespace)}?limit=1`)).body.toString('utf8')) as { metadata: { resourceVersion: string } };
  const fanout = new WatchFanout(baseUrl, `/api/v1/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=3600`, watchers);
  try {
    const t0 = performance.now();
    await fanout.open();
    const connectMs = performance.now() - t0;
    log(`  ${watchers} watches open in ${connectMs.toFixed(0)} ms`);
    const lastAfterAck: number[] = [];
    const lastAfterSend: number[] = [];
    const afterAck: number[] = [];
    const writes: number[] = [];
    let beforeAck = 0;
    let cpu0 = cpuSnapshot(pids);
    let measuredFrom = performance.now();
    for (let i = -1; i < updates; i++) {
      const sentAt = performance.now();
      const answer = await client.ok(
        'PATCH',
        `${podsPath(namespace)}/${target}`,
        { metadata: { labels: { 'bench-seq': i < 0 ? 'warmup' : String(i) } } },
        'application/merge-patch+json',
      );
      const ackAt = performance.now();
      const rv = (JSON.parse(answer.body.toString('utf8')) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      const times = await fanout.delivered(rv, 60_000);
      if (i < 0) {
        // the warm-up: not measured
        cpu0 = cpuSnapshot(pids);
        measuredFrom = performance.now();
        continue;
      }
      writes.push(ackAt - sentAt);
      const last = Math.max(...times);
      lastAfterAck.push(Math.max(0, last - ackAt));
      lastAfterSend.push(last - sentAt);
      for (const t of times) {
        if (t < ackAt) beforeAck++;
        afterAck.push(Math.max(0, t - ackAt));
      }
    }
    const cpu = cpuPercents(cpu0, cpuSnapshot(pids), (performance.now() - measuredFrom) / 1000);
    const r: FanoutResult = {
      cpu,
      watchers,
      updates,
      connectMs,
      lastDeliveryAfterAck: percentiles(lastAfterAck),
      deliveryAfterAck: percentiles(afterAck),
      lastDeliveryAfterSend: percentiles(lastAfterSend),
      writeMs: percentiles(writes),
      deliveriesBeforeAck: beforeAck,
      oddLines: fanout.oddLines,
      closedEarly: fanout.closedEarly,
    };
    if (fanout.firstOddLine) log(`  unexpected watch line: ${fanout.firstOddLine}`);
    return r;
  } finally {
    fanout.close();
  }
}
