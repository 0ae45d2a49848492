import { HOST, type ClusterConfig, peerPort } from './cluster-config.js';
import type { ClusterLayout } from './layout.js';

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
  readonly scheduler: number;
  readonly controllerManager: number;
  /** One per node agent, in order. */
  readonly nodes: readonly number[];
}

export function storeEndpoints(config: ClusterConfig): string[] {
  return config.storePorts.map((p) => `${HOST}:${p}`);
}

/** `picokube apiserver` arguments: the apiserver is the only store client, on plain http. */
export function apiserverArgs(opts: { storeEndpoints: readonly string[]; port: number; logLevel: string }): string[] {
  return ['apiserver', '--store', opts.storeEndpoints.join(','), '--port', String(opts.port), '--host', HOST, '--log-level', opts.logLevel];
}

/**
 * The process table of a local cluster. A new component (scheduler, controller-manager, node
 * agents) is one more entry here, in the phase after the one it needs.
 */
export function clusterComponents(plan: ClusterPlan): ComponentSpec[] {
  const { config, layout, logLevel } = plan;
  const ids = config.storePorts.map((_, i) => i + 1);
  const portOf = (id: number): number => config.storePorts[id - 1] as number;
  const peers = ids.map((id) => `${id}=${HOST}:${peerPort(portOf(id))}`).join(',');
  const clients = ids.map((id) => `${id}=${HOST}:${portOf(id)}`).join(',');
  const stores: ComponentSpec[] = ids.map((id) => {
    const name = `store-${id}`;
    const port = portOf(id);
    return {
      name,
      phase: 1,
      args: ['store', '--id', String(id), '--peers', peers, '--client-addresses', clients, '--client-port', String(port), '--host', HOST, '--data-dir', layout.dataDir(name), '--secret-file', layout.secretFile, '--log-level', logLevel],
      readyUrl: `http://${HOST}:${port}/readyz`,
      endpoint: `${HOST}:${port}`,
      ports: [
        { port, purpose: `${name} client port` },
        { port: peerPort(port), purpose: `${name} peer port` },
      ],
    };
  });
  const apiserver: ComponentSpec = {
    name: 'apiserver',
    phase: 2,
    args: apiserverArgs({ storeEndpoints: storeEndpoints(config), port: config.apiserverPort, logLevel }),
    readyUrl: `http://${HOST}:${config.apiserverPort}/readyz`,
    endpoint: `http://${HOST}:${config.apiserverPort}`,
    ports: [{ port: config.apiserverPort, purpose: 'apiserver port' }],
  };
  const kubeconfig = ['--kubeconfig', layout.kubeconfigFile];
  const client = (name: string, port: number, args: string[]): ComponentSpec => ({
    name,
    phase: 3,
    args: [...args, ...kubeconfig, '--port', String(port), '--log-level', logLevel],
    readyUrl: `http://${HOST}:${port}/readyz`,
    endpoint: `${HOST}:${port}`,
    ports: [{ port, purpose: `${name} port` }],
  });
  const ports = plan.componentPorts;
  const nodes = ports.nodes.slice(0, config.nodes).map((port, i) => client(`node-${i + 1}`, port, ['node', '--name', `node-${i + 1}`, '--runtime', config.runtime]));
  return [
    ...stores,
    apiserver,
    client('scheduler', ports.scheduler, ['scheduler']),
    client('controller-manager', ports.controllerManager, ['controller-manager']),
    ...nodes,
  ];
}

/** Components grouped by phase, in start order. */
export function phases<T extends { readonly phase: number }>(components: readonly T[]): T[][] {
  const byPhase = new Map<number, T[]>();
  for (const c of components) byPhase.set(c.phase, [...(byPhase.get(c.phase) ?? []), c]);
  return [...byPhase.entries()].sort(([a], [b]) => a - b).map(([, cs]) => cs);
}
