import { formatFrontFlag } from '../drill/apiserver-front.js';
import { clusterLinks, type FaultProxyPorts, formatLinkFlag, linkKey, proxiedPeerList } from '../drill/link-table.js';
import { apiserverNames, apiserverPortsOf, type ClusterConfig, copyNames, HOST, peerPort, storeIdsOf } from './cluster-config.js';
import { componentKubeconfigFile } from './kubeconfig.js';
import type { ClusterLayout } from './layout.js';
import { clusterPkiFiles } from './pki.js';
import { serviceAccountKeyFiles } from './service-account-key.js';

/** A port a component listens on, checked free before anything starts. */
export interface PortUse {
  readonly port: number;
  /** What the port is for, in the refusal message: "store-2 peer port". */
  readonly purpose: string;
}

/**
 * One process of the local cluster. The launcher runs `picokube <args>` for it, appends its
 * output to its log file, and calls it ready when `readyUrl` answers 200.
 */
export interface ComponentSpec {
  /** Unique in the cluster; names the log file and the line in `status`. */
  readonly name: string;
  /**
   * Start order. Components of one phase start together (store replicas must, to elect a
   * leader); the next phase starts once all of them are ready. Stopping goes in reverse.
   */
  readonly phase: number;
  /** Arguments after `picokube`: the subcommand and its flags. */
  readonly args: readonly string[];
  readonly readyUrl: string;
  /** What to show users as the component's address. */
  readonly endpoint: string;
  readonly ports: readonly PortUse[];
}

export interface ClusterPlan {
  readonly config: ClusterConfig;
  readonly layout: ClusterLayout;
  readonly logLevel: string;
  /**
   * Health and metrics ports of the components after the apiserver, chosen free at each `up`
   * (nothing outside the cluster dials them, so they need not be stable); node agents also
   * serve container logs on theirs, which they publish in their Node's status.
   */
  readonly componentPorts: ComponentPorts;
}

export interface ComponentPorts {
  /** One per scheduler (config.schedulers), in order. */
  readonly schedulers: readonly number[];
  /** One per controller-manager (config.controllerManagers), in order. */
  readonly controllerManagers: readonly number[];
  /** One per node agent, in order. */
  readonly nodes: readonly number[];
}

/** The store's client addresses as its clients dial them: through the fault proxy when the cluster runs one. */
export function storeEndpoints(config: ClusterConfig): string[] {
  return (config.faultProxy?.clients ?? config.storePorts).map((p) => `${HOST}:${p}`);
}

/** The replicas' own client addresses, around the fault proxy (drills read a cut-off replica there). */
export function directStoreEndpoints(config: ClusterConfig): string[] {
  return config.storePorts.map((p) => `${HOST}:${p}`);
}

/**
 * `--peers` of the replica in `slot` (1-based): its own entry is its real peer address (it binds
 * it); through the fault proxy, every other entry is the proxy's port of the link slot→other.
 */
export function storePeerList(config: ClusterConfig, slot: number): string {
  const ids = storeIdsOf(config);
  const real = (s: number): string => `${HOST}:${peerPort(config.storePorts[s - 1] as number)}`;
  const self = ids[slot - 1] as number;
  if (config.faultProxy) return proxiedPeerList(config.faultProxy, HOST, ids, self, real);
  return ids.map((id, i) => `${id}=${real(i + 1)}`).join(',');
}

/** `--client-addresses` of every replica: the addresses leader hints send clients to. */
export function storeClientList(config: ClusterConfig): string {
  const endpoints = storeEndpoints(config);
  return storeIdsOf(config)
    .map((id, i) => `${id}=${endpoints[i]}`)
    .join(',');
}

/** The fault proxy in front of every replica's peer and client links, and of the apiservers when there are several. */
function faultProxyComponent(config: ClusterConfig, proxy: FaultProxyPorts): ComponentSpec {
  const links = clusterLinks(proxy, HOST, config.storePorts, peerPort);
  const front = config.apiservers > 1 ? { listenPort: config.apiserverPort, backends: apiserverPortsOf(config).map((p) => `${HOST}:${p}`) } : undefined;
  return {
    name: 'fault-proxy',
    phase: 0,
    args: [
      'fault-proxy',
      '--admin-port',
      String(proxy.adminPort),
      '--host',
      HOST,
      ...links.flatMap((l) => ['--link', formatLinkFlag(l)]),
      ...(front ? ['--front', formatFrontFlag(front)] : []),
    ],
    readyUrl: `http://${HOST}:${proxy.adminPort}/healthz`,
    endpoint: `http://${HOST}:${proxy.adminPort}`,
    ports: [
      { port: proxy.adminPort, purpose: 'fault proxy admin port' },
      ...links.map((l) => ({ port: l.listenPort, purpose: `fault proxy link ${linkKey(l)}` })),
      ...(front ? [{ port: front.listenPort, purpose: `apiserver port (the front of ${config.apiservers} apiservers)` }] : []),
    ],
  };
}

/** `picokube apiserver` arguments: the apiserver is the only store client; plain http unless TLS flags are added (tlsApiserverArgs). */
export function apiserverArgs(opts: { storeEndpoints: readonly string[]; port: number; logLevel: string }): string[] {
  return ['apiserver', '--store', opts.storeEndpoints.join(','), '--port', String(opts.port), '--host', HOST, '--log-level', opts.logLevel];
}

/**
 * The apiserver's TLS, authentication and authorization flags in a local cluster: it serves
 * https with the cluster CA's serving certificate, authenticates client certificates of that CA
 * and the ServiceAccount tokens the controller-manager signs, and authorizes as kube-apiserver does by default (Node, RBAC).
 */
export function tlsApiserverArgs(clusterDir: string): string[] {
  const pki = clusterPkiFiles(clusterDir, []);
  return [
    '--tls-cert-file',
    pki.apiserver.certFile,
    '--tls-private-key-file',
    pki.apiserver.keyFile,
    '--client-ca-file',
    pki.caFile,
    '--service-account-key-file',
    serviceAccountKeyFiles(clusterDir).publicKeyFile,
    '--authorization-mode',
    'Node,RBAC',
  ];
}

/** The node agents' names, `node-1` … `node-N`; each has its own client certificate and kubeconfig. */
export function nodeNames(config: Pick<ClusterConfig, 'nodes'>): string[] {
  return Array.from({ length: config.nodes }, (_, i) => `node-${i + 1}`);
}

/** How many health ports clusterComponents needs chosen: schedulers, controller-managers and node agents. */
export function componentPortCount(config: Pick<ClusterConfig, 'schedulers' | 'controllerManagers' | 'nodes'>): number {
  return config.schedulers + config.controllerManagers + config.nodes;
}

/** Splits `componentPortCount` free ports into the table's ComponentPorts, in that order. */
export function splitComponentPorts(config: Pick<ClusterConfig, 'schedulers' | 'controllerManagers' | 'nodes'>, ports: readonly number[]): ComponentPorts {
  const s = config.schedulers;
  const c = config.controllerManagers;
  return { schedulers: ports.slice(0, s), controllerManagers: ports.slice(s, s + c), nodes: ports.slice(s + c, s + c + config.nodes) };
}

/**
 * The controller-manager's flags in a local cluster: a node silent for 20 s is Unknown (kube's
 * 50 s is sized for real machines and networks; a local cluster wants its drills quick), and
 * local-path volumes live under DIR/volumes with the rest of the cluster's data.
 */
export function controllerManagerArgs(layout: ClusterLayout): string[] {
  return [
    'controller-manager',
    '--service-account-private-key-file',
    serviceAccountKeyFiles(layout.dir).privateKeyFile,
    '--root-ca-file',
    clusterPkiFiles(layout.dir, []).caFile,
    '--node-monitor-grace-period',
    '20s',
    '--local-path-dir',
    layout.dataDir('volumes'),
  ];
}

/** The store's door: only clients holding the cluster secret (the apiserver, storectl) reach the data. */
const STORE_DOOR = ['--client-auth', 'secret'];

/**
 * The process table of a local cluster. A new component (scheduler, controller-manager, node
 * agents) is one more entry here, in the phase after the one it needs.
 */
export function clusterComponents(plan: ClusterPlan): ComponentSpec[] {
  const { config, layout, logLevel } = plan;
  const ids = storeIdsOf(config);
  const clients = storeClientList(config);
  const stores: ComponentSpec[] = ids.map((id, i) => {
    const name = `store-${id}`;
    const port = config.storePorts[i] as number;
    const peers = storePeerList(config, i + 1);
    return {
      name,
      phase: 1,
      args: [
        'store',
        '--id',
        String(id),
        '--peers',
        peers,
        '--client-addresses',
        clients,
        '--client-port',
        String(port),
        '--host',
        HOST,
        '--data-dir',
        layout.dataDir(name),
        '--secret-file',
        layout.secretFile,
        ...STORE_DOOR,
        '--log-level',
        logLevel,
        // A replica added after the cluster was founded (replace-store-member) never bootstraps:
        // with its disk empty it waits to be added again, instead of founding a cluster of its own.
        ...(id > config.storePorts.length ? ['--join'] : []),
      ],
      readyUrl: `http://${HOST}:${port}/readyz`,
      endpoint: `${HOST}:${port}`,
      ports: [
        { port, purpose: `${name} client port` },
        { port: peerPort(port), purpose: `${name} peer port` },
      ],
    };
  });
  // All alike over the one store; several sit behind the front on the apiserver port (apiserverPortsOf).
  if (config.apiservers > 1 && !config.faultProxy) throw new Error('more than one apiserver needs the fault proxy: it hosts their front');
  const apiserverPorts = apiserverPortsOf(config);
  const apiservers: ComponentSpec[] = apiserverNames(config).map((name, i) => {
    const port = apiserverPorts[i] as number;
    return {
      name,
      phase: 2,
      args: [
        ...apiserverArgs({ storeEndpoints: storeEndpoints(config), port, logLevel }),
        '--store-secret-file',
        layout.secretFile,
        ...tlsApiserverArgs(layout.dir),
      ],
      readyUrl: `https://${HOST}:${port}/readyz`,
      endpoint: `https://${HOST}:${port}`,
      ports: [{ port, purpose: port === config.apiserverPort ? 'apiserver port' : `${name}'s own port` }],
    };
  });
  // Each component its own kubeconfig, with its own client certificate (its identity for RBAC);
  // a standby (`scheduler-2`) shares its role's identity and kubeconfig (`scheduler`).
  const client = (name: string, port: number, args: string[], identity = name): ComponentSpec => ({
    name,
    phase: 3,
    args: [...args, '--kubeconfig', componentKubeconfigFile(layout.dir, identity), '--port', String(port), '--log-level', logLevel],
    readyUrl: `http://${HOST}:${port}/readyz`,
    endpoint: `${HOST}:${port}`,
    ports: [{ port, purpose: `${name} port` }],
  });
  const ports = plan.componentPorts;
  const nodes = ports.nodes
    .slice(0, config.nodes)
    .map((port, i) => client(`node-${i + 1}`, port, ['node', '--name', `node-${i + 1}`, '--runtime', config.runtime]));
  return [
    ...(config.faultProxy ? [faultProxyComponent(config, config.faultProxy)] : []),
    ...stores,
    ...apiservers,
    ...copyNames('scheduler', config.schedulers).map((name, i) => client(name, ports.schedulers[i] as number, ['scheduler'], 'scheduler')),
    ...copyNames('controller-manager', config.controllerManagers).map((name, i) =>
      client(name, ports.controllerManagers[i] as number, controllerManagerArgs(layout), 'controller-manager'),
    ),
    ...nodes,
  ];
}

/** Components grouped by phase, in start order. */
export function phases<T extends { readonly phase: number }>(components: readonly T[]): T[][] {
  const byPhase = new Map<number, T[]>();
  for (const c of components) byPhase.set(c.phase, [...(byPhase.get(c.phase) ?? []), c]);
  return [...byPhase.entries()].sort(([a], [b]) => a - b).map(([, cs]) => cs);
}
