import { createServer } from 'node:net';
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
