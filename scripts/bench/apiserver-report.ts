import { type CrudResults, type FanoutResult, type FillResult, LIST_MODES, type ListResult } from './apiserver-workloads.js';
import type { LoadResult } from './http-load.js';

/** Memory of every process at one point of the run. */
export interface MemoryPoint {
  readonly label: string;
  readonly pods: number;
  /** VmRSS from /proc/PID/status. */
  readonly apiserverRssBytes: number;
  /** process_resident_memory_bytes from the apiserver's /metrics. */
  readonly apiserverMetricRssBytes: number;
  /** nodejs_heap_size_used_bytes from the same /metrics. */
  readonly apiserverHeapUsedBytes: number;
  readonly storeRssBytes: readonly number[];
}

export interface ListAtSize {
  readonly storedPods: number;
  readonly results: readonly ListResult[];
}

/** Everything the benchmark measured, as printed in JSON at the end. */
export interface ApiserverBenchReport {
  readonly command: string;
  readonly machine: {
    readonly cpuModel: string;
    readonly cpus: number;
    readonly memoryGiB: number;
    readonly node: string;
    readonly loadAverageAtStart: readonly number[];
    readonly shared: string;
  };
  readonly totalSeconds: number;
  readonly crud: CrudResults;
  readonly slo: { readonly clients: number; readonly targetP99Ms: number; readonly met: Record<string, boolean>; readonly kubeSloP99Under1s: boolean };
  readonly lists: readonly ListAtSize[];
  readonly fanout: FanoutResult | undefined;
  readonly fills: readonly (FillResult & { readonly label: string })[];
  readonly memory: readonly MemoryPoint[];
}

const MB = 1e6;

function fmt(v: number, decimals = 0): string {
  if (!Number.isFinite(v)) return '-';
  return v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** A fixed-width table: the first column left-aligned, the rest right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => r.map((s, i) => (i === 0 ? s.padEnd(widths[i] ?? 0) : s.padStart(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function loadRow(verb: string, r: LoadResult): string[] {
  return [
    verb,
    String(r.concurrency),
    fmt(r.ops),
    fmt(r.opsPerSec),
    fmt(r.p50Ms, 1),
    fmt(r.p99Ms, 1),
    fmt(r.maxMs, 1),
    fmt(r.errors),
    `${fmt(r.apiserverCpuPct)}%`,
    `${fmt(r.storesCpuPct)}%`,
    `${fmt(r.clientCpuPct)}%`,
    `${fmt(r.otherCpuPct)}%`,
  ];
}

export function crudTable(crud: CrudResults): string {
  const rows = [
    ...crud.create.map((r) => loadRow('create', r)),
    ...crud.get.map((r) => loadRow('get', r)),
    ...crud.update.map((r) => loadRow('update (merge patch)', r)),
  ];
  return table(['call', 'clients', 'ops', 'ops/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'apiserver CPU', 'stores CPU', 'bench CPU', 'others CPU'], rows);
}

export function listTable(lists: readonly ListAtSize[]): string {
  const rows = lists.flatMap((l) =>
    l.results.map((r) => [LIST_MODES[r.mode], fmt(l.storedPods), fmt(r.items), fmt(r.pages), fmt(r.bytes / MB, 1), fmt(r.medianMs), fmt(r.mbPerSec, 1)]),
  );
  return table(['LIST of one namespace', 'pods stored', 'items', 'pages', 'MB', 'median ms', 'MB/s'], rows);
}

export function fanoutTable(f: FanoutResult): string {
  const row = (what: string, p: { p50Ms: number; p99Ms: number; maxMs: number }): string[] => [what, fmt(p.p50Ms, 1), fmt(p.p99Ms, 1), fmt(p.maxMs, 1)];
  return [
    `${fmt(f.watchers)} watchers of all pods, ${fmt(f.updates)} updates one after the other (opened in ${fmt(f.connectMs)} ms)`,
    table(
      ['', 'p50 ms', 'p99 ms', 'max ms'],
      [
        row('writer: PATCH acknowledged', f.writeMs),
        row('last watcher has it, after the ack', f.lastDeliveryAfterAck),
        row('each delivery, after the ack', f.deliveryAfterAck),
        row('last watcher has it, after the send', f.lastDeliveryAfterSend),
      ],
    ),
    `deliveries before the writer's ack (counted as 0 ms): ${fmt(f.deliveriesBeforeAck)} of ${fmt(f.watchers * f.updates)}; unexpected lines ${f.oddLines}; watches ended by the server ${f.closedEarly}`,
    `CPU meanwhile: apiserver ${fmt(f.cpu.apiserverCpuPct)}%, stores ${fmt(f.cpu.storesCpuPct)}%, bench (reading the streams) ${fmt(f.cpu.clientCpuPct)}%, others ${fmt(f.cpu.otherCpuPct)}%`,
  ].join('\n');
}

export function fillTable(fills: ApiserverBenchReport['fills']): string {
  return table(
    ['bulk create', 'pods', 'creators', 'seconds', 'pods/s', 'p50 ms', 'p99 ms', 'errors', 'apiserver CPU', 'stores CPU', 'others CPU'],
    fills.map((f) => [
      f.label,
      fmt(f.pods),
      String(f.concurrency),
      fmt(f.seconds, 1),
      fmt(f.podsPerSec),
      fmt(f.p50Ms, 1),
      fmt(f.p99Ms, 1),
      fmt(f.errors),
      `${fmt(f.apiserverCpuPct)}%`,
      `${fmt(f.storesCpuPct)}%`,
      `${fmt(f.otherCpuPct)}%`,
    ]),
  );
}

export function memoryTable(points: readonly MemoryPoint[]): string {
  return table(
    ['memory', 'pods', 'apiserver VmRSS MB', 'apiserver process_resident_memory_bytes MB', 'apiserver heap used MB', 'store replicas VmRSS MB'],
    points.map((m) => [
      m.label,
      fmt(m.pods),
      fmt(m.apiserverRssBytes / MB),
      fmt(m.apiserverMetricRssBytes / MB),
      fmt(m.apiserverHeapUsedBytes / MB),
      m.storeRssBytes.map((b) => fmt(b / MB)).join(' / '),
    ]),
  );
}
