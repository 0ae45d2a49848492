import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isPlainObject } from '../../kube/object.js';
import { DEFAULT_APISERVER_PORT, DEFAULT_NODES, DEFAULT_STORE_PORTS, NODE_RUNTIMES, type NodeRuntime, STORE_REPLICAS, UsageError, type UpOptions } from './options.js';

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
    raw.storePorts.length === STORE_REPLICAS &&
    raw.storePorts.every((p) => Number.isInteger(p)) &&
    Number.isInteger(raw.apiserverPort) &&
    typeof raw.token === 'string' &&
    raw.token.length > 0;
  if (!ok) throw new UsageError(`${file} does not hold {storePorts: [${STORE_REPLICAS} ports], apiserverPort, token}; fix or remove it`);
  const r = raw as { storePorts: number[]; apiserverPort: number; token: string; nodes?: unknown; runtime?: unknown };
  const nodes = Number.isInteger(r.nodes) ? (r.nodes as number) : DEFAULT_NODES;
  const runtime = NODE_RUNTIMES.find((x) => x === r.runtime) ?? 'simulated';
  return { storePorts: r.storePorts, apiserverPort: r.apiserverPort, token: r.token, nodes, runtime };
}

export function writeClusterConfig(file: string, config: ClusterConfig): void {
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

/**
 * The configuration to run: the recorded one with the command line's changes, or a new one.
 * Refuses store ports that differ from the recorded ones, and any port clash within the cluster.
 */
export function resolveClusterConfig(recorded: ClusterConfig | undefined, options: Pick<UpOptions, 'storePorts' | 'apiserverPort' | 'nodes' | 'runtime'>, newToken = () => randomBytes(24).toString('base64url')): ClusterConfig {
  const storePorts = options.storePorts ?? recorded?.storePorts ?? DEFAULT_STORE_PORTS;
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
  };
  checkPortsDistinct(config);
  return config;
}

function checkPortsDistinct(config: ClusterConfig): void {
  const uses = new Map<number, string>();
  const claim = (port: number, what: string): void => {
    if (port > 65535) throw new UsageError(`${what} would be port ${port}, above 65535; pick lower --store-ports`);
    const other = uses.get(port);
    if (other) throw new UsageError(`port ${port} is asked for twice: ${other} and ${what}. Store peer ports are client port + 1, so space --store-ports at least 2 apart`);
    uses.set(port, what);
  };
  config.storePorts.forEach((p, i) => {
    claim(p, `store-${i + 1} client port`);
    claim(peerPort(p), `store-${i + 1} peer port`);
  });
  claim(config.apiserverPort, 'the apiserver port');
}

/** Creates the store's cluster secret on the first `up`; later ones reuse it (the replicas' peers check it). */
export function ensureStoreSecret(file: string): void {
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(24).toString('base64')}\n`, { mode: 0o600 });
}
