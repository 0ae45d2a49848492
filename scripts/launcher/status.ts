import { existsSync } from 'node:fs';
import { type ApiOverview, readApiOverview } from './api-overview.js';
import { readClusterConfig } from './cluster-config.js';
import { httpStatus } from './http-probe.js';
import { type ClusterLayout, clusterLayout } from './layout.js';
import { DEFAULT_DIR, parseDirOptions, UsageError } from './options.js';
import { readPidFile } from './pid-file.js';
import { adminProbeTls } from './pki.js';
import { isSameProcess } from './process-identity.js';
import { type Console, dirFlag, processConsole } from './report.js';
import { type ProcessRow, renderStatus } from './status-screen.js';
import { type ReplicaStatusRow, readStoreStatuses } from './store-status.js';

const HELP = `picokube status: what runs of the local cluster

usage: picokube status [--dir DIR]

One screen: every process DIR/pids.json records (whether it runs and answers its readiness
check, and its role: store leader or follower, active or standby scheduler and controller-manager
by who holds their Lease), each store replica's term, revision, raft index and health, and the
nodes with their Ready condition and pod counts (through DIR/kubeconfig).
Exit code 0 when all run, 1 when some do not, 3 when none does (or nothing is recorded).

  --dir DIR    the cluster's directory (default ${DEFAULT_DIR})
  -h, --help   this text
`;

export async function main(argv: string[]): Promise<void> {
  process.exitCode = await runStatus(argv);
}

/** `picokube status ARGV`; resolves with the exit code (see HELP). */
export async function runStatus(argv: string[], io: Console = processConsole): Promise<number> {
  try {
    const options = parseDirOptions(argv);
    if (options.help) {
      io.out(HELP);
      return 0;
    }
    const layout = clusterLayout(options.dir);
    const again = dirFlag(options.dir, options.dir === DEFAULT_DIR);
    const recorded = readPidFile(layout.pidsFile);
    if (!recorded) {
      const hasData = existsSync(layout.configFile);
      io.out(`picokube status: no cluster is running from ${layout.dir}${hasData ? `\n  its data is there: picokube up${again} starts it again` : ''}\n`);
      return 3;
    }
    // The apiserver is probed as kubectl would reach it: verified against the cluster CA, as the admin.
    const tls = adminProbeTls(layout.dir);
    const rows: ProcessRow[] = await Promise.all(
      recorded.processes.map(async (p) => {
        const running = isSameProcess(p.pid, p.argv);
        const base = { name: p.name, pid: p.pid, running, endpoint: p.endpoint };
        return running ? { ...base, ready: (await httpStatus(p.readyUrl, 2000, tls)) === 200 } : base;
      }),
    );
    const [stores, api] = await Promise.all([storeFacts(layout, rows), apiFacts(layout, rows)]);
    const launcher = recorded.launcher;
    const supervisor = launcher
      ? isSameProcess(launcher.pid, launcher.argv)
        ? `supervised by launcher pid ${launcher.pid} in the ${launcher.argv.includes('--background') ? 'background' : 'foreground'}`
        : `launcher pid ${launcher.pid} is gone: nothing restarts a process that dies`
      : 'no launcher';
    io.out(`picokube cluster in ${layout.dir} (started ${recorded.startedAt}, ${supervisor})\n`);
    io.out(`${renderStatus({ processes: rows, stores, api }).join('\n')}\n`);
    io.out(`\nlogs: ${layout.logsDir}/<name>.log\nkubeconfig: ${layout.kubeconfigFile}\n`);
    const runningCount = rows.filter((r) => r.running).length;
    if (runningCount === rows.length) return 0;
    io.out(
      runningCount === 0
        ? `nothing runs; picokube down${again} clears the record\n`
        : `some processes are gone; picokube down${again} then up${again} restarts the cluster\n`,
    );
    return runningCount === 0 ? 3 : 1;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`picokube status: ${e.message}\n`);
    return 2;
  }
}

/** The replicas' own status, when the directory records a cluster and some replica runs. */
async function storeFacts(layout: ClusterLayout, rows: readonly ProcessRow[]): Promise<ReplicaStatusRow[] | undefined> {
  const config = readClusterConfig(layout.configFile);
  if (!config || !rows.some((r) => r.running && r.name.startsWith('store-'))) return undefined;
  return readStoreStatuses(config, layout);
}

/** The apiserver's view (leases, nodes, pods) through DIR/kubeconfig, when an apiserver runs. */
async function apiFacts(layout: ClusterLayout, rows: readonly ProcessRow[]): Promise<ApiOverview | { error: string } | undefined> {
  if (!existsSync(layout.kubeconfigFile) || !rows.some((r) => r.running && /^apiserver(-\d+)?$/.test(r.name))) return undefined;
  try {
    return await readApiOverview(layout.kubeconfigFile);
  } catch (e) {
    return { error: (e as Error).message };
  }
}
