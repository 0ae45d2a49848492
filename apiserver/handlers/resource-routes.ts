import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { aggregatedContentType, aggregatedDiscovery, apiGroupDocument, apiGroupList, apiResourceList, apiVersions } from '../discovery.js';
import { authorizeNonResourceRequest, authorizeResourceRequest } from '../authz/request-authorization.js';
import type { ResourceDef } from '../registry/types.js';
import { methodNotAllowed, notAcceptable, notFound, routeNotFound } from '../status.js';
import type { ApiContext } from './context.js';
import { isAcceptable, wantsAggregatedDiscovery } from './negotiate.js';
import { type Query, queryBool } from './query.js';
import { handleGet, handleList } from './read.js';
import { handleDelete, handleDeleteCollection } from './remove.js';
import { type DiscoveryPath, parseRequestPath, type RequestInfo } from './request-info.js';
import { handleSubresource } from './subresources.js';
import { handleWatch } from './watch.js';
import { handleCreate, handlePatch, handleUpdate } from './write.js';

/** Labels a request for metrics once it is routed. */
export interface RoutedRequest {
  info?: RequestInfo;
}

/**
 * Every URL under `/api` and `/apis`: discovery documents, and resource requests dispatched by
 * verb to the generic handlers with the kind's ResourceDef (one set of handlers for all kinds).
 */
export function registerResourceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const url = req.url;
    const qIndex = url.indexOf('?');
    const pathname = decodeURIComponent(qIndex < 0 ? url : url.slice(0, qIndex));
    const parsed = parseRequestPath(req.method, pathname, queryBool(req.query as Query, 'watch'));
    if (!parsed) throw routeNotFound();
    if ('discovery' in parsed) {
      await authorizeNonResourceRequest(ctx.authorizer, req);
      return serveDiscovery(ctx, parsed, req, reply);
    }
    (req as RoutedRequest).info = parsed;
    if (parsed.subresource !== 'log' && !isAcceptable(req.headers.accept)) throw notAcceptable();
    // Authorized before the kind is looked up, as kube does: a user who may not list a resource learns nothing of whether it exists.
    await authorizeResourceRequest(ctx.authorizer, req, parsed);
    const def = ctx.registry.byResource(parsed.group, parsed.version, parsed.resource);
    if (!def) throw routeNotFound();
    if (def.virtual && (parsed.verb !== 'create' || parsed.subresource !== undefined)) {
      throw methodNotAllowed(`the server does not allow this method on the requested resource (${req.method} ${def.plural})`);
    }
    if (parsed.subresource !== undefined) return handleSubresource(ctx, def, parsed, req, reply);
    return dispatch(ctx, def, parsed, req, reply);
  };
  for (const prefix of ['/api', '/apis']) {
    app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], url: prefix, handler });
    app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], url: `${prefix}/*`, handler });
  }
}

async function dispatch(ctx: ApiContext, def: ResourceDef, info: RequestInfo, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  // A namespaced kind listed without a namespace is a list across all namespaces; a
  // cluster-scoped kind under /namespaces/x is not a thing.
  if (!def.namespaced && info.namespace !== undefined) throw notFound(def, info.name ?? '');
  switch (info.verb) {
    case 'get':
      return handleGet(ctx, def, info, req, reply);
    case 'list':
      return handleList(ctx, def, info, req, reply);
    case 'watch':
      return handleWatch(ctx, def, info, req, reply);
    case 'create':
      if (info.name !== undefined) throw methodNotAllowed(`the server does not allow this method on the requested resource (post ${def.plural} ${info.name})`);
      if (def.namespaced && info.namespace === undefined)
        throw methodNotAllowed(`the server does not allow this method on the requested resource (post ${def.plural}): create in a namespace`);
      return handleCreate(ctx, def, info, req, reply);
    case 'update':
      return handleUpdate(ctx, def, info, req, reply, 'main');
    case 'patch':
      return handlePatch(ctx, def, info, req, reply, 'main');
    case 'delete':
      return handleDelete(ctx, def, info, req, reply);
    case 'deletecollection':
      return handleDeleteCollection(ctx, def, info, req, reply);
    default:
      throw methodNotAllowed(`the server does not allow this method on the requested resource (${req.method} ${def.plural})`);
  }
}

function serveDiscovery(ctx: ApiContext, path: DiscoveryPath, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    throw methodNotAllowed(`the server does not allow this method on the requested resource (${req.method} discovery)`);
  const defs = ctx.registry.all;
  const core = req.url.startsWith('/api') && !req.url.startsWith('/apis');
  if (path.version === undefined && path.group === undefined) {
    const aggregated = wantsAggregatedDiscovery(req.headers.accept);
    if (aggregated) {
      // Set verbatim: kubectl only reads the aggregated form when the content type names it exactly.
      return reply.header('content-type', aggregatedContentType(aggregated)).send(Buffer.from(JSON.stringify(aggregatedDiscovery(defs, core, aggregated))));
    }
    const host = req.headers.host ?? '127.0.0.1';
    return reply.type('application/json').send(JSON.stringify(core ? apiVersions(host) : apiGroupList(defs)));
  }
  if (path.version === undefined && path.group !== undefined) {
    const doc = apiGroupDocument(defs, path.group);
    if (!doc) throw routeNotFound();
    return reply.type('application/json').send(JSON.stringify(doc));
  }
  const doc = apiResourceList(defs, path.group ?? '', path.version ?? '');
  if (!doc) throw routeNotFound();
  return reply.type('application/json').send(JSON.stringify(doc));
}
