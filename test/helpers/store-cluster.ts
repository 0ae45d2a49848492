import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WsStoreClient } from '../../raft/client/ws-store-client.js';
import type { StoreStatus } from '../../raft/client/store-client.js';
import { freePort, pollUntil } from '../../scripts/bench/processes.js';

export { freePort, pollUntil };

const ROOT = new URL('../..', import.meta.url).pathname;

export interface ReplicaProc {
  readonly id: number;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  proc: ChildProcess | undefined;
}

/**
 * A real store cluster for tests: N replica processes on loopback with free ports, their own
 * data directories under one temporary folder, logs in files there. Every process is ended by
 * its PID in `stop()`; the folder is removed unless the test failed.
 */
export class StoreCluster {
  readonly replicas: ReplicaProc[] = [];
  readonly dir: string;
  readonly secretFile: string;
  private clients: WsStoreClient[] = [];

  private constructor(dir: string) {
    this.dir = dir;
    this.secretFile = join(dir, 'secret');
    writeFileSync(this.secretFile, 'test-cluster-secret\n', { mode: 0o600 });
  }

  static async start(n = 3, extraArgs: string[] = []): Promise<StoreCluster> {
    const c = await StoreCluster.prepare(n, extraArgs);
    await c.launch();
    return c;
  }

  /** Picks ports and folders without starting anything (to seed data directories first). */
  static async prepare(n = 3, extraArgs: string[] = []): Promise<StoreCluster> {
    const c = new StoreCluster(mkdtempSync(join(tmpdir(), 'picokube-store-')));
    for (let i = 1; i <= n; i++) {
      c.replicas.push({
        id: i,
        clientPort: await freePort(),
        peerPort: await freePort(),
        dataDir: join(c.dir, `r${i}`),
        logFile: join(c.dir, `r${i}.log`),
        proc: undefined,
      });
    }
    c.extraArgs = extraArgs;
    return c;
  }

  /** Starts every replica and waits for a leader; on failure ends them all and says why. */
  async launch(): Promise<void> {
    for (const r of this.replicas) this.spawn(r);
    try {
      await this.waitForLeader(60_000);
    } catch (e) {
      const tails = this.replicas.map((r) => `--- replica ${r.id} (exit ${r.proc?.exitCode ?? 'running'}):\n${this.tail(r)}`).join('\n');
      await this.stop(true);
      throw new Error(`${(e as Error).message}\n${tails}\n(logs kept in ${this.dir})`);
    }
  }

  private tail(r: ReplicaProc): string {
    try {
      return readFileSync(r.logFile, 'utf8').split('\n').slice(-6).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private readonly statusClients = new Map<string, WsStoreClient>();

  private extraArgs: string[] = [];

  get peersFlag(): string {
    return this.replicas.map((r) => `${r.id}=127.0.0.1:${r.peerPort}`).join(',');
  }

  get clientAddressesFlag(): string {
    return this.replicas.map((r) => `${r.id}=127.0.0.1:${r.clientPort}`).join(',');
  }

  get endpoints(): string[] {
    return this.replicas.map((r) => `127.0.0.1:${r.clientPort}`);
  }

  args(r: ReplicaProc, extra: string[] = []): string[] {
    return [
      '--import',
      'tsx',
      join(ROOT, 'scripts/picokube.ts'),
      'store',
      '--id',
      String(r.id),
      '--peers',
      this.peersFlag,
      '--client-addresses',
      this.clientAddressesFlag,
      '--client-port',
      String(r.clientPort),
      '--data-dir',
      r.dataDir,
      '--secret-file',
      this.secretFile,
      ...this.extraArgs,
      ...extra,
    ];
  }

  spawn(r: ReplicaProc, extra: string[] = []): ChildProcess {
    const out = openSync(r.logFile, 'a');
    const proc = spawn(process.execPath, this.args(r, extra), { cwd: ROOT, stdio: ['ignore', out, out] });
    r.proc = proc;
    return proc;
  }

  log(id: number): string {
    return readFileSync(this.replica(id).logFile, 'utf8');
  }

  replica(id: number): ReplicaProc {
    const r = this.replicas.find((x) => x.id === id);
    if (!r) throw new Error(`no replica ${id}`);
    return r;
  }

  client(opts: { attemptTimeoutMs?: number; requestTimeoutMs?: number } = {}): WsStoreClient {
    const c = new WsStoreClient({ endpoints: this.endpoints, ...opts });
    this.clients.push(c);
    return c;
  }

  /** One replica's own status, through a client kept for the purpose (reconnecting as replicas come and go). */
  async statusOf(id: number): Promise<StoreStatus> {
    const address = `127.0.0.1:${this.replica(id).clientPort}`;
    let c = this.statusClients.get(address);
    if (!c) {
      c = new WsStoreClient({ endpoints: [address] });
      this.statusClients.set(address, c);
    }
    return c.callOn<StoreStatus>(address, { op: 'status' }, 5000);
  }

  /** Waits until the running replicas agree on one leader; returns its id. */
  async waitForLeader(timeoutMs = 30_000): Promise<number> {
    return pollUntil(
      'a leader that every running replica knows',
      async () => {
        const running = this.replicas.filter((r) => r.proc && r.proc.exitCode === null && r.proc.signalCode === null);
        const statuses = await Promise.all(running.map((r) => this.statusOf(r.id)));
        const leaders = new Set(statuses.map((s) => s.leader));
        const [leader] = [...leaders];
        if (leaders.size === 1 && leader !== undefined && leader !== 0 && running.some((r) => r.id === leader)) return leader;
        return undefined;
      },
      timeoutMs,
      100,
    );
  }

  /** kill -9, and wait for the process to be gone. */
  async kill(id: number | ReplicaProc, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const r = typeof id === 'number' ? this.replica(id) : id;
    const p = r.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill(signal);
    await exited;
  }

  async restart(id: number, extra: string[] = []): Promise<ChildProcess> {
    return this.spawn(this.replica(id), extra);
  }

  async stop(keepDir = false): Promise<void> {
    for (const c of this.clients) await c.close();
    this.clients = [];
    for (const c of this.statusClients.values()) await c.close();
    this.statusClients.clear();
    await Promise.all(this.replicas.map((r) => this.kill(r)));
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
