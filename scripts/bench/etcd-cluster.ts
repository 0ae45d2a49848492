import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3, type IStatusResponse } from 'etcd3';
import type { BenchCluster } from './bench-cluster.js';
import { type AdapterOptions, type KvAdapter, etcdAdapter } from './kv-adapter.js';
import { type ProcessRegistry, freePort, isRunning, pollUntil } from './processes.js';

interface Member {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  proc: ChildProcess | undefined;
  /** A client bound to this member alone, for its status. */
  status: Etcd3 | undefined;
}

export interface EtcdTiming {
  readonly heartbeatMs: number;
  readonly electionMs: number;
}

/** etcd's defaults (--heartbeat-interval 100, --election-timeout 1000). */
export const ETCD_DEFAULT_TIMING: EtcdTiming = { heartbeatMs: 100, electionMs: 1000 };

/** A real 3-member etcd cluster started with `--initial-cluster-state new`. */
export class EtcdCluster implements BenchCluster {
  readonly system = 'etcd';
  readonly settings: string;
  private readonly members: Member[] = [];
  private readonly dir: string;

  constructor(
    private readonly processes: ProcessRegistry,
    private readonly binary: string,
    private readonly timing: EtcdTiming = ETCD_DEFAULT_TIMING,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'bench-etcd-'));
    this.settings = `heartbeat ${timing.heartbeatMs} ms, election ${timing.electionMs} ms (randomized up to 2x), fsync on (default)`;
  }

  get endpoints(): string[] {
    return this.members.map((m) => `127.0.0.1:${m.clientPort}`);
  }

  async start(): Promise<void> {
    for (let i = 1; i <= 3; i++) {
      this.members.push({
        name: `e${i}`,
        clientPort: await freePort(),
        peerPort: await freePort(),
        dataDir: join(this.dir, `e${i}`),
        logFile: join(this.dir, `e${i}.log`),
        proc: undefined,
        status: undefined,
      });
    }
    for (const m of this.members) {
      this.spawn(m);
      m.status = new Etcd3({ hosts: `http://127.0.0.1:${m.clientPort}`, defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 1000 }) });
    }
    await this.waitHealthy(60_000);
  }

  private spawn(m: Member): void {
    const initialCluster = this.members.map((x) => `${x.name}=http://127.0.0.1:${x.peerPort}`).join(',');
    const client = `http://127.0.0.1:${m.clientPort}`;
    const peer = `http://127.0.0.1:${m.peerPort}`;
    // prettier-ignore
    const args = [
      '--name',
      m.name,
      '--data-dir',
      m.dataDir,
      '--listen-client-urls',
      client,
      '--advertise-client-urls',
      client,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      initialCluster,
      '--initial-cluster-state',
      'new',
      '--initial-cluster-token',
      'bench',
      '--heartbeat-interval',
      String(this.timing.heartbeatMs),
      '--election-timeout',
      String(this.timing.electionMs),
      '--log-level',
      'warn',
    ];
    m.proc = this.processes.spawn(this.binary, args, m.logFile);
  }

  adapter(options: AdapterOptions): KvAdapter {
    return etcdAdapter(this.endpoints, options);
  }

  serverPids(): number[] {
    return this.members.flatMap((m) => (isRunning(m.proc) && m.proc.pid !== undefined ? [m.proc.pid] : []));
  }

  private status(m: Member): Promise<IStatusResponse> {
    if (!m.status) throw new Error('cluster not started');
    return m.status.maintenance.status();
  }

  async leaderIndex(): Promise<number> {
    const running = this.members.filter((m) => isRunning(m.proc));
    const statuses = await Promise.allSettled(running.map(async (m) => ({ m, s: await this.status(m) })));
    const byId = new Map<string, Member>();
    const leaders = new Set<string>();
    for (const r of statuses) {
      if (r.status !== 'fulfilled') continue;
      byId.set(r.value.s.header.member_id, r.value.m);
      if (r.value.s.leader !== '0') leaders.add(r.value.s.leader);
    }
    for (const id of leaders) {
      const m = byId.get(id);
      if (m) return this.members.indexOf(m);
    }
    return -1;
  }

  async killMember(index: number): Promise<void> {
    const m = this.members[index];
    if (m?.proc) await this.processes.kill(m.proc);
  }

  async restartMember(index: number): Promise<void> {
    const m = this.members[index];
    if (!m) throw new Error(`no member ${index}`);
    this.spawn(m);
  }

  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await pollUntil(
      'etcd: every member up, one leader, applied up to the commit index',
      async () => {
        if (!this.members.every((m) => isRunning(m.proc))) return false;
        const statuses = await Promise.all(this.members.map((m) => this.status(m)));
        const leaders = new Set(statuses.map((s) => s.leader));
        const committed = Math.max(...statuses.map((s) => Number(s.raftIndex)));
        return leaders.size === 1 && !leaders.has('0') && statuses.every((s) => Number(s.raftAppliedIndex) >= committed);
      },
      timeoutMs,
      100,
    );
  }

  /** Where the data directories and member logs are (kept if `stop(true)`). */
  get directory(): string {
    return this.dir;
  }

  async stop(keepDir = false): Promise<void> {
    for (const m of this.members) m.status?.close();
    await Promise.all(this.members.map((m) => (m.proc ? this.processes.kill(m.proc) : undefined)));
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
