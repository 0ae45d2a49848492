import { createServer } from 'node:net';
import { assignProxyPorts, proxyPortCount } from '../drill/link-table.js';
import { type ClusterConfig, HOST } from './cluster-config.js';
import type { PortUse } from './components.js';

/** True when nothing can bind `host:port` right now (someone listens there, or it is not ours to take). */
export function portTaken(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(true));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(false)));
  });
}

/** The uses whose port is taken, in the order given. */
export async function takenPorts(uses: readonly PortUse[], host: string): Promise<PortUse[]> {
  const taken: PortUse[] = [];
  for (const use of uses) if (await portTaken(use.port, host)) taken.push(use);
  return taken;
}

/** A port free right now on `host`, chosen by the kernel. */
export function freePortOn(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** `count` distinct free ports, none of them in `avoid` (the cluster's fixed ports). */
export async function freePortsOn(host: string, count: number, avoid: ReadonlySet<number>): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = await freePortOn(host);
    if (!avoid.has(port)) ports.add(port);
  }
  return [...ports];
}

/**
 * The config with fault proxy ports: the recorded ones, or (first `up`, or a cluster.json from
 * before the proxy) free ones chosen now, added to `fixed` so later choices avoid them.
 */
export async function withFaultProxyPorts(config: ClusterConfig, fixed: Set<number>): Promise<ClusterConfig> {
  const faultProxy = config.faultProxy ?? assignProxyPorts(config.storePorts.length, await freePortsOn(HOST, proxyPortCount(config.storePorts.length), fixed));
  fixed.add(faultProxy.adminPort);
  for (const p of [...Object.values(faultProxy.peers), ...faultProxy.clients]) fixed.add(p);
  return { ...config, faultProxy };
}
