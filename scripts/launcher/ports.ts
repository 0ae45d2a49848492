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
