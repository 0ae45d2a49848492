import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { machineBusyCpuSeconds, processCpuSeconds } from './processes.js';
import { quantile } from './workload.js';

/** One answer, read to its end. */
export interface HttpAnswer {
  readonly status: number;
  readonly body: Buffer;
}

/**
 * Plain HTTP/1.1 to one server over keep-alive sockets (at most `maxSockets` at once), so a
 * closed-loop client reuses its connection and the figures hold no TCP handshakes.
 */
export class KeepAliveClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, maxSockets: number) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** Sends `body` (JSON-encoded unless already a string) and resolves with the whole answer; rejects only on a transport error. */
  send(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = Buffer.byteLength(payload);
    }
    return new Promise((resolve, reject) => {
      const req = request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.once('error', reject);
      });
      req.once('error', reject);
      req.end(payload);
    });
  }

  /** Like `send`, but a status outside 2xx is an error carrying the answer's message. */
  async ok(method: string, path: string, body?: unknown, contentType?: string): Promise<HttpAnswer> {
    const answer = await this.send(method, path, body, contentType);
    if (answer.status < 200 || answer.status > 299) throw new Error(`${method} ${path}: ${answer.status} ${answer.body.toString('utf8').slice(0, 300)}`);
    return answer;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Latency and throughput of one closed-loop run, with the CPU each side used meanwhile. */
export interface LoadResult {
  readonly concurrency: number;
  readonly ops: number;
  readonly errors: number;
  readonly seconds: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The first error message seen, to say what failed. */
  readonly firstError?: string;
  /** % of one core, over the run. */
  readonly apiserverCpuPct: number;
  readonly storesCpuPct: number;
  readonly clientCpuPct: number;
  /** Every other process on the (shared) machine, % of one core. */
  readonly otherCpuPct: number;
}

export interface LoadSpec {
  readonly concurrency: number;
  /** The run ends after this many operations, or after `maxMs`, whichever comes first. */
  readonly ops: number;
  readonly maxMs: number;
}

export interface CpuPids {
  readonly apiserver: number;
  readonly stores: readonly number[];
}

/**
 * `concurrency` clients, each sending operation i (a shared counter, 0..ops-1) and waiting for
 * its answer before taking the next. `op` resolves when the operation succeeded and throws when
 * it failed; failures count as errors, not latencies.
 */
export async function runClosedLoop(spec: LoadSpec, pids: CpuPids, op: (i: number) => Promise<void>): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const start = performance.now();
  const deadline = start + spec.maxMs;
  const cpu0 = cpuSnapshot(pids);
  const worker = async (): Promise<void> => {
    while (next < spec.ops && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      try {
        await op(i);
        latencies.push(performance.now() - t0);
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, () => worker()));
  const seconds = (performance.now() - start) / 1000;
  const cpu = cpuPercents(cpu0, cpuSnapshot(pids), seconds);
  latencies.sort((a, b) => a - b);
  return {
    concurrency: spec.concurrency,
    ops: latencies.length,
    errors,
    seconds,
    opsPerSec: latencies.length / seconds,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
    ...(firstError === undefined ? {} : { firstError }),
    ...cpu,
  };
}

/** CPU seconds so far of each side, and of the whole machine. */
export interface CpuSnapshot {
  readonly apiserver: number;
  readonly stores: number;
  readonly client: number;
  readonly machine: number;
}

export function cpuSnapshot(pids: CpuPids): CpuSnapshot {
  const own = process.cpuUsage();
  return {
    apiserver: processCpuSeconds(pids.apiserver),
    stores: pids.stores.reduce((s, pid) => s + processCpuSeconds(pid), 0),
    client: (own.user + own.system) / 1e6,
    machine: machineBusyCpuSeconds(),
  };
}

/** CPU used between two snapshots, as % of one core; "other" is the machine's busy time nobody here used. */
export function cpuPercents(
  a: CpuSnapshot,
  b: CpuSnapshot,
  seconds: number,
): Pick<LoadResult, 'apiserverCpuPct' | 'storesCpuPct' | 'clientCpuPct' | 'otherCpuPct'> {
  const pct = (s: number): number => (s / seconds) * 100;
  const apiserver = b.apiserver - a.apiserver;
  const stores = b.stores - a.stores;
  const client = b.client - a.client;
  return {
    apiserverCpuPct: pct(apiserver),
    storesCpuPct: pct(stores),
    clientCpuPct: pct(client),
    otherCpuPct: Math.max(0, pct(b.machine - a.machine - apiserver - stores - client)),
  };
}
