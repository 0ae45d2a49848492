import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KubeObject } from '../../kube/object.js';
import { admitWrite, validateWrite } from '../admission/chain.js';
import { requestUser } from '../auth/user-info.js';
import type { ResourceDef } from '../registry/types.js';
import { ApiError, alreadyExists, conflict, invalidPatch, MODIFIED_CONFLICT } from '../status.js';
import { checkFields } from '../strategy/field-validation.js';
import { goJson, goQuote, goSprint } from '../strategy/go-format.js';
import { checkBodyIdentity, prepareCreate, prepareUpdate, readyToVanish, sameObject, type UpdateTarget } from '../strategy/object-lifecycle.js';
import { rfc3339 } from '../time.js';
import { decodeObjectBody, decodePatchBody, type PatchType, patchTypeOf } from './body.js';
import type { ApiContext } from './context.js';
import { negotiate } from './negotiate.js';
import { applyPatch } from './patch.js';
import { type Query, queryDryRun, queryFieldValidation } from './query.js';
import type { RequestInfo } from './request-info.js';
import { addWarnings, sendObject } from './respond.js';

/**
 * POST, PUT and PATCH of a whole object (and, with `target: 'status'`, of its status). Each write
 * is one conditional store txn (object-store.ts); `?dryRun=All` runs everything but that txn.
 */

/** generateName picks a random suffix; a taken name is retried a few times before 409. */
const GENERATE_NAME_ATTEMPTS = 8;

export async function handleCreate(ctx: ApiContext, def: ResourceDef, info: RequestInfo, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const q = req.query as Query;
  const dryRun = queryDryRun(q);
  const body = decodeObjectBody(req.headers['content-type'], req.body, ctx.protobuf);
  const identified = checkBodyIdentity(def, body, info.namespace, undefined);
  const { object, warnings } = checkFields(def, identified, queryFieldValidation(q), ctx.definitions);
  // A review (SubjectAccessReview…) is answered, not stored.
  if (def.virtual) return sendObject(reply, def, await def.virtual(ctx, object, requestUser(req)), 201, negotiate(req.headers.accept), ctx.nowMs());
  // Admission (admission/chain.ts): the mutating phase before the strategy, the validating phase after it.
  const user = requestUser(req);
  const writeName = object.metadata.name ?? object.metadata.generateName ?? '';
  const base = { operation: 'CREATE', def, namespace: object.metadata.namespace ?? info.namespace, oldObject: undefined, user, dryRun } as const;
  const admitted = (await admitWrite(ctx, { ...base, name: writeName, object })) ?? object;
  addWarnings(reply, warnings);
  const generated = !admitted.metadata.name && !!admitted.metadata.generateName;
  for (let attempt = 1; ; attempt++) {
    const obj = prepareCreate(def, structuredClone(admitted), {
      namespace: info.namespace,
      uid: ctx.newUid(),
      now: rfc3339Now(ctx),
      nameSuffix: generated ? ctx.nameSuffix() : '',
    });
    await validateWrite(ctx, { ...base, name: obj.metadata.name ?? '', object: obj });
    if (dryRun) {
      const existing = await ctx.objects.find(def, obj.metadata.namespace, obj.metadata.name ?? '');
      if (existing) throw alreadyExists(def, obj.metadata.name ?? '');
      return sendObject(reply, def, obj, 201, negotiate(req.headers.accept), ctx.nowMs());
    }
    try {
      const created = await ctx.objects.create(def, obj);
      return sendObject(reply, def, created, 201, negotiate(req.headers.accept), ctx.nowMs());
    } catch (err) {
      if (generated && err instanceof ApiError && err.status.reason === 'AlreadyExists' && attempt < GENERATE_NAME_ATTEMPTS) continue;
      throw err;
    }
  }
}

export async function handleUpdate(
  ctx: ApiContext,
  def: ResourceDef,
  info: RequestInfo,
  req: FastifyRequest,
  reply: FastifyReply,
  target: UpdateTarget,
): Promise<FastifyReply> {
  const q = req.query as Query;
  const dryRun = queryDryRun(q);
  const body = decodeObjectBody(req.headers['content-type'], req.body, ctx.protobuf);
  const identified = checkBodyIdentity(def, body, info.namespace, info.name);
  const { object, warnings } = checkFields(def, identified, queryFieldValidation(q), ctx.definitions);
  addWarnings(reply, warnings);
  const name = info.name ?? '';
  object.metadata.name = name;
  const current = await ctx.objects.get(def, info.namespace, name);
  const sentVersion = object.metadata.resourceVersion;
  if (sentVersion !== undefined && sentVersion !== '' && sentVersion !== current.metadata.resourceVersion) {
    throw conflict(def, name, MODIFIED_CONFLICT);
  }
  const expected = Number(sentVersion || current.metadata.resourceVersion);
  const { next, validate } = await admitUpdate(ctx, def, info, req, target, current, object, dryRun);
  await validate();
  return commitUpdate(ctx, def, info, req, reply, current, next, expected, dryRun);
}

export async function handlePatch(
  ctx: ApiContext,
  def: ResourceDef,
  info: RequestInfo,
  req: FastifyRequest,
  reply: FastifyReply,
  target: UpdateTarget,
): Promise<FastifyReply> {
  const q = req.query as Query;
  const dryRun = queryDryRun(q);
  const patchType = patchTypeOf(req.headers['content-type']);
  const patch = decodePatchBody(patchType, req.body);
  const mode = queryFieldValidation(q);
  const name = info.name ?? '';
  // Server-side apply of an absent object creates it (kubectl apply --server-side).
  if (patchType === 'apply') {
    const existing = await ctx.objects.find(def, info.namespace, name);
    if (!existing) {
      const identified = checkBodyIdentity(def, patch, info.namespace, info.name);
      identified.metadata.name = name;
      const { object, warnings } = checkFields(def, identified, mode, ctx.definitions);
      addWarnings(reply, warnings);
      const base = { operation: 'CREATE', def, namespace: info.namespace, name, oldObject: undefined, user: requestUser(req), dryRun } as const;
      const admitted = (await admitWrite(ctx, { ...base, object })) ?? object;
      const obj = prepareCreate(def, admitted, { namespace: info.namespace, uid: ctx.newUid(), now: rfc3339Now(ctx), nameSuffix: ctx.nameSuffix() });
      await validateWrite(ctx, { ...base, object: obj });
      const created = dryRun ? obj : await ctx.objects.create(def, obj);
      return sendObject(reply, def, created, 201, negotiate(req.headers.accept), ctx.nowMs());
    }
  }
  // Patches apply to whatever is current, retried on conflict (kube's GuaranteedUpdate), unless
  // the patch itself names a resourceVersion: then that version is a precondition.
  // The first attempt starts from the watch cache's copy, as kube's GuaranteedUpdate does with its
  // cached object: one store round trip (the txn) instead of two. Whenever that copy might be
  // stale — the txn conflicts, the patch names another resourceVersion, the patch changes
  // nothing — the next attempt reads the store.
  const cached = ctx.caches.cachedObject(def, info.namespace, name);
  for (let attempt = 1; ; attempt++) {
    const fromCache = attempt === 1 && cached !== undefined;
    const current = fromCache ? structuredClone(cached) : await ctx.objects.get(def, info.namespace, name);
    const patched = applyPatch(def, patchType, current, patch, ctx.definitions);
    const sentVersion = (patched.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
    if (sentVersion !== undefined && sentVersion !== current.metadata.resourceVersion) {
      if (fromCache) continue;
      throw conflict(def, name, MODIFIED_CONFLICT);
    }
    const identified = checkBodyIdentity(def, patched, info.namespace, info.name);
    const decodeError = patchType === 'apply' ? undefined : (detail: string) => invalidPatch(goQuote(patchedValue(patchType, patch, patched)), detail);
    const { object, warnings } = checkFields(def, identified, mode, ctx.definitions, decodeError);
    const { next, validate } = await admitUpdate(ctx, def, info, req, target, current, object, dryRun);
    // A no-op against a cached copy proves nothing about the current object.
    if (fromCache && sameObject({ ...next, metadata: { ...next.metadata, resourceVersion: current.metadata.resourceVersion ?? '' } }, current)) continue;
    await validate();
    // Before the answer goes out: headers set after send are lost. A retry sets them again.
    addWarnings(reply, warnings);
    try {
      return await commitUpdate(ctx, def, info, req, reply, current, next, Number(current.metadata.resourceVersion), dryRun);
    } catch (err) {
      if (err instanceof ApiError && err.status.reason === 'Conflict' && (sentVersion === undefined || fromCache) && attempt < 16) continue;
      if (err instanceof ApiError && err.status.reason === 'NotFound' && fromCache) continue;
      throw err;
    }
  }
}

/** Writes `next` over `current` (or deletes it, if that removed its last finalizer while being deleted). */
async function commitUpdate(
  ctx: ApiContext,
  def: ResourceDef,
  info: RequestInfo,
  req: FastifyRequest,
  reply: FastifyReply,
  current: KubeObject,
  next: KubeObject,
  expectedRevision: number,
  dryRun: boolean,
): Promise<FastifyReply> {
  const rep = negotiate(req.headers.accept);
  next.metadata.resourceVersion = current.metadata.resourceVersion ?? '';
  if (sameObject(next, current)) return sendObject(reply, def, current, 200, rep, ctx.nowMs());
  if (dryRun) return sendObject(reply, def, next, 200, rep, ctx.nowMs());
  if (readyToVanish(next)) {
    const revision = await ctx.objects.delete(def, info.namespace, next.metadata.name ?? '', expectedRevision);
    return sendObject(reply, def, { ...next, metadata: { ...next.metadata, resourceVersion: String(revision) } }, 200, rep, ctx.nowMs());
  }
  const updated = await ctx.objects.update(def, next, expectedRevision);
  return sendObject(reply, def, updated, 200, rep, ctx.nowMs());
}

/** What kube quotes when a patched object does not decode: the patch as Go prints a map (strategic), or the patched object's JSON (json, merge). */
function patchedValue(type: PatchType, patch: unknown, patched: KubeObject): string {
  return type === 'strategic' ? goSprint(patch) : goJson(patched);
}

function rfc3339Now(ctx: ApiContext): string {
  return rfc3339(ctx.nowMs());
}

/**
 * An update through admission: the mutating plugins, then the kind's update strategy, giving the
 * object to store; `validate` runs the validating plugins on it (the caller may first decide the
 * write is a no-op and skip it).
 */
async function admitUpdate(
  ctx: ApiContext,
  def: ResourceDef,
  info: RequestInfo,
  req: FastifyRequest,
  target: UpdateTarget,
  current: KubeObject,
  object: KubeObject,
  dryRun: boolean,
): Promise<{ next: KubeObject; validate: () => Promise<void> }> {
  const base = {
    operation: 'UPDATE',
    def,
    namespace: info.namespace,
    name: current.metadata.name ?? '',
    subresource: target === 'status' ? 'status' : '',
    oldObject: current,
    user: requestUser(req),
    dryRun,
  } as const;
  const admitted = (await admitWrite(ctx, { ...base, object })) ?? object;
  const next = prepareUpdate(def, admitted, current, target);
  return { next, validate: () => validateWrite(ctx, { ...base, object: next }) };
}
