import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KubeObject } from '../../kube/object.js';
import { admitWrite, validateWrite } from '../admission/chain.js';
import { requestUser, type UserInfo } from '../auth/user-info.js';
import type { ResourceDef } from '../registry/types.js';
import { ApiError } from '../status.js';
import { checkPreconditions, type DeleteOptions, parseDeleteOptions, planDelete } from '../strategy/deletion.js';
import { decodeOptionalBody } from './body.js';
import type { ApiContext } from './context.js';
import { checkNamespaceDeletable } from './namespace-lifecycle.js';
import { negotiate } from './negotiate.js';
import { type Query, queryBool, queryDryRun, queryInt, queryString } from './query.js';
import type { RequestInfo } from './request-info.js';
import { sendList, sendObject } from './respond.js';
import { filterFromQuery } from './selectors.js';

/**
 * DELETE of one object and of a collection. The answer is the object as it was deleted (or as
 * marked, when finalizers or graceful termination keep it a while), which kubectl prints as
 * `pod "x" deleted` either way.
 */

export async function handleDelete(ctx: ApiContext, def: ResourceDef, info: RequestInfo, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const q = req.query as Query;
  const opts = deleteOptionsOf(ctx, req, q);
  const dryRun = queryDryRun(q);
  const result = await deleteOne(ctx, def, info.namespace, info.name ?? '', opts, dryRun, requestUser(req));
  // kube answers 200 whether the object went at once or was only marked (graceful, finalizers).
  // An object that went is answered with a Success Status, except for the kinds whose kube
  // registry sets ReturnDeletedObject; a marked one is answered as it now is.
  if (result.deleted && !RETURNS_DELETED_OBJECT.has(def.plural)) {
    const m = result.object.metadata;
    const details = { name: m.name ?? '', ...(def.group === '' ? {} : { group: def.group }), kind: def.plural, uid: m.uid ?? '' };
    const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
    return reply.code(200).type('application/json').send(JSON.stringify(status));
  }
  return sendObject(reply, def, result.object, 200, negotiate(req.headers.accept), ctx.nowMs());
}

/** kube's registries with `ReturnDeletedObject: true`: a DELETE that removes one answers the object. */
const RETURNS_DELETED_OBJECT: ReadonlySet<string> = new Set(['pods', 'services', 'namespaces', 'persistentvolumes', 'persistentvolumeclaims']);

export async function handleDeleteCollection(
  ctx: ApiContext,
  def: ResourceDef,
  info: RequestInfo,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const q = req.query as Query;
  const opts = deleteOptionsOf(ctx, req, q);
  const dryRun = queryDryRun(q);
  const filter = filterFromQuery(def, q);
  const list = await ctx.objects.list(def, { namespace: info.namespace, predicate: filter.predicate });
  const deleted: KubeObject[] = [];
  for (const obj of list.items) {
    try {
      const r = await deleteOne(ctx, def, obj.metadata.namespace, obj.metadata.name ?? '', opts, dryRun, requestUser(req));
      deleted.push(r.object);
    } catch (err) {
      // Gone meanwhile: someone else deleted it, which is what we wanted.
      if (err instanceof ApiError && err.status.reason === 'NotFound') continue;
      throw err;
    }
  }
  return sendList(reply, def, deleted, { resourceVersion: String(list.revision) }, negotiate(req.headers.accept), ctx.nowMs(), 'Metadata');
}

function deleteOptionsOf(ctx: ApiContext, req: FastifyRequest, q: Query): DeleteOptions {
  const body = decodeOptionalBody(req.headers['content-type'], req.body, ctx.protobuf);
  return parseDeleteOptions(body, {
    gracePeriodSeconds: queryInt(q, 'gracePeriodSeconds', -1),
    propagationPolicy: queryString(q, 'propagationPolicy') || undefined,
    orphanDependents: queryString(q, 'orphanDependents') === undefined ? undefined : queryBool(q, 'orphanDependents'),
  });
}

/**
 * Deletes or marks one object, retrying when it changed between the read and the txn. With
 * `user`, the admission chain sees the DELETE first (NodeRestriction: a node deletes only its pods).
 */
export async function deleteOne(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string | undefined,
  name: string,
  opts: DeleteOptions,
  dryRun: boolean,
  user?: UserInfo,
): Promise<{ object: KubeObject; deleted: boolean }> {
  checkNamespaceDeletable(def, name);
  for (let attempt = 1; ; attempt++) {
    const current = await ctx.objects.get(def, namespace, name);
    if (user) {
      const attributes = { operation: 'DELETE', def, namespace, name, object: undefined, oldObject: current, user, dryRun } as const;
      await admitWrite(ctx, attributes);
      await validateWrite(ctx, attributes);
    }
    checkPreconditions(def, current, opts);
    const plan = planDelete(def, current, opts, ctx.nowMs());
    try {
      if (plan.action === 'none') return { object: current, deleted: false };
      if (plan.action === 'mark') {
        const marked = dryRun ? plan.object : await ctx.objects.update(def, plan.object, Number(current.metadata.resourceVersion));
        return { object: marked, deleted: false };
      }
      if (dryRun) return { object: current, deleted: true };
      const revision = await ctx.objects.delete(def, namespace, name, Number(current.metadata.resourceVersion));
      return { object: { ...current, metadata: { ...current.metadata, resourceVersion: String(revision) } }, deleted: true };
    } catch (err) {
      if (err instanceof ApiError && err.status.reason === 'Conflict' && attempt < 16) continue;
      throw err;
    }
  }
}
