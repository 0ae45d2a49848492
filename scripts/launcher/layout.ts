import { join, resolve } from 'node:path';

/**
 * Where a local cluster keeps its files, all under one directory (`.picokube/` by default):
 *
 *   cluster.json     the ports and token chosen on the first `up` (kept so a restart is the same cluster)
 *   store-secret     the secret the store replicas prove to each other
 *   store-N/         replica N's WAL and snapshots
 *   logs/NAME.log    each process's output, appended across restarts
 *   pids.json        what runs now (written by `up`, removed by `down`)
 *   kubeconfig       for kubectl and client-node
 *   restart-hold.json  components a fault drill keeps down (restart-hold.ts)
 *
 * The store's names (`store-secret`, `store-N/`) are those the earlier `npm start` used, so a
 * directory it created is picked up as the same cluster.
 */
export interface ClusterLayout {
  readonly dir: string;
  readonly configFile: string;
  readonly secretFile: string;
  readonly pidsFile: string;
  readonly kubeconfigFile: string;
  readonly logsDir: string;
  readonly restartHoldFile: string;
  dataDir(component: string): string;
  logFile(component: string): string;
}

export function clusterLayout(dir: string): ClusterLayout {
  const root = resolve(dir);
  return {
    dir: root,
    configFile: join(root, 'cluster.json'),
    secretFile: join(root, 'store-secret'),
    pidsFile: join(root, 'pids.json'),
    kubeconfigFile: join(root, 'kubeconfig'),
    logsDir: join(root, 'logs'),
    restartHoldFile: join(root, 'restart-hold.json'),
    dataDir: (component) => join(root, component),
    logFile: (component) => join(root, 'logs', `${component}.log`),
  };
}
