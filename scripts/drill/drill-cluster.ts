import { restClientOptionsFromFlags } from '../../kube/client/connection-flags.js';
import { RestClient } from '../../kube/client/rest-client.js';
import type { StoreStatus } from '../../raft/client/store-client.js';
import { WsStoreClient, type WsStoreClientOptions } from '../../raft/client/ws-store-client.js';
import { loadSecret } from '../../raft/transport/secret.js';
import { pollUntil } from '../bench/processes.js';
import { type ClusterConfig, readClusterConfig, storeIdsOf, writeClusterConfig } from '../launcher/cluster-config.js';
import { directStoreEndpoints, storeEndpoints } from '../launcher/components.js';
import { httpStatus } from '../launcher/http-probe.js';
import { type ClusterLayout, clusterLayout } from '../launcher/layout.js';
import { RELOAD_SIGNAL } from '../launcher/membership-reload.js';
import { UsageError } from '../launcher/options.js';
import { type PidFile, type PidRecord, readPidFile, writePidFile } from '../launcher/pid-file.js';
import { isSameProcess } from '../launcher/process-identity.js';
import { readRestartHold, writeRestartHold } from '../launcher/restart-hold.js';
import { restartRecorded, waitReady } from '../launcher/start-component.js';

/** How long a component brought back may take to answer its readiness check. */
const BACK_READY_MS = 90_000;

/**
 * The running cluster a drill works on: the one `picokube up` started in DIR, found through its
 * cluster.json and pids.json. It kills, pauses and brings back components by their recorded PID
 * (only while the command line still matches), keeps killed ones down through the restart hold
 * (restart-hold.ts) so the launcher does not restart them before the drill is done, and starts
 * them again itself when no launcher supervises (its launcher was killed).
 */
export class DrillCluster {
  private constructor(
    readonly layout: ClusterLayout,
    private cfg: ClusterConfig,
  ) {}

  /** The cluster's configuration as of the last change a drill made (replace-store-member changes a slot's id). */
  get config(): ClusterConfig {
    return this.cfg;
  }

  /** Records a changed configuration in cluster.json, so later `up`, `status` and drills see it. */
  updateConfig(config: ClusterConfig): void {
    writeClusterConfig(this.layout.configFile, config);
    this.cfg = config;
  }

  /** Throws a UsageError when DIR holds no running cluster. */
  static open(dir: string): DrillCluster {
    const layout = clusterLayout(dir);
    const config = readClusterConfig(layout.configFile);
    const pids = readPidFile(layout.pidsFile);
    if (!config || !pids?.processes.some((p) => isSameProcess(p.pid, p.argv))) {
      throw new UsageError(`no cluster runs from ${layout.dir}: start one with 'picokube up --detach --dir ${dir}' (or in another terminal without --detach)`);
    }
    return new DrillCluster(layout, config);
  }

  pids(): PidFile {
    const pids = readPidFile(this.layout.pidsFile);
    if (!pids) throw new Error(`${this.layout.pidsFile} is gone: the cluster was stopped under the drill`);
    return pids;
  }

  record(name: string): PidRecord {
    const r = this.pids().processes.find((p) => p.name === name);
    if (!r) throw new Error(`the cluster has no component ${name}`);
    return r;
  }

  names(pattern: RegExp): string[] {
    return this.pids()
      .processes.map((p) => p.name)
      .filter((n) => pattern.test(n));
  }

  storeNames(): string[] {
    return this.names(/^store-\d+$/);
  }

  /** True while the `up` that started the cluster supervises (and restarts) its components. */
  launcherSupervises(): boolean {
    const l = this.pids().launcher;
    return l !== undefined && isSameProcess(l.pid, l.argv);
  }

  /**
   * Asks the supervising launcher to reload the store membership from cluster.json (SIGUSR2,
   * membership-reload.ts); `done` resolves with its outcome ("ok" or what failed) once pids.json
   * records the reload.
   */
  reloadLauncher(): { launcherPid: number; done(timeoutMs: number): Promise<string> } {
    const pids = this.pids();
    const launcher = pids.launcher;
    if (!launcher || !isSameProcess(launcher.pid, launcher.argv)) throw new Error('no launcher supervises this cluster');
    const before = pids.reloads?.count ?? 0;
    process.kill(launcher.pid, RELOAD_SIGNAL);
    return {
      launcherPid: launcher.pid,
      done: (timeoutMs) =>
        pollUntil(
          'the launcher to finish the reload',
          () => {
            const r = this.pids().reloads;
            return r && r.count > before ? r.outcome : undefined;
          },
          timeoutMs,
          200,
        ),
    };
  }

  /** The record of component `name` once pids.json names it and it runs. */
  async running(name: string, timeoutMs: number): Promise<PidRecord> {
    return pollUntil(
      `${name} to run`,
      () => {
        const r = this.pids().processes.find((p) => p.name === name);
        return r && isSameProcess(r.pid, r.argv) ? r : undefined;
      },
      timeoutMs,
      100,
    );
  }

  /** The slot (1-based position in cluster.json's storePorts) of store replica `id`. */
  slotOf(id: number): number {
    const slot = storeIdsOf(this.config).indexOf(id) + 1;
    if (slot === 0) throw new Error(`no store replica ${id}`);
    return slot;
  }

  /** The client address of store replica `id` (store-ID), as the apiserver dials it (through the fault proxy, if any). */
  storeEndpoint(id: number): string {
    return storeEndpoints(this.config)[this.slotOf(id) - 1] as string;
  }

  /** The client address replica `id` listens on itself, around the fault proxy. */
  directStoreEndpoint(id: number): string {
    return directStoreEndpoints(this.config)[this.slotOf(id) - 1] as string;
  }

  storeEndpoints(): string[] {
    return storeEndpoints(this.config);
  }

  /** The fault proxy's admin URL, when the cluster runs one. */
  faultProxyUrl(): string | undefined {
    const p = this.config.faultProxy;
    return p ? `http://127.0.0.1:${p.adminPort}` : undefined;
  }

  /** The cluster secret, for replicas that demand it of clients (--client-auth secret). */
  storeSecret(): Uint8Array | undefined {
    try {
      return loadSecret({ file: this.layout.secretFile });
    } catch {
      return undefined;
    }
  }

  storeClient(options: Partial<WsStoreClientOptions> = {}): WsStoreClient {
    const secret = this.storeSecret();
    return new WsStoreClient({
      endpoints: this.storeEndpoints(),
      attemptTimeoutMs: 1000,
      requestTimeoutMs: 5000,
      keepaliveIntervalMs: 500,
      ...(secret ? { secret } : {}),
      ...options,
    });
  }

  /** A client of the apiserver as kubectl reaches it: through DIR/kubeconfig. */
  apiClient(): RestClient {
    return new RestClient(
      restClientOptionsFromFlags({ kubeconfig: this.layout.kubeconfigFile }, { userAgent: 'picokube-drill', requestTimeoutMs: 10_000, maxRetries: 0 }),
    );
  }

  /** The replica every running replica names as leader, once they agree. */
  async leader(timeoutMs = 30_000): Promise<number> {
    const client = this.storeClient({ requestTimeoutMs: 2000 });
    try {
      return await pollUntil(
        'a store leader every live replica knows',
        async () => {
          const rows = await client.statusAll();
          const up = rows.filter((r): r is typeof r & { status: StoreStatus } => r.status !== undefined);
          const leaders = new Set(up.map((r) => r.status.leader));
          const [leader] = [...leaders];
          return up.length > 0 && leaders.size === 1 && leader !== undefined && leader !== 0 && up.some((r) => r.status.id === leader) ? leader : undefined;
        },
        timeoutMs,
        100,
      );
    } finally {
      await client.close();
    }
  }

  async statusOf(id: number): Promise<StoreStatus | undefined> {
    const client = this.storeClient({ requestTimeoutMs: 2000 });
    try {
      const rows = await client.statusAll();
      return rows.find((r) => r.address === this.storeEndpoint(id))?.status;
    } finally {
      await client.close();
    }
  }

  /** Replica `id`'s own status, asked at its real client port (answers while the proxy cuts it off). */
  async directStatusOf(id: number, timeoutMs = 2000): Promise<StoreStatus | undefined> {
    const endpoint = this.directStoreEndpoint(id);
    const client = this.storeClient({ endpoints: [endpoint], requestTimeoutMs: timeoutMs });
    try {
      return await client.callOn<StoreStatus>(endpoint, { op: 'status' }, timeoutMs);
    } catch {
      return undefined;
    } finally {
      await client.close();
    }
  }

  /** Signals a component by its recorded PID; returns the PID signalled. */
  signal(name: string, sig: NodeJS.Signals): number {
    const r = this.record(name);
    if (!isSameProcess(r.pid, r.argv)) throw new Error(`${name} (pid ${r.pid}) is not running`);
    process.kill(r.pid, sig);
    return r.pid;
  }

  /** Keeps `names` down: the launcher will not restart them until `release`. */
  hold(names: readonly string[]): void {
    const held = readRestartHold(this.layout.restartHoldFile);
    for (const n of names) held.add(n);
    writeRestartHold(this.layout.restartHoldFile, held);
  }

  /** kill -9 after putting the component on hold; resolves once it is gone. */
  async kill(name: string): Promise<number> {
    this.hold([name]);
    const r = this.record(name);
    this.signal(name, 'SIGKILL');
    await pollUntil(`${name} to exit`, () => !isSameProcess(r.pid, r.argv), 10_000, 20);
    return r.pid;
  }

  /**
   * Releases the hold on `names` and waits until each runs again and is ready: restarted by the
   * launcher, or by the drill when none supervises.
   */
  async bringBack(names: readonly string[]): Promise<void> {
    const held = readRestartHold(this.layout.restartHoldFile);
    for (const n of names) held.delete(n);
    writeRestartHold(this.layout.restartHoldFile, held);
    const dead = names.filter((n) => {
      const r = this.record(n);
      return !isSameProcess(r.pid, r.argv);
    });
    if (!this.launcherSupervises()) {
      const pids = this.pids();
      const restarted = pids.processes.map((p) => (dead.includes(p.name) ? restartRecorded(p) : p));
      writePidFile(this.layout.pidsFile, { ...pids, processes: restarted });
    }
    await Promise.all(
      names.map(async (n) => {
        const r = await pollUntil(
          `${n} to run again`,
          () => {
            const rec = this.record(n);
            return isSameProcess(rec.pid, rec.argv) ? rec : undefined;
          },
          BACK_READY_MS,
          100,
        );
        await waitReady(r, BACK_READY_MS);
      }),
    );
  }

  /**
   * With no launcher supervising (it was killed), restarts every recorded process that has
   * exited and is not held down, and waits until each is ready: the scheduler and the
   * controller-manager exit when they lose their Lease (as kube's do, for their supervisor to
   * restart them), which a long store outage causes. Returns the names restarted.
   */
  async restartExited(): Promise<string[]> {
    if (this.launcherSupervises()) return [];
    const held = readRestartHold(this.layout.restartHoldFile);
    const pids = this.pids();
    const exited = pids.processes.filter((p) => !held.has(p.name) && !isSameProcess(p.pid, p.argv)).map((p) => p.name);
    if (exited.length === 0) return [];
    const processes = pids.processes.map((p) => (exited.includes(p.name) ? restartRecorded(p) : p));
    writePidFile(this.layout.pidsFile, { ...pids, processes });
    await Promise.all(processes.filter((p) => exited.includes(p.name)).map((p) => waitReady(p, BACK_READY_MS)));
    return exited;
  }

  /**
   * Waits until every recorded component runs and answers its readiness check, each as the
   * launcher (re)started it; returns the names it had to wait for.
   */
  async untilWhole(timeoutMs = BACK_READY_MS): Promise<string[]> {
    const waited: string[] = [];
    for (const name of this.pids().processes.map((p) => p.name)) {
      const now = this.record(name);
      if (isSameProcess(now.pid, now.argv) && (await httpStatus(now.readyUrl, 2000)) === 200) continue;
      waited.push(name);
      await waitReady(await this.running(name, timeoutMs), timeoutMs);
    }
    return waited;
  }

  /** Releases every hold this drill left (the drill's finally). */
  releaseAll(): void {
    writeRestartHold(this.layout.restartHoldFile, new Set());
  }
}
