/**
 * The picokube command: one entry point, a subcommand per process or tool.
 *   picokube up ...         start a local cluster (store replicas, apiserver); npm start
 *   picokube down ...       stop it
 *   picokube status ...     what runs of it
 *   picokube drill ...      a fault drill against it, with a report and verdicts
 *   picokube apiserver ...  the Kubernetes API server (apiserver/)
 *   picokube store ...      one store replica (raft/server)
 *   picokube storectl ...   the store's command-line client, like etcdctl
 *   picokube scheduler ...  the scheduler (scheduler/)
 *   picokube controller-manager ...  the workload controllers (controllers/)
 *   picokube node ...       node agents, the kubelet's part (nodeagent/)
 *   picokube fault-proxy ... TCP proxy on the store's links that drills cut (scripts/drill/)
 */
const [command, ...rest] = process.argv.slice(2);

const commands: Record<string, () => Promise<{ main(argv: string[]): Promise<void> }>> = {
  up: () => import('./launcher/up.js'),
  down: () => import('./launcher/down.js'),
  status: () => import('./launcher/status.js'),
  drill: () => import('./drill/drill-main.js'),
  apiserver: () => import('../apiserver/main.js'),
  store: () => import('../raft/server/main.js'),
  storectl: () => import('./storectl.js'),
  scheduler: () => import('../scheduler/main.js'),
  'controller-manager': () => import('../controllers/main.js'),
  node: () => import('../nodeagent/main.js'),
  'fault-proxy': () => import('./drill/fault-proxy.js'),
};

const load = command ? commands[command] : undefined;
if (!load) {
  process.stdout.write(
    `usage: picokube <command> [--help]\n\ncommands:\n  up         start a local cluster in .picokube/ (or --dir), kubeconfig included\n  down       stop the local cluster\n  status     show what runs of the local cluster\n  drill      run a fault drill against the local cluster (kill-store-leader, torn-wal, ... or all)\n  apiserver  run the Kubernetes API server over the store\n  store      run one replica of the replicated store\n  storectl   talk to the store (put, get, del, txn, watch, lease, member, snapshot, endpoint status)\n  scheduler  run the scheduler: binds pending pods to nodes\n  controller-manager\n             run the controllers (ReplicaSet, Deployment, Job, DaemonSet, StatefulSet, GC, ...)\n  node       run node agents (the kubelet's part): simulated or process runtime\n  fault-proxy\n             forward the store replicas' links; drills partition a replica through it\n`,
  );
  process.exit(command === undefined || command === '--help' || command === 'help' ? 0 : 2);
} else {
  const mod = await load();
  await mod.main(rest);
}
