import { randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { StoreClient } from '../raft/client/store-client.js';
import { ensureKubernetesService, ensureSystemNamespaces } from './bootstrap.js';
import { VERSION_INFO } from './discovery.js';
import type { ProtobufDecoder } from './handlers/body.js';
import type { ApiContext } from './handlers/context.js';
import { type RoutedRequest, registerResourceRoutes } from './handlers/resource-routes.js';
import { ApiserverMetrics } from './metrics.js';
import { definitions } from './openapi/definitions.js';
import { registerOpenApiRoutes } from './openapi-routes.js';
import { ResourceRegistry } from './registry/registry.js';
import { ApiError, routeNotFound, toApiError, tooLarge } from './status.js';
import { Compactor } from './storage/compactor.js';
import { ObjectStore } from './storage/object-store.js';
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
  const context: ApiContext = {
    registry,
    objects: new ObjectStore(store),
    caches,
    definitions,
    logger: options.logger,
    nowMs: options.nowMs ?? Date.now,
    newUid: randomUUID,
    nameSuffix: () => Array.from(randomBytes(5), (b) => NAME_ALPHABET[b % NAME_ALPHABET.length]).join(''),
    protobuf: options.protobuf ?? decodeKubernetesProtobuf,
    watchTimeoutSecondsMax: options.watchTimeoutSecondsMax ?? 1800,
  };
  const compactor = new Compactor({ store, logger: options.logger.child({ component: 'compactor' }), intervalMs: options.compactionIntervalMs ?? 5 * 60_000 });
  const bodyLimit = options.bodyLimitBytes ?? BODY_LIMIT_BYTES_DEFAULT;
  // No fastify logger: the error handler logs what matters, and per-request lines would drown the rest.
  const app = Fastify({ logger: false, bodyLimit, return503OnClosing: false });

  // Every body is read as bytes and decoded by the handlers, so no content type is refused by
  // fastify itself with a non-Status error (client-node's empty DELETE body, patch types, protobuf).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, _req, reply) => {
    let apiErr: ApiError;
    const { code, statusCode, message } = err as { code?: string; statusCode?: number; message?: string };
    if (err instanceof ApiError) apiErr = err;
    else if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') apiErr = tooLarge(bodyLimit);
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
    if (failing.length > 0) return reply.code(503).type('text/plain').send(`${failing.join('\n')}\nreadyz check failed\n`);
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
      await ensureKubernetesService(context);
      await (caches as WatchCaches).start();
      compactor.start();
    },
    async close() {
      compactor.stop();
      caches?.stop();
      await app.close();
    },
  };
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
