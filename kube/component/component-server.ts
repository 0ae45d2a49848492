/**
 * `ComponentServer`: the small HTTP endpoint every picokube component (scheduler,
 * controller-manager, node agent) serves, as kube components serve theirs:
 * - `/healthz`, `/livez`: 200 `ok` while the process is alive (and `healthy()`, when given, is
 *   true; else 500 with the reason), the liveness a supervisor restarts on;
 * - `/readyz`: 200 `ok` when `ready()` is true, else 503 (a component is ready once its caches
 *   have synced, and for an elected one, whatever it decides);
 * - `/metrics`: the prom-client Registry in the Prometheus text format.
 * GET and HEAD only; anything else is 405, unknown paths 404. node:http, no framework: the
 * endpoint must stay up and cheap when the component is busy. Binds 127.0.0.1 unless told.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ComponentServerOptions {
  /** 0 picks a free port; `start()` answers the one bound. */
  readonly port: number;
  readonly host?: string;
  readonly ready: () => boolean;
  /** Extra liveness check; answers a reason when unhealthy. Default: always healthy. */
  readonly healthy?: () => true | string;
  readonly registry?: Registry;
}

export class ComponentServer {
  private readonly server: http.Server;
  private readonly options: ComponentServerOptions;

  constructor(options: ComponentServerOptions) {
    this.options = options;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`internal error: ${String(err)}\n`);
      });
    });
    // Probes are tiny; a stuck client must not hold a socket for long.
    this.server.requestTimeout = 10_000;
    this.server.keepAliveTimeout = 5_000;
  }

  /** Listens; resolves with the bound port. */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', onError);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** The bound port (after `start()`). */
  port(): number | undefined {
    const a = this.server.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) return send(res, head, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/healthz':
      case '/livez': {
        const health = this.options.healthy ? safe(this.options.healthy) : true;
        return health === true ? send(res, head, 200, 'ok') : send(res, head, 500, `unhealthy: ${health}\n`);
      }
      case '/readyz':
        return safe(this.options.ready) === true ? send(res, head, 200, 'ok') : send(res, head, 503, 'not ready\n');
      case '/metrics': {
        const registry = this.options.registry;
        if (!registry) return send(res, head, 404, 'no metrics\n');
        const text = await registry.metrics();
        return send(res, head, 200, text, { 'content-type': registry.contentType });
      }
      default:
        return send(res, head, 404, 'not found\n');
    }
  }
}

function safe<T>(check: () => T): T | string {
  try {
    return check();
  } catch (err) {
    return `check threw: ${String(err)}`;
  }
}

function send(res: http.ServerResponse, head: boolean, code: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache', ...headers });
  res.end(head ? undefined : body);
}
