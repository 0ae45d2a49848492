import http, { type IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * kube-apiserver's old `--insecure-port`: a second, plain-HTTP listener on the loopback address
 * only, into the same fastify routes. Its requests skip authentication and act as
 * UNSECURED_USER (system:masters), so it must never listen anywhere a stranger can reach.
 */
const unsecured = new WeakSet<IncomingMessage>();

/** Whether the request came in on the insecure listener. */
export function isInsecureRequest(req: IncomingMessage): boolean {
  return unsecured.has(req);
}

/** Serves `app` (ready or not: the listener waits for it) over plain HTTP on 127.0.0.1:`port`. Resolves with the server once listening. */
export async function listenInsecure(app: FastifyInstance, port: number): Promise<http.Server> {
  await app.ready();
  const server = http.createServer((req, res) => {
    unsecured.add(req);
    app.routing(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
