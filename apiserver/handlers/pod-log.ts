import { request } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isPlainObject } from '../../kube/object.js';
import type { ResourceDef } from '../registry/types.js';
import { badRequest, unavailable } from '../status.js';
import type { ApiContext } from './context.js';
import { type Query, queryBool, queryInt, queryString } from './query.js';
import type { RequestInfo } from './request-info.js';

/**
 * `GET pods/{name}/log`: kube-apiserver asks the kubelet of the pod's node
 * (`GET /containerLogs/{namespace}/{pod}/{container}` on the node's InternalIP and
 * `status.daemonEndpoints.kubeletEndpoint.Port`) and streams its answer back as text/plain.
 * picokube's node agents serve the same endpoint.
 */
export async function proxyPodLog(ctx: ApiContext, def: ResourceDef, info: RequestInfo, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const q = req.query as Query;
  const name = info.name ?? '';
  const pod = await ctx.objects.get(def, info.namespace, name);
  const spec = (pod.spec ?? {}) as { nodeName?: string; containers?: { name?: string }[] };
  const containers = (spec.containers ?? []).map((c) => c.name ?? '');
  let container = queryString(q, 'container');
  if (!container) {
    if (containers.length !== 1) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
    container = containers[0] ?? '';
  } else if (!containers.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  if (!spec.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  const nodeDef = ctx.registry.byKind('', 'Node');
  const node = nodeDef ? await ctx.objects.find(nodeDef, undefined, spec.nodeName) : undefined;
  const endpoint = node ? kubeletEndpoint(node.status) : undefined;
  if (!endpoint) throw unavailable(`the node ${spec.nodeName} of pod ${name} has no reachable agent endpoint`);

  const params = new URLSearchParams();
  if (queryBool(q, 'follow')) params.set('follow', 'true');
  if (queryBool(q, 'timestamps')) params.set('timestamps', 'true');
  if (queryBool(q, 'previous')) params.set('previous', 'true');
  for (const k of ['tailLines', 'sinceSeconds', 'limitBytes'] as const) {
    const v = queryInt(q, k);
    if (v !== undefined) params.set(k, String(v));
  }
  const path = `/containerLogs/${encodeURIComponent(info.namespace ?? '')}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${params}`;
  await new Promise<void>((resolve, reject) => {
    const upstream = request({ host: endpoint.host, port: endpoint.port, path, method: 'GET' }, (res) => {
      if ((res.statusCode ?? 500) >= 400) {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (text.length < 4096) text += c;
        });
        res.on('end', () => reject(badRequest(`the node agent refused the log request: ${text.trim() || res.statusCode}`)));
        return;
      }
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
      reply.raw.flushHeaders();
      res.pipe(reply.raw);
      reply.raw.on('close', () => res.destroy());
      resolve();
    });
    upstream.on('error', (err) => reject(unavailable(`the node agent of ${spec.nodeName} did not answer: ${err.message}`)));
    upstream.end();
  });
  return reply;
}

function kubeletEndpoint(status: unknown): { host: string; port: number } | undefined {
  if (!isPlainObject(status)) return undefined;
  const addresses = Array.isArray(status.addresses) ? (status.addresses as { type?: string; address?: string }[]) : [];
  const host = addresses.find((a) => a.type === 'InternalIP')?.address ?? addresses.find((a) => a.type === 'Hostname')?.address;
  const endpoints = status.daemonEndpoints as { kubeletEndpoint?: { Port?: number } } | undefined;
  const port = endpoints?.kubeletEndpoint?.Port;
  if (!host || typeof port !== 'number' || port <= 0) return undefined;
  return { host, port };
}
