import { randomBytes, randomUUID } from 'node:crypto';
import type https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AdmissionChain } from './admission/chain.js';
import { installAudit } from './audit/audit-hook.js';
import type { AuditSink } from './audit/audit-log.js';
import type { AuditPolicy } from './audit/audit-policy.js';
import type { StoreClient } from '../raft/client/store-client.js';
import { ensureBootstrapPolicy, ensureDefaultStorageClass, ensureKubernetesService, ensureSystemNamespaces } from './bootstrap.js';
import { installAuthentication } from './auth/authentication-hook.js';
import type { Authenticator } from './auth/authenticator.js';
import { type AuthorizerFactory, installAuthorization } from './authz/authorization-mode.js';
import type { Authorizer } from './authz/authorizer.js';
import { cacheObjectSource } from './authz/authz-object-source.js';
import { VERSION_INFO } from './discovery.js';
import type { ProtobufDecoder } from './handlers/body.js';
import type { ApiContext } from './handlers/context.js';
import { type RoutedRequest, registerResourceRoutes } from './handlers/resource-routes.js';
import { ApiserverMetrics } from './metrics.js';
import { definitions } from './openapi/definitions.js';
import { registerOpenApiRoutes } from './openapi-routes.js';
import { ResourceRegistry } from './registry/registry.js';
import { ApiError, clientErrorStatus, routeNotFound, toApiError, tooLarge } from './status.js';
import { Compactor } from './storage/compactor.js';
import { ObjectLeases } from './storage/object-leases.js';
import { ObjectStore } from './storage/object-store.js';
import { serviceAllocators } from './allocators/service-allocators.js';
import { decodeKubernetesProtobuf } from './protobuf/decode.js';
import { WatchCaches } from './storage/watch-caches.js';

/**
 * The apiserver as a fastify instance over a store client: stateless (several can share one
 * store), every durable fact in the store, every watch served from the watch caches.
 */

export interface ApiserverOptions {
  readonly store: StoreClient;
  readonly logger: Logger;
  readonly registry?: ResourceRegistry;
  readonly nowMs?: () => number;
  readonly protobuf?: ProtobufDecoder;
  /** kube's request body limit is 3 MiB. */
  readonly bodyLimitBytes?: number;
  readonly watchTimeoutSecondsMax?: number;
  readonly eventWindowMax?: number;
  readonly bookmarkIntervalMs?: number;
  /** How often the store's history is compacted (kube: --etcd-compaction-interval, 5 min); 0 never. */
  readonly compactionIntervalMs?: number;
  /** How long Events live after their last write (kube: --event-ttl, default 1 h); whole seconds. */
  readonly eventTtlSeconds?: number;
  /** Where Services' cluster IPs come from (kube: --service-cluster-ip-range); default 10.96.0.0/12. Throws on a bad CIDR. */
  readonly serviceClusterIPRange?: string;
  /** Where node ports come from (kube: --service-node-port-range); default 30000-32767. */
  readonly serviceNodePortRange?: string;
  /**
   * Authenticates every request (kube's authentication chain, see auth/authentication-chain.ts),
   * or a factory given the context (for authenticators that read objects, like ServiceAccount
   * tokens'). Absent: no authentication, every request is UNSECURED_USER (tests).
   */
  readonly authenticator?: Authenticator | ((context: ApiContext) => Authenticator);
  /** Serve HTTPS with this certificate; `clientCaPem` also asks clients for a certificate (verified by the x509 authenticator). */
  readonly tls?: { readonly certPem: string; readonly keyPem: string; readonly clientCaPem?: string };
  /**
   * Decides every request after authentication (kube's --authorization-mode; authz/authorization-mode.ts
   * authorizerForMode), or a factory over the watch caches (RBAC). Absent: AlwaysAllow, and no check runs at all.
   */
  readonly authorizer?: Authorizer | AuthorizerFactory;
  /** The admission plugins every write passes (admission/chain.ts buildAdmissionChain); absent: all of them. */
  readonly admission?: AdmissionChain;
  /** Audit every request to `sink` at the level `policy` gives (audit/); absent: no audit log. */
  readonly audit?: { readonly policy: AuditPolicy; readonly sink: AuditSink };
}

export interface Apiserver {
  readonly app: FastifyInstance;
  readonly context: ApiContext;
  readonly metrics: ApiserverMetrics;
  /** Creates the system namespaces and starts the watch caches; resolves once all are in sync (the server answers before that, not ready). */
  startCaches(): Promise<void>;
  close(): Promise<void>;
}

export const BODY_LIMIT_BYTES_DEFAULT = 3 * 1024 * 1024;
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function buildApiserver(options: ApiserverOptions): Apiserver {
  const registry = options.registry ?? ResourceRegistry.builtin();
  let caches: WatchCaches | undefined;
  const metrics = new ApiserverMetrics(() => caches);
  const store = metrics.timedStore(options.store);
  caches = new WatchCaches(registry.all, {
    store,
    logger: options.logger.child({ component: 'watch-cache' }),
    ...(options.eventWindowMax === undefined ? {} : { eventWindowMax: options.eventWindowMax }),
    ...(options.bookmarkIntervalMs === undefined ? {} : { bookmarkIntervalMs: options.bookmarkIntervalMs }),
  });
  const allocation = serviceAllocators(store, options.serviceClusterIPRange, options.serviceNodePortRange);
  const context: ApiContext = {
    registry,
    objects: new ObjectStore(
      store,
      allocation.allocators,
      new ObjectLeases({ store, nowMs: options.nowMs ?? Date.now, ttlSecondsOverride: options.eventTtlSeconds }),
    ),
    caches,
    definitions,
    logger: options.logger,
    nowMs: options.nowMs ?? Date.now,
    newUid: randomUUID,
    nameSuffix: () => Array.from(randomBytes(5), (b) => NAME_ALPHABET[b % NAME_ALPHABET.length]).join(''),
    protobuf: options.protobuf ?? decodeKubernetesProtobuf,
    watchTimeoutSecondsMax: options.watchTimeoutSecondsMax ?? 1800,
    ...(options.admission === undefined ? {} : { admission: options.admission }),
    ...(options.authorizer === undefined
      ? {}
      : { authorizer: typeof options.authorizer === 'function' ? options.authorizer(cacheObjectSource({ registry, caches })) : options.authorizer }),
  };
  const compactor = new Compactor({ store, logger: options.logger.child({ component: 'compactor' }), intervalMs: options.compactionIntervalMs ?? 5 * 60_000 });
  const bodyLimit = options.bodyLimitBytes ?? BODY_LIMIT_BYTES_DEFAULT;
  // No fastify logger: the error handler logs what matters, and per-request lines would drown the rest.
  const app = Fastify({
    logger: false,
    bodyLimit,
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
    ...(options.tls ? { https: httpsOptions(options.tls) } : {}),
  }) as unknown as FastifyInstance;
  if (options.authenticator) {
    const authenticator = typeof options.authenticator === 'function' ? options.authenticator(context) : options.authenticator;
    installAuthentication(app, authenticator, options.logger.child({ component: 'authentication' }));
  }
  // After authentication's onRequest hook whatever the code order: impersonation and non-resource paths (preValidation).
  if (context.authorizer) installAuthorization(app, context.authorizer);
  if (options.audit) installAudit(app, { ...options.audit, nowMs: context.nowMs });

  // Every body is read as bytes and decoded by the handlers, so no content type is refused by
  // fastify itself with a non-Status error (client-node's empty DELETE body, patch types, protobuf).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, _req, reply) => {
    let apiErr: ApiError;
    const { code, statusCode, message } = err as { code?: string; statusCode?: number; message?: string };
    if (err instanceof ApiError) apiErr = err;
    else if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      apiErr = tooLarge(bodyLimit);
      // Answer once the refused body is read (see discardUnreadBody): its status then reaches the client.
      return discardUnreadBody(_req.raw).then(() => reply.code(413).type('application/json').send(JSON.stringify(apiErr.status)));
    }
    // fastify's own 4xx (a malformed URL, say) as a BadRequest Status.
    else if (typeof statusCode === 'number' && statusCode < 500) apiErr = new ApiError(statusCode, 'BadRequest', String(message));
    else apiErr = toApiError(err);
    if (apiErr.code >= 500) options.logger.error({ err: String(err) }, 'request failed');
    for (const [k, v] of Object.entries(apiErr.headers)) reply.header(k, v);
    return reply.code(apiErr.code).type('application/json').send(JSON.stringify(apiErr.status));
  });
  app.setNotFoundHandler((_req, reply) => {
    const status = routeNotFound().status;
    return reply.code(404).type('application/json').send(JSON.stringify(status));
  });

  app.addHook('onResponse', async (req, reply) => {
    const info = (req as RoutedRequest).info;
    if (!info) return;
    const labels = { verb: info.verb.toUpperCase(), group: info.group, version: info.version, resource: info.resource, subresource: info.subresource ?? '' };
    metrics.requests.inc({ ...labels, code: String(reply.statusCode) });
    metrics.requestSeconds.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/version', async (_req, reply) => reply.type('application/json').send(JSON.stringify(VERSION_INFO)));
  app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/livez', async (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/readyz', async (_req, reply) => {
    const failing: string[] = [];
    const notReady = caches?.notReady() ?? [];
    if (notReady.length > 0) failing.push(`[-]watch-cache failed: not in sync: ${notReady.join(', ')}`);
    try {
      await withTimeout(store.status(), 2000);
    } catch (err) {
      failing.push(`[-]store failed: ${(err as Error).message}`);
    }
    if (failing.length > 0)
      return reply
        .code(503)
        .type('text/plain')
        .send(`${failing.join('\n')}\nreadyz check failed\n`);
    return reply.type('text/plain').send('ok');
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  registerOpenApiRoutes(app, registry.all);
  registerResourceRoutes(app, context);

  return {
    app,
    context,
    metrics,
    async startCaches() {
      await ensureSystemNamespaces(context);
      await ensureKubernetesService(context, allocation.ipRange.first);
      await ensureBootstrapPolicy(context);
      await ensureDefaultStorageClass(context);
      await (caches as WatchCaches).start();
      compactor.start();
    },
    async close() {
      compactor.stop();
      caches?.stop();
      await app.close();
      await options.audit?.sink.close();
    },
  };
}

/**
 * TLS options: a client certificate is asked for but neither required nor required to verify,
 * so that a request without one can still be anonymous or bearer-authenticated, and one from
 * another CA is a 401 Status rather than a failed handshake (as kube-apiserver).
 */
function httpsOptions(tls: NonNullable<ApiserverOptions['tls']>): https.ServerOptions {
  return {
    cert: tls.certPem,
    key: tls.keyPem,
    ...(tls.clientCaPem === undefined ? {} : { ca: tls.clientCaPem, requestCert: true }),
    rejectUnauthorized: false,
  };
}

/**
 * Node's HTTP parser refuses some requests before fastify sees them (headers over 16 KiB, a
 * malformed request line): answer those with a Status too, then close, as the parser cannot go on.
 */
function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const code = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const message =
    code === 431
      ? 'the request header fields are too large'
      : code === 408
        ? 'the request was not received in time'
        : `the request could not be parsed: ${err.code ?? err.message}`;
  const body = JSON.stringify(clientErrorStatus(code, message).status);
  const phrase = code === 431 ? 'Request Header Fields Too Large' : code === 408 ? 'Request Timeout' : 'Bad Request';
  socket.end(`HTTP/1.1 ${code} ${phrase}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** How much of a refused body is read and dropped, and for how long, before the connection is cut. */
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;
const DISCARD_MAX_MS = 10_000;

/**
 * A body over the limit is refused before it is read. Closing the socket with bytes still unread
 * makes the kernel reset the connection, and the client loses the 413 with it; so the rest is
 * read and dropped first (bounded in bytes and time, as Go's server bounds it; past the bound the
 * connection is cut without an answer).
 */
function discardUnreadBody(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.readableEnded) {
      resolve();
      return;
    }
    let seen = 0;
    const cut = setTimeout(() => req.socket.destroy(), DISCARD_MAX_MS);
    cut.unref();
    const done = (): void => {
      clearTimeout(cut);
      resolve();
    };
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > DISCARD_MAX_BYTES) req.socket.destroy();
    });
    req.on('end', done);
    req.on('close', done);
    req.resume();
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
