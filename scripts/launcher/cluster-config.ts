import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isPlainObject } from '../../kube/object.js';
import { type FaultProxyPorts, proxyPortsFit } from '../drill/link-table.js';
import {
  DEFAULT_APISERVER_PORT,
  DEFAULT_NODES,
  defaultStorePorts,
  MAX_CONTROL_PLANE_COPIES,
  NODE_RUNTIMES,
  type NodeRuntime,
  STORE_REPLICA_COUNTS,
  STORE_REPLICAS,
  type UpOptions,
  UsageError,
} from './options.js';

/**
 * The choices that make a directory one cluster, recorded in DIR/cluster.json on the first `up`.
 * The store ports are part of the cluster's identity: the replicas' membership (in their data
 * directories) names each peer by address, so they cannot change on a restart. The apiserver
 * port may; the token stays so that kubeconfigs handed out earlier keep working.
 */
export interface ClusterConfig {
  /** Client port of each store replica, in replica-id order; the peer port is one above. */
  readonly storePorts: readonly number[];
  readonly apiserverPort: number;
  /** Bearer token written into the kubeconfig. */
  readonly token: string;
  /** Node agents `node-1` … `node-N` (files from before node agents existed lack it: 3). */
  readonly nodes: number;
  readonly runtime: NodeRuntime;
  /** Apiservers `apiserver`, `apiserver-2` … on apiserverPort, +1, …; the kubeconfig names the first (files from before: 1). */
  readonly apiservers: number;
  /** Schedulers `scheduler`, `scheduler-2` …: one holds the Lease, the others stand by (files from before: 1). */
  readonly schedulers: number;
  /** Controller-managers `controller-manager`, `controller-manager-2` …, as the schedulers (files from before: 1). */
  readonly controllerManagers: number;
  /**
   * The fault proxy's ports (scripts/drill/fault-proxy.ts), chosen free on the first `up` that
   * runs one: the replicas' --peers and the apiserver's --store name them, so they stay.
   */
  readonly faultProxy?: FaultProxyPorts;
  /** The store replica id in each slot of storePorts (default 1…N); replace-store-member gives a slot a new id. */
  readonly storeIds?: readonly number[];
}

/** The replica id of each store slot. */
export function storeIdsOf(config: Pick<ClusterConfig, 'storePorts' | 'storeIds'>): number[] {
  return config.storeIds ? [...config.storeIds] : config.storePorts.map((_, i) => i + 1);
}

function isFaultProxyPorts(v: unknown, replicas: number): v is FaultProxyPorts {
  const port = (p: unknown): boolean => Number.isInteger(p) && (p as number) > 0 && (p as number) <= 65535;
  return (
    isPlainObject(v) &&
    port(v.adminPort) &&
    isPlainObject(v.peers) &&
    Object.values(v.peers).every(port) &&
    Array.isArray(v.clients) &&
    v.clients.every(port) &&
    proxyPortsFit(v as unknown as FaultProxyPorts, replicas)
  );
}

function isStoreIds(v: unknown, replicas: number): v is number[] {
  return Array.isArray(v) && v.length === replicas && v.every((id) => Number.isSafeInteger(id) && id > 0) && new Set(v).size === v.length;
}

export const HOST = '127.0.0.1';

export function peerPort(clientPort: number): number {
  return clientPort + 1;
}

/** Reads DIR/cluster.json; undefined when there is none yet. A damaged file is a UsageError naming it. */
export function readClusterConfig(file: string): ClusterConfig | undefined {
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON (${(e as Error).message}); fix or remove it`);
  }
  const ok =
    isPlainObject(raw) &&
    Array.isArray(raw.storePorts) &&
    STORE_REPLICA_COUNTS.includes(raw.storePorts.length) &&
    raw.storePorts.every((p) => Number.isInteger(p)) &&
    Number.isInteger(raw.apiserverPort) &&
    typeof raw.token === 'string' &&
    raw.token.length > 0;
  if (!ok) throw new UsageError(`${file} does not hold {storePorts: [${STORE_REPLICA_COUNTS.join(' or ')} ports], apiserverPort, token}; fix or remove it`);
  const r = raw as {
    storePorts: number[];
    apiserverPort: number;
    token: string;
    nodes?: unknown;
    runtime?: unknown;
    faultProxy?: unknown;
    storeIds?: unknown;
  } & Record<string, unknown>;
  const copies = (v: unknown): number => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_CONTROL_PLANE_COPIES ? (v as number) : 1);
  const nodes = Number.isInteger(r.nodes) ? (r.nodes as number) : DEFAULT_NODES;
  const runtime = NODE_RUNTIMES.find((x) => x === r.runtime) ?? 'simulated';
  const replicas = r.storePorts.length;
  return {
    storePorts: r.storePorts,
    apiserverPort: r.apiserverPort,
    token: r.token,
    nodes,
    runtime,
    apiservers: copies(r.apiservers),
    schedulers: copies(r.schedulers),
    controllerManagers: copies(r.controllerManagers),
    ...(isFaultProxyPorts(r.faultProxy, replicas) ? { faultProxy: r.faultProxy } : {}),
    ...(isStoreIds(r.storeIds, replicas) ? { storeIds: r.storeIds } : {}),
  };
}

export function writeClusterConfig(file: string, config: ClusterConfig): void {
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

/**
 * The configuration to run: the recorded one with the command line's changes, or a new one.
 * Refuses store ports that differ from the recorded ones, and any port clash within the cluster.
 */
export function resolveClusterConfig(
  recorded: ClusterConfig | undefined,
  options: Pick<UpOptions, 'storePorts' | 'apiserverPort' | 'nodes' | 'runtime' | 'replicas' | 'apiservers' | 'schedulers' | 'controllerManagers'>,
  newToken = () => randomBytes(24).toString('base64url'),
): ClusterConfig {
  if (recorded && options.replicas !== undefined && options.replicas !== recorded.storePorts.length) {
    throw new UsageError(
      `this directory's store was created with ${recorded.storePorts.length} replicas; its membership is in their data, so --replicas cannot change it. Leave out --replicas, or use a new --dir for a new cluster`,
    );
  }
  const storePorts = options.storePorts ?? recorded?.storePorts ?? defaultStorePorts(options.replicas ?? STORE_REPLICAS);
  if (options.replicas !== undefined && storePorts.length !== options.replicas) {
    throw new UsageError(`--store-ports: expected ${options.replicas} ports (one per store replica, --replicas ${options.replicas}), got ${storePorts.length}`);
  }
  if (recorded && options.storePorts && options.storePorts.join(',') !== recorded.storePorts.join(',')) {
    throw new UsageError(
      `this directory's store was created with --store-ports ${recorded.storePorts.join(',')}; its replicas know each other by those addresses, so they cannot change. Leave out --store-ports, or use a new --dir for a new cluster`,
    );
  }
  const config: ClusterConfig = {
    storePorts: [...storePorts],
    apiserverPort: options.apiserverPort ?? recorded?.apiserverPort ?? DEFAULT_APISERVER_PORT,
    token: recorded?.token ?? newToken(),
    nodes: options.nodes ?? recorded?.nodes ?? DEFAULT_NODES,
    runtime: options.runtime ?? recorded?.runtime ?? 'simulated',
    apiservers: options.apiservers ?? recorded?.apiservers ?? 1,
    schedulers: options.schedulers ?? recorded?.schedulers ?? 1,
    controllerManagers: options.controllerManagers ?? recorded?.controllerManagers ?? 1,
    ...(recorded?.faultProxy ? { faultProxy: recorded.faultProxy } : {}),
    ...(recorded?.storeIds ? { storeIds: recorded.storeIds } : {}),
  };
  checkPortsDistinct(config);
  return config;
}

function checkPortsDistinct(config: ClusterConfig): void {
  const uses = new Map<number, string>();
  const claim = (port: number, what: string): void => {
    if (port > 65535) throw new UsageError(`${what} would be port ${port}, above 65535; pick lower --store-ports`);
    const other = uses.get(port);
    if (other)
      throw new UsageError(
        `port ${port} is asked for twice: ${other} and ${what}. Store peer ports are client port + 1, so space --store-ports at least 2 apart`,
      );
    uses.set(port, what);
  };
  config.storePorts.forEach((p, i) => {
    claim(p, `store-${i + 1} client port`);
    claim(peerPort(p), `store-${i + 1} peer port`);
  });
  if (config.apiservers > 1) claim(config.apiserverPort, `the apiserver port (the front of ${config.apiservers} apiservers)`);
  const own = apiserverPortsOf(config);
  apiserverNames(config).forEach((name, i) => {
    const port = own[i] as number;
    claim(port, port === config.apiserverPort ? 'the apiserver port' : `the ${name} port (apiserver port + ${port - config.apiserverPort})`);
  });
  if (config.faultProxy) {
    claim(config.faultProxy.adminPort, 'the fault proxy admin port');
    for (const [link, p] of Object.entries(config.faultProxy.peers)) claim(p, `the fault proxy's peer link ${link}`);
    for (const [i, p] of config.faultProxy.clients.entries()) claim(p, `the fault proxy's client link to store slot ${i + 1}`);
  }
}

/**
 * Each apiserver's own port. One apiserver listens on the apiserver port itself; several listen
 * on the ports above it, behind the front on the apiserver port (hosted by the fault proxy),
 * which passes each connection to one that answers: kubectl and every component are given the
 * front's address, so one apiserver dying does not take the API away.
 */
export function apiserverPortsOf(config: Pick<ClusterConfig, 'apiserverPort' | 'apiservers'>): number[] {
  const first = config.apiservers > 1 ? config.apiserverPort + 1 : config.apiserverPort;
  return Array.from({ length: config.apiservers }, (_, i) => first + i);
}

/** The apiservers' names, `apiserver`, `apiserver-2` …: the drills find them by these. */
export function apiserverNames(config: Pick<ClusterConfig, 'apiservers'>): string[] {
  return copyNames('apiserver', config.apiservers);
}

/** `base`, `base-2` … `base-N`: the first copy keeps the plain name, as a cluster of one always had. */
export function copyNames(base: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? base : `${base}-${i + 1}`));
}

/** Creates the store's cluster secret on the first `up`; later ones reuse it (the replicas' peers check it). */
export function ensureStoreSecret(file: string): void {
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(24).toString('base64')}\n`, { mode: 0o600 });
}
