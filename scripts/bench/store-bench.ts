/**
 * The store benchmark: picokube's Raft store against a real etcd, both as 3 members on this
 * machine, through one harness (kv-adapter.ts). Closed-loop puts at several concurrencies,
 * linearizable gets, and the write gap when the leader is killed. Prints a side-by-side table,
 * then the same table as markdown for the README.
 *
 *   npm run bench:store -- [--duration-ms 6000] [--warmup-ms 1000] [--put-concurrency 1,8,64,256]
 *                          [--get-concurrency 64] [--failover-trials 3] [--systems picokube,etcd] [--sequential]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { BenchCluster } from './bench-cluster.js';
import type { KvAdapter } from './kv-adapter.js';
import { ETCD_DEFAULT_TIMING, EtcdCluster } from './etcd-cluster.js';
import { type FailoverResult, runFailover } from './failover.js';
import { ensureEtcd, machineInfo } from './machine.js';
import { PicokubeCluster } from './picokube-cluster.js';
import { ProcessRegistry } from './processes.js';
import { markdownTable, type Row, textTable } from './report.js';
import { KEY_COUNT, quantile, runClosedLoop, VALUE_BYTES, type WorkloadResult } from './workload.js';

const HELP = `npm run bench:store -- [options]

  --duration-ms MS         measured time of each workload (default 6000)
  --warmup-ms MS           unmeasured time before it (default 1000)
  --put-concurrency LIST   closed-loop writers per put workload (default 1,8,64,256)
  --get-concurrency N      closed-loop readers for linearizable gets (default 64)
  --failover-trials N      leader kills per system (default 3; 0 skips)
  --failover-writers N     writers during a failover trial (default 16)
  --systems LIST           picokube,etcd (default both)
  --etcd-heartbeat-ms MS   etcd --heartbeat-interval (default ${ETCD_DEFAULT_TIMING.heartbeatMs}, etcd's default)
  --etcd-election-ms MS    etcd --election-timeout (default ${ETCD_DEFAULT_TIMING.electionMs}, etcd's default)
  --picokube-args=ARGS     extra flags for each picokube replica, space-separated (note the =)
  --sequential             one cluster at a time: start, measure and stop each system in turn.
                           Default: both clusters up at once and each workload run on one system
                           right after the other, so load from other processes on a shared
                           machine falls on both alike (each pays the other's idle CPU)
  --keep-dirs              keep each cluster's data directories and member logs (path printed)
`;

interface SystemResults {
  idle: WorkloadResult | undefined;
  readonly puts: Map<number, WorkloadResult>;
  get: WorkloadResult | undefined;
  readonly failovers: FailoverResult[];
  settings: string;
}

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function describe(r: WorkloadResult): string {
  return `${r.opsPerSec.toFixed(0).padStart(6)} ops/s  p50 ${r.p50Ms.toFixed(1)} ms  p99 ${r.p99Ms.toFixed(1)} ms  max ${r.maxMs.toFixed(1)} ms  errors ${r.errors}  client CPU ${r.clientCpuPct.toFixed(0)}%  servers CPU ${r.serverCpuPct.toFixed(0)}%  other processes CPU ${r.otherCpuPct.toFixed(0)}%`;
}

/** One system's cluster, its harness client and its figures, driven a step at a time. */
class SystemRun {
  readonly results: SystemResults;
  private adapter: KvAdapter | undefined;

  constructor(
    readonly cluster: BenchCluster,
    private readonly opts: Options,
  ) {
    this.results = { idle: undefined, puts: new Map(), get: undefined, failovers: [], settings: cluster.settings };
  }

  get system(): string {
    return this.cluster.system;
  }

  async start(): Promise<void> {
    log(`\n== ${this.system}: starting 3 members (${this.cluster.settings})`);
    const t0 = Date.now();
    await this.cluster.start();
    log(`${this.system}: healthy after ${Date.now() - t0} ms, endpoints ${this.cluster.endpoints.join(' ')}`);
    this.adapter = this.cluster.adapter({ attemptTimeoutMs: 5000 });
  }

  async workload(w: Workload): Promise<void> {
    if (!this.adapter) throw new Error('not started');
    const spec = {
      op: w.op,
      concurrency: w.concurrency,
      warmupMs: w.op === 'idle' ? 0 : this.opts.warmupMs,
      durationMs: w.op === 'idle' ? IDLE_MS : this.opts.durationMs,
    };
    const r = await runClosedLoop(this.adapter, { ...spec, op: w.op === 'idle' ? 'put' : w.op }, () => this.cluster.serverPids());
    if (w.op === 'idle') {
      this.results.idle = r;
      log(
        `${this.system}: idle      client CPU ${r.clientCpuPct.toFixed(0)}%  servers CPU ${r.serverCpuPct.toFixed(0)}%  other processes CPU ${r.otherCpuPct.toFixed(0)}%`,
      );
    } else if (w.op === 'put') {
      this.results.puts.set(w.concurrency, r);
      log(`${this.system}: put C=${String(w.concurrency).padEnd(3)} ${describe(r)}`);
    } else {
      this.results.get = r;
      log(`${this.system}: get C=${String(w.concurrency).padEnd(3)} ${describe(r)}`);
    }
  }

  async failover(trial: number): Promise<void> {
    const f = await runFailover(this.cluster, {
      writers: this.opts.failoverWriters,
      beforeKillMs: 1500,
      afterRecoveryMs: 1000,
      giveUpMs: 20_000,
      attemptTimeoutMs: 500,
    });
    this.results.failovers.push(f);
    log(
      `${this.system}: failover ${trial + 1}: killed member ${f.killedMember + 1}, longest gap without a successful write ${f.gapMs.toFixed(0)} ms (kill to first success of a write sent after it ${f.killToRecoveryMs.toFixed(0)} ms, ${f.errors} failed puts)`,
    );
  }

  async stop(): Promise<void> {
    await this.adapter?.close();
    this.adapter = undefined;
    await this.cluster.stop(this.opts.keepDirs);
    if (this.opts.keepDirs) log(`${this.system}: data directories and logs kept in ${this.cluster.directory}`);
  }
}

interface Workload {
  readonly op: 'idle' | 'put' | 'get';
  readonly concurrency: number;
}

/** CPU of an idle cluster (heartbeats, timers) is measured for this long, with no client load. */
const IDLE_MS = 3000;

/**
 * Sequential: each system in turn, started, measured and stopped. Interleaved: both clusters up
 * at once and each workload run on one system right after the other, so that load from other
 * processes on a shared machine falls on both alike (the idle cluster costs its idle CPU).
 */
async function runAll(runs: readonly SystemRun[], opts: Options): Promise<void> {
  const workloads: Workload[] = [
    { op: 'idle', concurrency: 0 },
    ...opts.putConcurrency.map((c) => ({ op: 'put' as const, concurrency: c })),
    { op: 'get', concurrency: opts.getConcurrency },
  ];
  if (opts.interleave) {
    for (const r of runs) await r.start();
    for (const w of workloads) for (const r of runs) await r.workload(w);
    for (let i = 0; i < opts.failoverTrials; i++) for (const r of runs) await r.failover(i);
    for (const r of runs) await r.stop();
    return;
  }
  for (const r of runs) {
    await r.start();
    for (const w of workloads) await r.workload(w);
    for (let i = 0; i < opts.failoverTrials; i++) await r.failover(i);
    await r.stop();
  }
}

interface Options {
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly putConcurrency: number[];
  readonly getConcurrency: number;
  readonly failoverTrials: number;
  readonly failoverWriters: number;
  readonly systems: string[];
  readonly etcdHeartbeatMs: number;
  readonly etcdElectionMs: number;
  readonly picokubeArgs: string[];
  readonly interleave: boolean;
  readonly keepDirs: boolean;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      'duration-ms': { type: 'string', default: '6000' },
      'warmup-ms': { type: 'string', default: '1000' },
      'put-concurrency': { type: 'string', default: '1,8,64,256' },
      'get-concurrency': { type: 'string', default: '64' },
      'failover-trials': { type: 'string', default: '3' },
      'failover-writers': { type: 'string', default: '16' },
      systems: { type: 'string', default: 'picokube,etcd' },
      'etcd-heartbeat-ms': { type: 'string', default: String(ETCD_DEFAULT_TIMING.heartbeatMs) },
      'etcd-election-ms': { type: 'string', default: String(ETCD_DEFAULT_TIMING.electionMs) },
      'picokube-args': { type: 'string', default: '' },
      sequential: { type: 'boolean', default: false },
      'keep-dirs': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  const int = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: not a whole number: ${v}`);
    return n;
  };
  return {
    durationMs: int('duration-ms', values['duration-ms']),
    warmupMs: int('warmup-ms', values['warmup-ms']),
    putConcurrency: values['put-concurrency'].split(',').map((v) => int('put-concurrency', v)),
    getConcurrency: int('get-concurrency', values['get-concurrency']),
    failoverTrials: int('failover-trials', values['failover-trials']),
    failoverWriters: int('failover-writers', values['failover-writers']),
    systems: values.systems.split(','),
    etcdHeartbeatMs: int('etcd-heartbeat-ms', values['etcd-heartbeat-ms']),
    etcdElectionMs: int('etcd-election-ms', values['etcd-election-ms']),
    picokubeArgs: values['picokube-args'].split(' ').filter((s) => s !== ''),
    interleave: !values.sequential,
    keepDirs: values['keep-dirs'],
  };
}

function rows(p: SystemResults | undefined, e: SystemResults | undefined, opts: Options): Row[] {
  const out: Row[] = [];
  const pick = (s: SystemResults | undefined, f: (s: SystemResults) => number | undefined): number => (s ? (f(s) ?? Number.NaN) : Number.NaN);
  const row = (workload: string, f: (s: SystemResults) => number | undefined, decimals: number, unit: string): void => {
    out.push({ workload, picokube: pick(p, f), etcd: pick(e, f), decimals, unit });
  };
  row('idle cluster: servers CPU (3)', (s) => s.idle?.serverCpuPct, 0, '%');
  for (const c of opts.putConcurrency) {
    const w = (s: SystemResults): WorkloadResult | undefined => s.puts.get(c);
    row(`put C=${c}: throughput`, (s) => w(s)?.opsPerSec, 0, 'ops/s');
    row(`put C=${c}: latency p50`, (s) => w(s)?.p50Ms, 1, 'ms');
    row(`put C=${c}: latency p99`, (s) => w(s)?.p99Ms, 1, 'ms');
    row(`put C=${c}: latency max`, (s) => w(s)?.maxMs, 1, 'ms');
    row(`put C=${c}: client CPU`, (s) => w(s)?.clientCpuPct, 0, '%');
    row(`put C=${c}: servers CPU (3)`, (s) => w(s)?.serverCpuPct, 0, '%');
    row(`put C=${c}: other processes' CPU`, (s) => w(s)?.otherCpuPct, 0, '%');
  }
  const g = opts.getConcurrency;
  row(`linearizable get C=${g}: throughput`, (s) => s.get?.opsPerSec, 0, 'ops/s');
  row(`linearizable get C=${g}: latency p50`, (s) => s.get?.p50Ms, 1, 'ms');
  row(`linearizable get C=${g}: latency p99`, (s) => s.get?.p99Ms, 1, 'ms');
  row(`linearizable get C=${g}: client CPU`, (s) => s.get?.clientCpuPct, 0, '%');
  row(`linearizable get C=${g}: servers CPU (3)`, (s) => s.get?.serverCpuPct, 0, '%');
  row(`linearizable get C=${g}: other processes' CPU`, (s) => s.get?.otherCpuPct, 0, '%');
  if (opts.failoverTrials > 0) {
    const gaps = (s: SystemResults): number[] => s.failovers.map((f) => f.gapMs).sort((a, b) => a - b);
    for (let i = 0; i < opts.failoverTrials; i++)
      row(`leader kill -9, C=${opts.failoverWriters}: write gap, trial ${i + 1}`, (s) => s.failovers[i]?.gapMs, 0, 'ms');
    row(`leader kill -9, C=${opts.failoverWriters}: write gap, median`, (s) => (s.failovers.length ? quantile(gaps(s), 0.5) : undefined), 0, 'ms');
  }
  return out;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (!opts) {
    process.stdout.write(HELP);
    return;
  }
  const started = Date.now();
  const processes = new ProcessRegistry();
  const etcdBinary = opts.systems.includes('etcd') ? ensureEtcd(log) : 'etcd';
  const m = machineInfo(etcdBinary);
  const machine = `${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB.toFixed(1)} GiB RAM, Node ${m.node}, etcd ${m.etcd}, data dirs on ${m.dataFs}`;
  const loadAtStart = loadavg()[0]?.toFixed(1) ?? '?';
  log(`store benchmark: ${machine}`);
  log(
    `workloads: ${VALUE_BYTES}-byte puts over ${KEY_COUNT} keys at C=${opts.putConcurrency.join(',')}, linearizable gets at C=${opts.getConcurrency}; ${opts.warmupMs} ms warm-up, ${opts.durationMs} ms measured each; ${opts.failoverTrials} leader kills with ${opts.failoverWriters} writers; ${opts.interleave ? 'interleaved (both clusters up, each workload on one system right after the other)' : 'one system after the other'}`,
  );
  log(`every member, client and this harness share the same CPUs; CPU figures are % of one core (${m.cpus * 100}% = all ${m.cpus})`);

  const runs: SystemRun[] = [];
  try {
    for (const system of opts.systems) {
      if (system === 'etcd')
        runs.push(new SystemRun(new EtcdCluster(processes, etcdBinary, { heartbeatMs: opts.etcdHeartbeatMs, electionMs: opts.etcdElectionMs }), opts));
      else if (system === 'picokube') runs.push(new SystemRun(new PicokubeCluster(processes, opts.picokubeArgs), opts));
      else throw new Error(`unknown system ${system} (picokube, etcd)`);
    }
    await runAll(runs, opts);
  } catch (e) {
    for (const r of runs) await r.stop().catch(() => undefined);
    throw e;
  } finally {
    await processes.killAll();
  }
  const results = new Map(runs.map((r) => [r.system, r.results]));

  const table = rows(results.get('picokube'), results.get('etcd'), opts);
  const settings = [...results.entries()].map(([s, r]) => `${s}: ${r.settings}`);
  log(`\n== results (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  log(`machine: ${machine}; 1-min load average ${loadAtStart} at the start, ${loadavg()[0]?.toFixed(1) ?? '?'} at the end`);
  for (const s of settings) log(s);
  log('');
  log(textTable(table));
  log('\n== markdown\n');
  log(`Machine: ${machine}; 1-min load average ${loadAtStart} at the start (the machine is shared: see "other processes' CPU").  `);
  log(`${settings.join('.  \n')}.  `);
  log(
    `${VALUE_BYTES}-byte values over ${KEY_COUNT} keys, closed-loop clients, ${opts.durationMs / 1000} s measured after ${opts.warmupMs / 1000} s warm-up, ${opts.interleave ? 'systems interleaved workload by workload' : 'one system after the other'}; CPU in % of one core, everything on the same machine.\n`,
  );
  log(markdownTable(table));
  // grpc-js and the ws client may keep handles open; the figures are out.
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
