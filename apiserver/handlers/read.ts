import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ResourceDef } from '../registry/types.js';
import { badRequest, notFound } from '../status.js';
import type { ApiContext } from './context.js';
import { negotiate } from './negotiate.js';
import { type Query, queryInt, queryResourceVersion, queryResourceVersionMatch, queryString } from './query.js';
import type { RequestInfo } from './request-info.js';
import { type IncludeObject, sendList, sendObject } from './respond.js';
import { filterFromQuery } from './selectors.js';

/**
 * GET of one object and LIST, with kube's resourceVersion semantics:
 * - get: unset → a linearizable read from the store; "0" → the watch cache (may be stale).
 * - list with `continue` → the store at the token's revision; `resourceVersionMatch=Exact` → the
 *   store at that revision; "0" → the watch cache as it is; N (NotOlderThan) → the watch cache
 *   once it has caught up to N; unset with `limit` → a consistent paged list from the store;
 *   unset without `limit` → a consistent list from the watch cache (kube 1.31's "consistent reads
 *   from cache": ask the store for its current revision, wait until the cache has it).
 */

/** How long a consistent read waits for the watch cache to catch up before reading the store instead. */
const CACHE_CATCH_UP_TIMEOUT_MS = 3000;

export async function handleGet(ctx: ApiContext, def: ResourceDef, info: RequestInfo, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const q = req.query as Query;
  const rv = queryResourceVersion(q);
  const name = info.name ?? '';
  const rep = negotiate(req.headers.accept);
  const cached = rv === 0 ? ctx.caches.cachedObject(def, info.namespace, name) : undefined;
  const obj = cached ?? (await ctx.objects.find(def, info.namespace, name));
  if (!obj) throw notFound(def, name);
  return sendObject(reply, def, obj, 200, rep, ctx.nowMs(), includeObjectOf(q));
}

export async function handleList(ctx: ApiContext, def: ResourceDef, info: RequestInfo, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const q = req.query as Query;
  const rep = negotiate(req.headers.accept);
  const rv = queryResourceVersion(q);
  const match = queryResourceVersionMatch(q, rv);
  const limit = queryInt(q, 'limit') ?? 0;
  // A list takes timeoutSeconds too (ListOptions); a malformed one is a 400, as in kube, even though a list ends by itself.
  queryInt(q, 'timeoutSeconds');
  const continueToken = queryString(q, 'continue') || undefined;
  const filter = filterFromQuery(def, q);
  const includeObject = includeObjectOf(q);
  const namespace = info.namespace;
  if (continueToken && rv !== undefined && rv !== 0) throw badRequest('specifying resource version is not allowed when using continue');

  const cache = ctx.caches.forResource(def);
  const fromStore = async (revision?: number): Promise<FastifyReply> => {
    const list = await ctx.objects.list(def, { namespace, limit, continueToken, revision, predicate: filter.predicate });
    return sendList(
      reply,
      def,
      list.items,
      { resourceVersion: String(list.revision), continue: list.continueToken, remainingItemCount: list.remainingItemCount },
      rep,
      ctx.nowMs(),
      includeObject,
    );
  };
  const fromCache = (): FastifyReply | undefined => {
    if (!cache?.ready()) return undefined;
    const list = cache.list({ ...(namespace === undefined ? {} : { namespace }), ...(filter.predicate ? { predicate: filter.predicate } : {}) });
    return sendList(reply, def, list.items, { resourceVersion: String(list.revision) }, rep, ctx.nowMs(), includeObject);
  };

  if (continueToken) return fromStore();
  if (match === 'Exact') return fromStore(rv);
  if (rv === 0) return fromCache() ?? fromStore();
  if (rv !== undefined) {
    if (cache?.ready()) {
      await cache.waitForRevision(rv, CACHE_CATCH_UP_TIMEOUT_MS);
      return fromCache() ?? fromStore();
    }
    return fromStore();
  }
  if (limit > 0 || !cache?.ready()) return fromStore();
  const current = await ctx.objects.currentRevision();
  try {
    await cache.waitForRevision(current, CACHE_CATCH_UP_TIMEOUT_MS);
  } catch {
    return fromStore();
  }
  return fromCache() ?? fromStore();
}

export function includeObjectOf(q: Query): IncludeObject {
  const v = queryString(q, 'includeObject');
  if (v === undefined || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw badRequest(`includeObject: Unsupported value: "${v}": supported values: "None", "Metadata", "Object"`);
}
