import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Clock } from '../kube/clock.js';
import type { ContainerRuntime } from './runtime/container-runtime.js';
import type { LogBuffer, LogLine } from './runtime/log-buffer.js';
import { rfc3339Nano } from './time-format.js';

/**
 * The node agent's HTTP endpoint, the part of the kubelet's server the apiserver uses:
 * `GET /containerLogs/{namespace}/{pod}/{container}` with the query the apiserver forwards for
 * `kubectl logs` (apiserver/handlers/pod-log.ts): `follow`, `tailLines`, `limitBytes`,
 * `timestamps`, `sinceSeconds`, `previous`; plus `/healthz`, `/livez`, `/readyz` and `/metrics`.
 * Errors are plain text with the status (404 unknown pod or container, 400 a bad query or a
 * container that has not started), which the apiserver passes on. A follower gets new lines until
 * the container instance ends, `limitBytes` is reached, or it goes away; one that cannot keep up
 * (more than `FOLLOW_BACKLOG_BYTES_MAX` unsent) is cut off rather than buffered without end.
 * Listens on 127.0.0.1 unless told otherwise; with `--count N` all N nodes share it.
 */

export interface LogServerOptions {
  readonly runtime: Pick<ContainerRuntime, 'logs'>;
  readonly clock: Clock;
  readonly port: number;
  readonly host?: string;
  readonly metrics?: Registry;
  /** `/readyz` answers 200 while this holds (the agent registered its nodes). */
  readonly ready?: () => boolean;
}

export interface LogQuery {
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly tailLines?: number;
  readonly limitBytes?: number;
  readonly sinceSeconds?: number;
}

const FOLLOW_BACKLOG_BYTES_MAX = 4 * 1024 * 1024;

class BadQuery extends Error {}

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new BadQuery(`${name}: ${JSON.stringify(v)} is not a boolean`);
}

function whole(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min) throw new BadQuery(`${name}: ${JSON.stringify(v)} must be an integer of at least ${min}`);
  return Number(v);
}

/** The query of a log request; throws `BadQuery` with a message for the client. */
export function parseLogQuery(q: URLSearchParams): LogQuery {
  const tailLines = whole(q, 'tailLines', 0);
  const limitBytes = whole(q, 'limitBytes', 1);
  const sinceSeconds = whole(q, 'sinceSeconds', 1);
  return {
    follow: flag(q, 'follow'),
    previous: flag(q, 'previous'),
    timestamps: flag(q, 'timestamps'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
  };
}

export function formatLine(line: LogLine, timestamps: boolean): string {
  return `${timestamps ? `${rfc3339Nano(line.atMs)} ` : ''}${line.text}${line.newline ? '\n' : ''}`;
}

/** The lines a request asks for out of what is kept: since, then the tail. */
export function selectLines(lines: readonly LogLine[], query: LogQuery, nowMs: number): readonly LogLine[] {
  let out = lines;
  if (query.sinceSeconds !== undefined) {
    const from = nowMs - query.sinceSeconds * 1000;
    out = out.filter((l) => l.atMs >= from);
  }
  if (query.tailLines !== undefined) out = query.tailLines === 0 ? [] : out.slice(-query.tailLines);
  return out;
}

export class LogServer {
  private readonly server: Server;
  private boundPort = 0;

  constructor(private readonly options: LogServerOptions) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) text(res, 500, `internal error: ${(err as Error).message}`);
        else res.destroy();
      });
    });
  }

  /** Listen; resolves with the port (useful with port 0). */
  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://node-agent');
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'method not allowed');
    switch (url.pathname) {
      case '/healthz':
      case '/livez':
        return text(res, 200, 'ok');
      case '/readyz':
        return (this.options.ready?.() ?? true) ? text(res, 200, 'ok') : text(res, 503, 'not ready');
      case '/metrics': {
        const registry = this.options.metrics;
        if (!registry) return text(res, 404, 'no metrics');
        const body = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(body);
        return;
      }
    }
    const parts = url.pathname.split('/').slice(1);
    if (parts.length !== 4 || parts[0] !== 'containerLogs') return text(res, 404, `no such path: ${url.pathname}`);
    let names: string[];
    let query: LogQuery;
    try {
      names = parts.slice(1).map((p) => decodeURIComponent(p));
      query = parseLogQuery(url.searchParams);
    } catch (err) {
      return text(res, 400, err instanceof BadQuery ? err.message : 'malformed path');
    }
    const [namespace = '', pod = '', container = ''] = names;
    const lookup = this.options.runtime.logs(namespace, pod, container, query.previous);
    if (!lookup.ok) return text(res, lookup.code, lookup.message);
    this.stream(req, res, lookup.buffer, query);
  }

  private stream(req: IncomingMessage, res: ServerResponse, buffer: LogBuffer, query: LogQuery): void {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    let remaining = query.limitBytes ?? Number.POSITIVE_INFINITY;
    /** Writes what fits under limitBytes; false once the limit is reached. */
    const send = (line: LogLine): boolean => {
      const chunk = Buffer.from(formatLine(line, query.timestamps));
      if (chunk.length >= remaining) {
        res.write(chunk.subarray(0, remaining));
        remaining = 0;
        return false;
      }
      remaining -= chunk.length;
      res.write(chunk);
      return true;
    };
    for (const line of selectLines(buffer.lines(), query, this.options.clock.now())) {
      if (!send(line)) return void res.end();
    }
    if (!query.follow || req.method === 'HEAD') return void res.end();
    let unsubscribe = (): void => {};
    const finish = (): void => {
      unsubscribe();
      if (!res.writableEnded) res.end();
    };
    unsubscribe = buffer.follow({
      line: (line) => {
        if (!send(line) || res.writableLength > FOLLOW_BACKLOG_BYTES_MAX) finish();
      },
      end: finish,
    });
    res.on('close', () => unsubscribe());
  }
}

function text(res: ServerResponse, code: number, message: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}
