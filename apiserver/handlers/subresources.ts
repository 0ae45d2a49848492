import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KubeObject } from '../../kube/object.js';
import { isPlainObject } from '../../kube/object.js';
import { requestUser } from '../auth/user-info.js';
import type { ResourceDef } from '../registry/types.js';
import { badRequest, conflict, invalid, MODIFIED_CONFLICT, methodNotAllowed, notFound, successStatus } from '../status.js';
import { parseDeleteOptions } from '../strategy/deletion.js';
import { rfc3339 } from '../time.js';
import { decodeObjectBody, decodePatchBody, patchTypeOf } from './body.js';
import type { ApiContext } from './context.js';
import { negotiate } from './negotiate.js';
import { applyPatch } from './patch.js';
import { proxyPodLog } from './pod-log.js';
import { type Query, queryDryRun } from './query.js';
import { handleGet } from './read.js';
import { deleteOne } from './remove.js';
import type { RequestInfo } from './request-info.js';
import { sendObject, sendStatus } from './respond.js';
import { handlePatch, handleUpdate } from './write.js';

/**
 * Subresources: `status` (writes only the status), `scale` (autoscaling/v1 Scale over a
 * workload's replicas), `binding` (the scheduler's write of `spec.nodeName`), `eviction`
 * (policy/v1: a delete that disruption budgets could refuse — none are served, so it deletes),
 * `log` (proxied to the node agent, as kube-apiserver proxies to the kubelet), and a namespace's
 * `finalize` (the namespace controller's last step).
 */
export async function handleSubresource(ctx: ApiContext, def: ResourceDef, info: RequestInfo, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const sub = info.subresource ?? '';
  const verb = info.verb;
  const allowed = def.subresources.includes(sub as never) || (def.kind === 'Namespace' && sub === 'finalize');
  if (!allowed) throw notFound({ plural: `${def.plural}/${sub}`, group: def.group }, info.name ?? '');
  switch (sub) {
    case 'status':
      if (verb === 'get') return handleGet(ctx, def, info, req, reply);
      if (verb === 'update') return handleUpdate(ctx, def, info, req, reply, 'status');
      if (verb === 'patch') return handlePatch(ctx, def, info, req, reply, 'status');
      break;
    case 'scale':
      if (verb === 'get' || verb === 'update' || verb === 'patch') return handleScale(ctx, def, info, req, reply);
      break;
    case 'binding':
      if (verb === 'create') return handleBinding(ctx, def, info, req, reply);
      break;
    case 'eviction':
      if (verb === 'create') return handleEviction(ctx, def, info, req, reply);
      break;
    case 'log':
      if (verb === 'get') return proxyPodLog(ctx, def, info, req, reply);
      break;
    case 'finalize':
      if (verb === 'update') return handleFinalize(ctx, def, info, req, reply);
      break;
  }
  throw methodNotAllowed(`the server does not allow this method on the requested resource (${verb} ${def.plural}/${sub})`);
}

function toScale(def: ResourceDef, obj: KubeObject): KubeObject {
  const scale = def.scale;
  if (!scale) throw notFound({ plural: `${def.plural}/scale`, group: def.group }, obj.metadata.name ?? '');
  const m = obj.metadata;
  const metadata: KubeObject['metadata'] = {
    name: m.name ?? '',
    uid: m.uid ?? '',
    resourceVersion: m.resourceVersion ?? '',
    creationTimestamp: m.creationTimestamp ?? null,
  };
  if (m.namespace) metadata.namespace = m.namespace;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata,
    spec: { replicas: scale.specReplicas(obj) },
    status: { replicas: scale.statusReplicas(obj), selector: scale.selector(obj) },
  };
}

async function handleScale(ctx: ApiContext, def: ResourceDef, info: RequestInfo, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const rep = negotiate(req.headers.accept);
  const name = info.name ?? '';
  const scale = def.scale;
  if (!scale) throw notFound({ plural: `${def.plural}/scale`, group: def.group }, name);
  if (info.verb === 'get') {
    const obj = await ctx.objects.get(def, info.namespace, name);
    return sendObject(reply, def, toScale(def, obj), 200, { as: 'object', yaml: rep.as === 'object' && rep.yaml }, ctx.nowMs());
  }
  const dryRun = queryDryRun(req.query as Query);
  const mutate = (current: KubeObject): KubeObject => {
    let wanted: unknown;
    if (info.verb === 'patch') {
      const type = patchTypeOf(req.headers['content-type']);
      wanted = applyPatch(def, type === 'apply' ? 'merge' : type, toScale(def, current), decodePatchBody(type, req.body), {});
    } else {
      wanted = decodeObjectBody(req.headers['content-type'], req.body, ctx.protobuf);
    }
    if (!isPlainObject(wanted)) throw badRequest('a Scale object is expected');
    const sentVersion = (wanted.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
    if (sentVersion && sentVersion !== current.metadata.resourceVersion) throw conflict(def, name, MODIFIED_CONFLICT);
    const replicas = (wanted.spec as { replicas?: unknown } | undefined)?.replicas;
    if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
      throw invalid({ plural: 'scale', group: 'autoscaling', kind: 'Scale' }, name, [
        { reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` },
      ]);
    }
    if (typeof replicas === 'number') {
      scale.setSpecReplicas(current, replicas);
      if (def.specFields) current.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    return current;
  };
  const updated = dryRun ? mutate(await ctx.objects.get(def, info.namespace, name)) : await ctx.objects.guaranteedUpdate(def, info.namespace, name, mutate);
  return sendObject(reply, def, toScale(def, updated), 200, { as: 'object', yaml: false }, ctx.nowMs());
}

async function handleBinding(ctx: ApiContext, def: ResourceDef, info: RequestInfo, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const name = info.name ?? '';
  const body = decodeObjectBody(req.headers['content-type'], req.body, ctx.protobuf);
  const target = isPlainObject(body) && isPlainObject(body.target) ? body.target : undefined;
  const nodeName = typeof target?.name === 'string' ? target.name : '';
  if (!nodeName)
    throw invalid({ plural: 'bindings', group: '', kind: 'Binding' }, name, [
      { reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' },
    ]);
  const bindingQ = { plural: 'pods/binding', group: '' };
  await ctx.objects.guaranteedUpdate(def, info.namespace, name, (pod) => {
    const spec = (pod.spec ?? {}) as { nodeName?: string };
    if (pod.metadata.deletionTimestamp !== undefined) throw conflict(bindingQ, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    if (spec.nodeName) throw conflict(bindingQ, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
    pod.spec = { ...spec, nodeName };
    const status = (isPlainObject(pod.status) ? pod.status : {}) as { conditions?: Record<string, unknown>[] };
    const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(ctx.nowMs()) });
    pod.status = { ...status, conditions };
    return pod;
  });
  return sendStatus(reply, { ...successStatus(), code: 201 });
}

async function handleEviction(ctx: ApiContext, def: ResourceDef, info: RequestInfo, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const body = decodeObjectBody(req.headers['content-type'], req.body, ctx.protobuf);
  const deleteOptions = isPlainObject(body) ? body.deleteOptions : undefined;
  const opts = parseDeleteOptions(deleteOptions ?? undefined, {});
  await deleteOne(ctx, def, info.namespace, info.name ?? '', opts, queryDryRun(req.query as Query), requestUser(req));
  return sendStatus(reply, { ...successStatus(), code: 201 });
}

async function handleFinalize(ctx: ApiContext, def: ResourceDef, info: RequestInfo, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const name = info.name ?? '';
  const body = decodeObjectBody(req.headers['content-type'], req.body, ctx.protobuf);
  const finalizers = isPlainObject(body) && isPlainObject(body.spec) && Array.isArray(body.spec.finalizers) ? (body.spec.finalizers as string[]) : [];
  const current = await ctx.objects.get(def, undefined, name);
  const next = structuredClone(current);
  next.spec = { ...(isPlainObject(next.spec) ? next.spec : {}), finalizers };
  const rev = Number(current.metadata.resourceVersion);
  if (next.metadata.deletionTimestamp !== undefined && finalizers.length === 0 && (next.metadata.finalizers ?? []).length === 0) {
    const revision = await ctx.objects.delete(def, undefined, name, rev);
    return sendObject(
      reply,
      def,
      { ...next, metadata: { ...next.metadata, resourceVersion: String(revision) } },
      200,
      negotiate(req.headers.accept),
      ctx.nowMs(),
    );
  }
  const updated = await ctx.objects.update(def, next, rev);
  return sendObject(reply, def, updated, 200, negotiate(req.headers.accept), ctx.nowMs());
}
