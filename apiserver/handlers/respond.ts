import type { FastifyReply } from 'fastify';
import { stringify as toYaml } from 'yaml';
import type { KubeObject } from '../../kube/object.js';
import type { ResourceDef } from '../registry/types.js';
import type { Status } from '../status.js';
import { type IncludeObject, toTable } from '../table/table.js';
import type { Representation } from './negotiate.js';

/**
 * Writes objects, lists and Status bodies in the representation the client negotiated: the
 * object as JSON (or YAML), a `meta.k8s.io` Table (one row per object; what `kubectl get`
 * prints), or PartialObjectMetadata.
 */

export interface ListMeta {
  readonly resourceVersion: string;
  readonly continue?: string | undefined;
  readonly remainingItemCount?: number | undefined;
}

export type { IncludeObject };

const TABLE_CONTENT_TYPE = (v: string): string => `application/json;as=Table;v=${v};g=meta.k8s.io`;

export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

function partial(obj: KubeObject, version: string): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

function send(reply: FastifyReply, code: number, body: unknown, rep: Representation, contentType?: string): FastifyReply {
  if (rep.as === 'object' && rep.yaml) {
    return reply.code(code).type('application/yaml').send(toYaml(body));
  }
  // A Buffer, not a string: fastify rewrites a string reply's content type (quotes the
  // parameters, adds a charset), and kubectl matches `as=Table;…` as sent.
  return reply
    .code(code)
    .header('content-type', contentType ?? 'application/json')
    .send(Buffer.from(JSON.stringify(body)));
}

export function sendObject(
  reply: FastifyReply,
  def: ResourceDef,
  obj: KubeObject,
  code: number,
  rep: Representation,
  nowMs: number,
  includeObject: IncludeObject = 'Metadata',
): FastifyReply {
  if (rep.as === 'table') {
    const table = toTable(def, [obj], { nowMs, includeObject, resourceVersion: obj.metadata.resourceVersion ?? '' });
    return send(reply, code, { ...table, apiVersion: `meta.k8s.io/${rep.version}` }, rep, TABLE_CONTENT_TYPE(rep.version));
  }
  if (rep.as === 'metadata') return send(reply, code, partial(obj, rep.version), rep);
  return send(reply, code, obj, rep);
}

export function sendList(
  reply: FastifyReply,
  def: ResourceDef,
  items: KubeObject[],
  meta: ListMeta,
  rep: Representation,
  nowMs: number,
  includeObject: IncludeObject,
): FastifyReply {
  const metadata: Record<string, unknown> = { resourceVersion: meta.resourceVersion };
  if (meta.continue) metadata.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) metadata.remainingItemCount = meta.remainingItemCount;
  if (rep.as === 'table') {
    const options: Parameters<typeof toTable>[2] = { nowMs, includeObject, resourceVersion: meta.resourceVersion };
    const table = toTable(def, items, meta.continue ? { ...options, continueToken: meta.continue } : options);
    return send(reply, 200, { ...table, apiVersion: `meta.k8s.io/${rep.version}`, metadata }, rep, TABLE_CONTENT_TYPE(rep.version));
  }
  if (rep.as === 'metadata') {
    return send(
      reply,
      200,
      { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${rep.version}`, metadata, items: items.map((o) => partial(o, rep.version)) },
      rep,
    );
  }
  return send(reply, 200, { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata, items }, rep);
}

export function sendStatus(reply: FastifyReply, status: Status, headers: Readonly<Record<string, string>> = {}): FastifyReply {
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.code(status.code).type('application/json').send(JSON.stringify(status));
}

/** kube's warning header format: `299 - "<text>"`, one header line per warning. */
export function addWarnings(reply: FastifyReply, warnings: readonly string[]): void {
  if (warnings.length === 0) return;
  reply.header(
    'warning',
    warnings.map((w) => `299 - ${JSON.stringify(w)}`),
  );
}
