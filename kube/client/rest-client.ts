/**
 * `RestClient`: the `ApiClient` port over HTTP/1.1 (node:http, or node:https with a CA and a
 * client certificate or bearer token), the way client-go's REST client
 * talks to kube-apiserver: JSON bodies, one keep-alive connection pool per client, errors as the
 * apiserver's `metav1.Status`.
 *
 * Contracts:
 * - every non-2xx answer rejects with an `ApiStatusError` carrying the Status' code, reason and
 *   message (a body that is not a Status gets the reason kube assigns to the HTTP code);
 * - a server that cannot be reached (refused, reset, DNS) rejects with code 0, reason
 *   `ServiceUnavailable`; a request that outlives `requestTimeoutMs` with code 0, reason `Timeout`;
 * - 429 and 503 answers carrying `Retry-After` are retried (at most `maxRetries` times) after the
 *   delay the server asked for, as client-go does;
 * - `watch` streams newline-delimited JSON events in order, whatever the chunking; its `done`
 *   resolves when the server ends the stream or `stop()` is called, rejects on a transport error
 *   or a non-200 answer. Watches have no request timeout: the server's `timeoutSeconds` ends them.
 * - optional client-side throttling (`qps`/`burst`, kube's `--kube-api-qps`) spaces requests
 *   (watches excepted) through a token bucket on the injected clock.
 */
import http from 'node:http';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { type Clock, realClock } from '../clock.js';
import type { KubeObject } from '../object.js';
import { TokenBucketRateLimiter } from '../workqueue/rate-limiter.js';
import {
  type ApiClient,
  type ApiStatus,
  ApiStatusError,
  type DeleteOptions,
  type ListOptions,
  type ObjectList,
  type PatchOptions,
  type PatchType,
  type WatchEvent,
  type WatchHandle,
  type WatchOptions,
  type WriteOptions,
} from './api-client.js';
import { type ResourceRef, resourcePath } from './resource.js';
import { reasonForCode, statusFromBody } from './status-error.js';

export interface RestClientOptions {
  /** The apiserver's base URL: `https://127.0.0.1:6443`, or `http://…` for a plain-HTTP apiserver. */
  readonly server: string;
  readonly userAgent?: string;
  readonly bearerToken?: string;
  /** https: the CA bundle (PEM) the server's certificate must chain to; default the system's roots. */
  readonly caPem?: string;
  /** https: a client certificate and its key (PEM), for the apiserver's x509 authenticator. */
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
  /** https: accept any server certificate (kubeconfig's insecure-skip-tls-verify). */
  readonly insecureSkipTlsVerify?: boolean;
  /** Per request (not watches); default 60 s. */
  readonly requestTimeoutMs?: number;
  /** Keep-alive pool size per client; default 64. */
  readonly maxSockets?: number;
  /** Client-side rate limit (kube-api-qps / kube-api-burst); default none. */
  readonly qps?: number;
  readonly burst?: number;
  /** Retries of 429/503 with Retry-After; default 3. */
  readonly maxRetries?: number;
  readonly clock?: Clock;
}

export const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

type Query = Record<string, string | number | boolean | undefined>;

interface Request {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Query;
  readonly body?: unknown;
  readonly contentType?: string;
}

/** Longest Retry-After honoured (kube's APF asks for 1 s; a broken header must not stall us). */
const RETRY_AFTER_MAX_MS = 10_000;

export class RestClient implements ApiClient {
  readonly server: URL;
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  /** Watches get their own pool so that long streams never hold up short requests. */
  private readonly watchAgent: http.Agent;
  private readonly userAgent: string;
  private readonly authorization: string | undefined;
  private readonly requestTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly clock: Clock;
  private readonly throttle: TokenBucketRateLimiter<string> | undefined;

  constructor(options: RestClientOptions) {
    this.server = new URL(options.server);
    if (this.server.protocol !== 'http:' && this.server.protocol !== 'https:')
      throw new Error(`RestClient speaks http and https, not ${this.server.protocol} (${options.server})`);
    if (this.server.protocol === 'https:') {
      const tls: https.AgentOptions = {
        ...(options.caPem === undefined ? {} : { ca: options.caPem }),
        ...(options.clientCertPem === undefined ? {} : { cert: options.clientCertPem }),
        ...(options.clientKeyPem === undefined ? {} : { key: options.clientKeyPem }),
        rejectUnauthorized: options.insecureSkipTlsVerify !== true,
      };
      this.agent = new https.Agent({ ...tls, keepAlive: true, maxSockets: options.maxSockets ?? 64 });
      this.watchAgent = new https.Agent({ ...tls, keepAlive: false });
      this.request = https.request;
    } else {
      this.agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
      this.watchAgent = new http.Agent({ keepAlive: false });
      this.request = http.request;
    }
    this.userAgent = options.userAgent ?? 'picokube';
    this.authorization = options.bearerToken ? `Bearer ${options.bearerToken}` : undefined;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.clock = options.clock ?? realClock;
    this.throttle = options.qps && options.qps > 0 ? new TokenBucketRateLimiter(options.qps, options.burst ?? Math.ceil(options.qps), this.clock) : undefined;
  }

  /** Closes the connection pools: idle keep-alive sockets and open watches. */
  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  get<T extends KubeObject = KubeObject>(r: ResourceRef, name: string, namespace?: string): Promise<T> {
    return this.call<T>({ method: 'GET', path: resourcePath(r, namespace, name) });
  }

  list<T extends KubeObject = KubeObject>(r: ResourceRef, options: ListOptions = {}): Promise<ObjectList<T>> {
    const { namespace, ...query } = options;
    return this.call<ObjectList<T>>({ method: 'GET', path: resourcePath(r, namespace), query: { ...query } });
  }

  create<T extends KubeObject = KubeObject>(r: ResourceRef, obj: T, options: WriteOptions = {}): Promise<T> {
    const namespace = options.namespace ?? obj.metadata.namespace;
    return this.call<T>({ method: 'POST', path: resourcePath(r, namespace), query: writeQuery(options), body: obj });
  }

  update<T extends KubeObject = KubeObject>(r: ResourceRef, obj: T, options: WriteOptions = {}): Promise<T> {
    const namespace = options.namespace ?? obj.metadata.namespace;
    return this.call<T>({ method: 'PUT', path: resourcePath(r, namespace, obj.metadata.name ?? ''), query: writeQuery(options), body: obj });
  }

  updateStatus<T extends KubeObject = KubeObject>(r: ResourceRef, obj: T): Promise<T> {
    return this.call<T>({ method: 'PUT', path: resourcePath(r, obj.metadata.namespace, obj.metadata.name ?? '', 'status'), body: obj });
  }

  updateSubresource<T extends KubeObject = KubeObject>(r: ResourceRef, obj: T, subresource: string): Promise<T> {
    return this.call<T>({ method: 'PUT', path: resourcePath(r, obj.metadata.namespace, obj.metadata.name ?? '', subresource), body: obj });
  }

  patch<T extends KubeObject = KubeObject>(r: ResourceRef, name: string, patch: unknown, options: PatchOptions = {}): Promise<T> {
    const type = options.type ?? 'merge';
    const query: Query = {};
    if (options.fieldManager !== undefined) query.fieldManager = options.fieldManager;
    else if (type === 'apply') query.fieldManager = this.userAgent; // apply requires a manager
    if (options.force !== undefined) query.force = options.force;
    // JSON is YAML, so an apply patch goes as JSON under the YAML content type.
    return this.call<T>({
      method: 'PATCH',
      path: resourcePath(r, options.namespace, name, options.subresource),
      query,
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
    });
  }

  delete(r: ResourceRef, name: string, options: DeleteOptions = {}): Promise<KubeObject> {
    const { namespace, ...rest } = options;
    const body = Object.keys(rest).length === 0 ? undefined : { kind: 'DeleteOptions', apiVersion: 'v1', ...rest };
    return this.call<KubeObject>({ method: 'DELETE', path: resourcePath(r, namespace, name), ...(body ? { body } : {}) });
  }

  createSubresource<T extends KubeObject = KubeObject>(r: ResourceRef, name: string, subresource: string, body: KubeObject, namespace?: string): Promise<T> {
    return this.call<T>({ method: 'POST', path: resourcePath(r, namespace ?? body.metadata.namespace, name, subresource), body });
  }

  watch<T extends KubeObject = KubeObject>(r: ResourceRef, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): WatchHandle {
    const { namespace, ...rest } = options;
    const url = this.url(resourcePath(r, namespace), { ...rest, watch: 1 });
    let req: http.ClientRequest | undefined;
    let stopped = false;
    let settle: ((err?: Error) => void) | undefined;
    const done = new Promise<void>((resolve, reject) => {
      let settled = false;
      settle = (err) => {
        if (settled) return;
        settled = true;
        if (err && !stopped) reject(err);
        else resolve();
      };
    });
    // Nobody has to await `done`: an unobserved failure must not become an unhandled rejection.
    done.catch(() => {});
    const finish = (err?: Error): void => settle?.(err);

    req = this.request(url, { method: 'GET', agent: this.watchAgent, headers: this.headers() });
    req.on('error', (err) => finish(transportError(err)));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        readBody(res)
          .then((text) => finish(errorFromResponse(res.statusCode ?? 0, text)))
          .catch((err: Error) => finish(transportError(err)));
        return;
      }
      const decoder = new StringDecoder('utf8');
      let buffered = '';
      const deliver = (line: string): boolean => {
        if (line.trim() === '') return true;
        let event: WatchEvent<T>;
        try {
          event = JSON.parse(line) as WatchEvent<T>;
        } catch {
          fail(new ApiStatusError(0, 'InternalError', `watch ${r.resource}: undecodable event ${JSON.stringify(line.slice(0, 200))}`));
          return false;
        }
        try {
          onEvent(event);
        } catch (err) {
          fail(err instanceof Error ? err : new Error(String(err)));
          return false;
        }
        return true;
      };
      const fail = (err: Error): void => {
        finish(err);
        res.destroy();
        req?.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        if (stopped) return;
        buffered += decoder.write(chunk);
        let nl = buffered.indexOf('\n');
        while (nl >= 0 && !stopped) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (!deliver(line)) return;
          nl = buffered.indexOf('\n');
        }
      });
      res.on('end', () => {
        if (!stopped) {
          const rest = buffered + decoder.end();
          buffered = '';
          if (!deliver(rest)) return;
        }
        finish();
      });
      // A socket cut mid-stream: 'aborted' (node 20) and/or 'error' (ECONNRESET).
      res.on('aborted', () => finish(new ApiStatusError(0, 'ServiceUnavailable', `watch ${r.resource}: connection closed mid-stream`)));
      res.on('error', (err) => finish(transportError(err)));
      res.on('close', () => {
        if (!res.complete) finish(new ApiStatusError(0, 'ServiceUnavailable', `watch ${r.resource}: connection closed mid-stream`));
      });
    });
    req.end();
    return {
      done,
      stop: () => {
        if (stopped) return;
        stopped = true;
        req?.destroy();
        req = undefined;
        finish();
      },
    };
  }

  /** One request with throttling and Retry-After retries. */
  private async call<T>(request: Request): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.throttled();
      const answer = await this.send(request);
      if (answer.status >= 200 && answer.status < 300) {
        if (answer.text === '') return {} as T;
        try {
          return JSON.parse(answer.text) as T;
        } catch {
          throw new ApiStatusError(answer.status, 'InternalError', `${request.method} ${request.path}: the answer is not JSON`);
        }
      }
      const retryAfterMs = retryAfter(answer.retryAfter);
      if ((answer.status === 429 || answer.status === 503) && retryAfterMs !== undefined && attempt < this.maxRetries) {
        await this.sleep(retryAfterMs);
        continue;
      }
      throw errorFromResponse(answer.status, answer.text);
    }
  }

  private send(request: Request): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
    const url = this.url(request.path, request.query ?? {});
    const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
    const headers = this.headers();
    if (payload) {
      headers['content-type'] = request.contentType ?? 'application/json';
      headers['content-length'] = String(payload.length);
    }
    return new Promise((resolve, reject) => {
      const req = this.request(url, { method: request.method, agent: this.agent, headers });
      let timedOut = false;
      req.setTimeout(this.requestTimeoutMs, () => {
        timedOut = true;
        req.destroy();
      });
      req.on('error', (err) => {
        reject(
          timedOut ? new ApiStatusError(0, 'Timeout', `${request.method} ${request.path}: no answer within ${this.requestTimeoutMs} ms`) : transportError(err),
        );
      });
      req.on('response', (res) => {
        readBody(res).then(
          (text) => {
            const ra = res.headers['retry-after'];
            resolve({ status: res.statusCode ?? 0, text, retryAfter: Array.isArray(ra) ? ra[0] : ra });
          },
          (err: Error) => reject(timedOut ? new ApiStatusError(0, 'Timeout', `${request.method} ${request.path}: answer cut off`) : transportError(err)),
        );
      });
      req.end(payload);
    });
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
    if (this.authorization) h.authorization = this.authorization;
    return h;
  }

  private url(path: string, query: Query): URL {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === '') continue;
      url.searchParams.set(k, String(v));
    }
    return url;
  }

  private async throttled(): Promise<void> {
    if (!this.throttle) return;
    const delay = this.throttle.when('');
    if (delay > 0) await this.sleep(delay);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }
}

function writeQuery(options: WriteOptions): Query {
  const q: Query = {};
  if (options.dryRun) q.dryRun = 'All';
  if (options.fieldManager !== undefined) q.fieldManager = options.fieldManager;
  return q;
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('answer cut off')));
  });
}

function retryAfter(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return Math.min(seconds * 1000, RETRY_AFTER_MAX_MS);
}

/** The Status in an error body, or one made from the HTTP code. */
export function errorFromResponse(code: number, text: string): ApiStatusError {
  const status: ApiStatus | undefined = statusFromBody(text);
  if (status) return new ApiStatusError(code, status.reason ?? reasonForCode(code), status.message ?? `the server answered ${code}`, status);
  const snippet = text.trim().slice(0, 200);
  return new ApiStatusError(code, reasonForCode(code), snippet === '' ? `the server answered ${code}` : `the server answered ${code}: ${snippet}`);
}

function transportError(err: Error): ApiStatusError {
  const code = (err as { code?: string }).code;
  return new ApiStatusError(0, 'ServiceUnavailable', `cannot reach the apiserver: ${code ? `${code} ` : ''}${err.message}`);
}
