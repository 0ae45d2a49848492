import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoreStatus } from '../../raft/client/store-client.js';
import { WsStoreClient } from '../../raft/client/ws-store-client.js';
import type { BenchCluster } from './bench-cluster.js';
import { type AdapterOptions, type KvAdapter, picokubeAdapter } from './kv-adapter.js';
import { type ProcessRegistry, freePort, isRunning, pollUntil } from './processes.js';

const ROOT = new URL('../..', import.meta.url).pathname;

interface Member {
  readonly id: number;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  proc: ChildProcess | undefined;
}

/** A 3-replica picokube store, each replica `node --import tsx scripts/picokube.ts store`. */
export class PicokubeCluster implements BenchCluster {
  readonly system = 'picokube';
  readonly settings: string;
  private readonly members: Member[] = [];
  private readonly dir: string;
  private readonly secretFile: string;
  private readonly extraArgs: readonly string[];
  /** One client per member that talks to that member only, for status. */
  private statusClient: WsStoreClient | undefined;

  constructor(
    private readonly processes: ProcessRegistry,
    extraArgs: readonly string[] = [],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'bench-picokube-'));
    this.secretFile = join(this.dir, 'secret');
    writeFileSync(this.secretFile, 'bench-secret\n', { mode: 0o600 });
    this.extraArgs = extraArgs;
    this.settings = `tick 25 ms, election 12 ticks (300-600 ms), heartbeat 2 ticks (50 ms), fsync on every append${extraArgs.length ? `, ${extraArgs.join(' ')}` : ''}`;
  }

  get endpoints(): string[] {
    return this.members.map((m) => `127.0.0.1:${m.clientPort}`);
  }

  async start(): Promise<void> {
    for (let id = 1; id <= 3; id++) {
      this.members.push({
        id,
        clientPort: await freePort(),
        peerPort: await freePort(),
        dataDir: join(this.dir, `r${id}`),
        logFile: join(this.dir, `r${id}.log`),
        proc: undefined,
      });
    }
    for (const m of this.members) this.spawn(m);
    this.statusClient = new WsStoreClient({ endpoints: this.endpoints });
    await this.waitHealthy(60_000);
  }

  private spawn(m: Member): void {
    const peers = this.members.map((x) => `${x.id}=127.0.0.1:${x.peerPort}`).join(',');
    const clients = this.members.map((x) => `${x.id}=127.0.0.1:${x.clientPort}`).join(',');
    const args = [
      '--import',
      'tsx',
      join(ROOT, 'scripts/picokube.ts'),
      'store',
      '--id',
      String(m.id),
      '--peers',
      peers,
      '--client-addresses',
      clients,
      '--client-port',
      String(m.clientPort),
      '--data-dir',
      m.dataDir,
      '--secret-file',
      this.secretFile,
      ...this.extraArgs,
    ];
    m.proc = this.processes.spawn(process.execPath, args, m.logFile, ROOT);
  }

  adapter(options: AdapterOptions): KvAdapter {
    return picokubeAdapter(this.endpoints, options);
  }

  serverPids(): number[] {
    return this.members.flatMap((m) => (isRunning(m.proc) && m.proc.pid !== undefined ? [m.proc.pid] : []));
  }

  private async status(m: Member): Promise<StoreStatus> {
    if (!this.statusClient) throw new Error('cluster not started');
    return this.statusClient.callOn<StoreStatus>(`127.0.0.1:${m.clientPort}`, { op: 'status' }, 1000);
  }

  async leaderIndex(): Promise<number> {
    const running = this.members.filter((m) => isRunning(m.proc));
    const statuses = await Promise.allSettled(running.map((m) => this.status(m)));
    for (const s of statuses) {
      if (s.status !== 'fulfilled' || s.value.leader === 0) continue;
      const i = this.members.findIndex((m) => m.id === s.value.leader);
      if (i >= 0 && isRunning(this.members[i]?.proc)) return i;
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
      'picokube: every replica up, one leader, applied up to the commit index',
      async () => {
        if (!this.members.every((m) => isRunning(m.proc))) return false;
        const statuses = await Promise.all(this.members.map((m) => this.status(m)));
        const leaders = new Set(statuses.map((s) => s.leader));
        const committed = Math.max(...statuses.map((s) => s.raftCommitIndex));
        return leaders.size === 1 && !leaders.has(0) && statuses.every((s) => s.raftAppliedIndex >= committed);
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
    await this.statusClient?.close();
    await Promise.all(this.members.map((m) => (m.proc ? this.processes.kill(m.proc) : undefined)));
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
