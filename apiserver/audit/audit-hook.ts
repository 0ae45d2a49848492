import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestUser } from '../auth/user-info.js';
import { parseRequestPath, type RequestInfo } from '../handlers/request-info.js';
import type { RoutedRequest } from '../handlers/resource-routes.js';
import type { AuditSink } from './audit-log.js';
import { type AuditAttributes, type AuditLevel, type AuditPolicy, auditLevelFor } from './audit-policy.js';

/**
 * Audit events for every request (kube's audit filter): one audit.k8s.io/v1 Event at stage
 * ResponseComplete, written when the answer has gone out, at the level the policy gives
 * (None: nothing). The request's receipt time and audit ID are taken in onRequest, so the
 * event's requestReceivedTimestamp → stageTimestamp span is the request's latency; the ID is
 * also answered in the `Audit-Id` header, as kube-apiserver does.
 */

export interface AuditOptions {
  readonly policy: AuditPolicy;
  readonly sink: AuditSink;
  /** The server clock (ms); tests pass a fixed one. */
  readonly nowMs: () => number;
  readonly newId?: () => string;
}

interface AuditedRequest {
  auditId?: string;
  auditReceivedMs?: number;
}

/** Verbs whose request body kube logs at level Request. */
const BODY_VERBS: ReadonlySet<string> = new Set(['create', 'update', 'patch']);

export function installAudit(app: FastifyInstance, options: AuditOptions): void {
  const newId = options.newId ?? randomUUID;
  app.addHook('onRequest', async (req, reply) => {
    const a = req as AuditedRequest;
    a.auditId = newId();
    a.auditReceivedMs = options.nowMs();
    reply.header('Audit-Id', a.auditId);
  });
  app.addHook('onResponse', async (req, reply) => {
    try {
      const event = auditEvent(req, reply, options);
      if (event) options.sink.write(event);
    } catch {
      // An event that cannot be built is lost; the request already got its answer.
    }
  });
}

/** The event for one finished request, or undefined when the policy says None. */
export function auditEvent(req: FastifyRequest, reply: FastifyReply, options: AuditOptions): Record<string, unknown> | undefined {
  const a = req as AuditedRequest;
  const url = req.url;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const info = requestInfoOf(req, path, q < 0 ? '' : url.slice(q + 1));
  const user = requestUser(req);
  const verb = info?.verb ?? req.method.toLowerCase();
  const attrs: AuditAttributes = {
    user,
    verb,
    path,
    ...(info
      ? {
          resource: { group: info.group, resource: info.resource, subresource: info.subresource ?? '', namespace: info.namespace ?? '', name: info.name ?? '' },
        }
      : {}),
  };
  let level: AuditLevel = auditLevelFor(options.policy, attrs);
  if (level === 'None') return undefined;
  // Response bodies are not kept: RequestResponse logs what Request does.
  if (level === 'RequestResponse') level = 'Request';
  const received = a.auditReceivedMs ?? options.nowMs();
  const event: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level,
    auditID: a.auditId ?? '',
    stage: 'ResponseComplete',
    requestURI: url,
    verb,
    user: { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: [...user.groups], ...(user.extra ? { extra: user.extra } : {}) },
    sourceIPs: [req.ip],
    ...(typeof req.headers['user-agent'] === 'string' ? { userAgent: req.headers['user-agent'] } : {}),
  };
  if (info) {
    event.objectRef = {
      resource: info.resource,
      ...(info.namespace ? { namespace: info.namespace } : {}),
      ...(info.name ? { name: info.name } : {}),
      apiGroup: info.group,
      apiVersion: info.version,
      ...(info.subresource ? { subresource: info.subresource } : {}),
    };
  }
  event.responseStatus = { metadata: {}, code: reply.statusCode };
  if (level === 'Request' && BODY_VERBS.has(verb)) {
    const body = requestBody(req);
    if (body !== undefined) event.requestObject = body;
  }
  event.requestReceivedTimestamp = microTime(received);
  event.stageTimestamp = microTime(Math.max(received, options.nowMs()));
  return event;
}

function requestInfoOf(req: FastifyRequest, path: string, query: string): RequestInfo | undefined {
  const routed = (req as RoutedRequest).info;
  if (routed) return routed;
  // Refused before routing (401, 403 on authorization): read the URL the way routing would.
  const parsed = parseRequestPath(req.method, path, new URLSearchParams(query).get('watch') === 'true');
  return parsed && !('discovery' in parsed) ? parsed : undefined;
}

/** The body as JSON when it is JSON (protobuf and YAML bodies are left out). */
function requestBody(req: FastifyRequest): unknown {
  const body = req.body;
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : undefined;
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** RFC 3339 with microseconds, as kube's MicroTime prints (`2026-11-27T10:00:00.123000Z`). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
