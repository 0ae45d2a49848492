import { existsSync, mkdirSync } from 'node:fs';
import { announceUp, backgroundConsole, startInBackground } from './background-launcher.js';
import { apiserverPortsOf, ensureStoreSecret, HOST, peerPort, readClusterConfig, resolveClusterConfig, writeClusterConfig } from './cluster-config.js';
import { ClusterProcesses } from './cluster-processes.js';
import { clusterComponents, componentPortCount, nodeNames, splitComponentPorts } from './components.js';
import { writeClusterKubeconfigs } from './kubeconfig.js';
import { type ClusterLayout, clusterLayout } from './layout.js';
import { watchReloadSignal } from './membership-reload.js';
import { DEFAULT_DIR, parseUpOptions, type UpOptions, UsageError } from './options.js';
import { readPidFile } from './pid-file.js';
import { ensureClusterPki } from './pki.js';
import { freePortsOn, takenPorts, withFaultProxyPorts } from './ports.js';
import { isSameProcess } from './process-identity.js';
import { alignColumns, type Console, dirFlag, processConsole, seconds, shellQuote } from './report.js';
import { writeRestartHold } from './restart-hold.js';
import { ensureServiceAccountKey } from './service-account-key.js';
import { STOP_GRACE_MS } from './stop-processes.js';
import { watchStopSignals } from './stop-signals.js';
import { waitForStoreLeader } from './store-status.js';

const HELP = `picokube up: start a local cluster

usage: picokube up [--dir DIR] [--detach] [--nodes N] [--runtime simulated|process]
                   [--replicas 3|5] [--apiservers N] [--schedulers N] [--controller-managers N]
                   [--apiserver-port PORT] [--store-ports A,B,C] [--log-level LEVEL]
       npm start [-- FLAGS]

Starts 3 (or 5) store replicas, the apiserver(s), scheduler(s), controller-manager(s) and N node agents
on 127.0.0.1, each its own process, with data and logs under DIR. The API is served over https
with a cluster CA kept in DIR/pki; DIR/kubeconfig holds it and the admin's client certificate.
The launcher stays, restarting a process that dies (with backoff), until Ctrl-C, SIGTERM or
'picokube down' stops them all; with --detach it does so in the background. SIGUSR2 makes it
reload the store membership from DIR/cluster.json (after storectl member remove/add), restarting
replicas one at a time while the others keep a quorum. Data persists: up on the same DIR again
brings back the same cluster.

  --dir DIR              data, logs, kubeconfig and PID file (default .picokube)
  -d, --detach           return once the cluster answers, the launcher supervising it in the
                         background (log: DIR/logs/launcher.log); stop it with 'picokube down'
  --nodes N              node agents node-1 … node-N (default 3; remembered for the next up)
  --runtime RUNTIME      how node agents run containers: simulated (default: Running at once,
                         like kwok) or process (each container's command runs as a local
                         process, the image is ignored; kubectl logs shows its output)
  --apiserver-port PORT  the apiserver's port (default 6443; remembered for the next up)
  --replicas 3|5         store replicas (default 3; fixed once the cluster exists)
  --apiservers N         apiservers (default 1); several listen on the apiserver port + 1, +2, …
                         behind one front on the apiserver port, which the kubeconfig names
  --schedulers N         schedulers; one holds the Lease, the others stand by (default 1)
  --controller-managers N
                         controller-managers, as the schedulers (default 1)
                         (these three are remembered for the next up)
  --store-ports A,B,…    the store replicas' client ports; peer ports are one above each
                         (default 2379,2389,2399 and 2409,2419 for 5; fixed once the cluster exists)
  --log-level LEVEL      every process's log level (default info)
  -h, --help             this text
`;

/** How long `up` looks for the store's leader to name it (the replicas elect one well within this). */
const STORE_LEADER_WAIT_MS = 10_000;

/** How long a phase may take to become ready. */
export const READY_TIMEOUT_MS = 120_000;

export async function main(argv: string[]): Promise<void> {
  process.exitCode = await runUp(argv);
}

/** `picokube up ARGV`; resolves with the exit code once the cluster is up (--detach) or stopped. */
export async function runUp(argv: string[], io: Console = processConsole): Promise<number> {
  try {
    const options = parseUpOptions(argv);
    if (options.help) {
      io.out(HELP);
      return 0;
    }
    if (options.detach) return await startInBackground(argv, clusterLayout(options.dir), io);
    return await up(options, options.background ? backgroundConsole : io);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`picokube up: ${e.message}\n`);
    return 2;
  }
}

/** Names of the processes pids.json records that still run: a cluster from this DIR is up. */
function stillRunning(layout: ClusterLayout): string[] {
  const pids = readPidFile(layout.pidsFile);
  if (!pids) return [];
  const live = pids.processes.filter((p) => isSameProcess(p.pid, p.argv)).map((p) => `${p.name} (pid ${p.pid})`);
  if (pids.launcher && isSameProcess(pids.launcher.pid, pids.launcher.argv)) live.unshift(`the launcher (pid ${pids.launcher.pid})`);
  return live;
}

async function up(options: UpOptions, io: Console): Promise<number> {
  const layout = clusterLayout(options.dir);
  const again = dirFlag(options.dir, options.dir === DEFAULT_DIR);
  const live = stillRunning(layout);
  if (live.length > 0) {
    io.err(
      `picokube up: a cluster from ${layout.dir} is already running: ${live.join(', ')}.\n  picokube status${again}   shows it; picokube down${again}   stops it.\n`,
    );
    return 1;
  }
  const recorded = readClusterConfig(layout.configFile);
  const existing = recorded !== undefined || existsSync(layout.dataDir('store-1'));
  const resolved = resolveClusterConfig(recorded, options);
  const fixed = new Set([resolved.apiserverPort, ...apiserverPortsOf(resolved), ...resolved.storePorts, ...resolved.storePorts.map(peerPort)]);
  const config = await withFaultProxyPorts(resolved, fixed);
  const componentPorts = splitComponentPorts(config, await freePortsOn(HOST, componentPortCount(config), fixed));
  const components = clusterComponents({ config, layout, logLevel: options.logLevel, componentPorts });
  const taken = await takenPorts(
    components.flatMap((c) => c.ports),
    HOST,
  );
  if (taken.length > 0) {
    const lines = taken.map((t) => `  ${HOST}:${t.port} (${t.purpose})`).join('\n');
    io.err(
      `picokube up: ports in use, nothing started:\n${lines}\nStop what holds them, or choose others with --apiserver-port / --store-ports${existing ? ' (store ports only with a new --dir)' : ''}.\n`,
    );
    return 1;
  }
  mkdirSync(layout.logsDir, { recursive: true });
  // A drill that died mid-way may have left components held down; a new up starts them all.
  writeRestartHold(layout.restartHoldFile, new Set());
  ensureStoreSecret(layout.secretFile);
  ensureServiceAccountKey(layout.dir);
  writeClusterConfig(layout.configFile, config);
  // The cluster CA and every certificate (made once, reused), then the admin's and each component's kubeconfig.
  const pki = ensureClusterPki(layout.dir, { nodeNames: nodeNames(config) });
  writeClusterKubeconfigs({ clusterDir: layout.dir, adminFile: layout.kubeconfigFile, server: `https://${HOST}:${config.apiserverPort}`, pki });

  io.out(`picokube up: ${existing ? 'restarting the cluster' : 'starting a new cluster'} in ${layout.dir}\n`);
  // Every line about a component is aligned with the others, whichever comes first.
  const widest = components.map((c) => [c.name, c.endpoint, 'pid 0000000', '']);
  const row = (cells: string[]): string => alignColumns([...widest, cells]).at(-1) ?? '';
  const nameWidth = Math.max(...components.map((c) => c.name.length));
  // Once the last replica is ready, a line names the leader they elected (progress, not a gate).
  const lastStore = components.filter((c) => c.name.startsWith('store-')).at(-1)?.name;
  let startFailed = false;
  let leaderShown: Promise<void> = Promise.resolve();
  const showStoreLeader = (): void => {
    leaderShown = waitForStoreLeader(config, layout, STORE_LEADER_WAIT_MS, () => startFailed).then((l) => {
      if (l) io.out(`${row([`store leader: store-${l.id}, term ${l.term}`])}\n`);
    });
  };
  const procs = new ClusterProcesses(layout, {
    ready: (s, ms) => {
      io.out(`${row([s.spec.name, s.spec.endpoint, `pid ${s.record.pid}`, `ready in ${seconds(ms)}`])}\n`);
      if (s.spec.name === lastStore) showStoreLeader();
    },
    exited: (name, how, inMs) =>
      io.out(`${name} exited (${how})${inMs === undefined ? '' : `; restarting${inMs > 0 ? ` in ${seconds(inMs)}` : ''}`} (log: ${layout.logFile(name)})\n`),
    stopped: (t, outcome) => io.out(`  ${t.name.padEnd(nameWidth)}   ${`pid ${t.pid}`.padEnd(11)}   ${outcome}\n`),
    reloading: (step) => io.out(`  reload: ${step}\n`),
  });

  const signals = watchStopSignals(() => {
    io.out('picokube up: killing every process now\n');
    procs.killAllNow();
  });

  const stop = async (why: string): Promise<void> => {
    io.out(`picokube up: ${why}; stopping (SIGTERM, SIGKILL after ${seconds(STOP_GRACE_MS)})\n`);
    await procs.stopAll(STOP_GRACE_MS);
    io.out(`picokube up: stopped. Data stays in ${layout.dir}\n`);
  };

  const starting = procs.startAll(components, READY_TIMEOUT_MS);
  starting.catch(() => {
    /* read through the race below; a failure after a stop request is expected */
  });
  let outcome: 'up' | NodeJS.Signals;
  try {
    outcome = await Promise.race([starting.then(() => 'up' as const), signals.requested]);
  } catch (e) {
    startFailed = true;
    io.err(`picokube up: ${(e as Error).message}\n`);
    await stop('the cluster did not come up');
    signals.release();
    return 1;
  }
  if (outcome !== 'up') {
    startFailed = true;
    await stop(`${outcome} while starting`);
    signals.release();
    return 130;
  }

  await leaderShown;
  const kubeconfig = shellQuote(layout.kubeconfigFile);
  io.out(`\nlogs: ${layout.logsDir}/<name>.log\n` + 'The cluster is up. To use it:\n' + `  export KUBECONFIG=${kubeconfig}\n` + '  kubectl get namespaces\n');
  if (options.background) {
    io.out(
      `It runs in the background, supervised by launcher pid ${process.pid} (log: ${layout.logFile('launcher')}):\n` +
        `  picokube status${again}   shows it; picokube down${again}   stops it.\n`,
    );
    announceUp();
  } else io.out(`Ctrl-C stops it (or picokube down${again} from another terminal).\n`);
  procs.superviseRestarts();
  const reloads = watchReloadSignal({
    procs,
    config,
    layout,
    io,
    componentsFor: (c) => clusterComponents({ config: c, layout, logLevel: options.logLevel, componentPorts }),
  });
  await stop(await signals.requested);
  reloads.release();
  signals.release();
  return 0;
}
