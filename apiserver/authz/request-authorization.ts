import type { FastifyRequest } from 'fastify';
import { requestUser, type UserInfo } from '../auth/user-info.js';
import type { RequestInfo } from '../handlers/request-info.js';
import { ApiError } from '../status.js';
import type { AuthorizationAttributes, Authorizer, NonResourceAttributes, ResourceAttributes } from './authorizer.js';

/**
 * The authorization step of a request (kube's WithAuthorization filter): the attributes a
 * request asks for, the authorizer's verdict, and kube's 403 when it says no.
 */

/** A resource request's attributes, as kube's RequestInfoFactory fills them. */
export function resourceAttributes(user: UserInfo, info: RequestInfo): ResourceAttributes {
  // `/api/v1/namespaces/foo` is, to kube's authorizers, a request in namespace foo: a
  // RoleBinding there may grant `get` on its own namespace.
  const namespace = info.resource === 'namespaces' && info.group === '' && info.namespace === undefined ? (info.name ?? '') : (info.namespace ?? '');
  return {
    kind: 'resource',
    user,
    verb: info.verb,
    apiGroup: info.group,
    apiVersion: info.version,
    resource: info.resource,
    subresource: info.subresource ?? '',
    namespace,
    name: info.name ?? '',
  };
}

/** A non-resource request's attributes: the method as kube names it (GET and HEAD are `get`). */
export function nonResourceAttributes(user: UserInfo, method: string, path: string): NonResourceAttributes {
  const verb = method === 'GET' || method === 'HEAD' ? 'get' : method.toLowerCase();
  return { kind: 'nonResource', user, verb, path };
}

/**
 * kube's Forbidden answer (responsewriters.Forbidden): `pods is forbidden: User "bob" cannot list
 * resource "pods" in API group "" in the namespace "default"`, `: <reason>` appended when the
 * authorizer gave one; for paths, `forbidden: User "x" cannot get path "/metrics"`.
 */
export function forbiddenFor(attrs: AuthorizationAttributes, reason: string): ApiError {
  const why = `${forbiddenMessage(attrs)}${reason === '' ? '' : `: ${reason}`}`;
  if (attrs.kind === 'nonResource') return new ApiError(403, 'Forbidden', `forbidden: ${why}`, {});
  const qualified = attrs.apiGroup === '' ? attrs.resource : `${attrs.resource}.${attrs.apiGroup}`;
  const details: { name?: string; group?: string; kind: string } = { kind: attrs.resource };
  if (attrs.name !== '') details.name = attrs.name;
  if (attrs.apiGroup !== '') details.group = attrs.apiGroup;
  const message = attrs.name === '' ? `${qualified} is forbidden: ${why}` : `${qualified} "${attrs.name}" is forbidden: ${why}`;
  return new ApiError(403, 'Forbidden', message, details);
}

export function forbiddenMessage(attrs: AuthorizationAttributes): string {
  const user = attrs.user.name;
  if (attrs.kind === 'nonResource') return `User "${user}" cannot ${attrs.verb} path "${attrs.path}"`;
  const resource = attrs.subresource === '' ? attrs.resource : `${attrs.resource}/${attrs.subresource}`;
  const scope = attrs.namespace === '' ? 'at the cluster scope' : `in the namespace "${attrs.namespace}"`;
  return `User "${user}" cannot ${attrs.verb} resource "${resource}" in API group "${attrs.apiGroup}" ${scope}`;
}

/** Throws kube's 403 unless the authorizer allows `attrs`. */
export async function authorizeOrThrow(authorizer: Authorizer, attrs: AuthorizationAttributes): Promise<void> {
  const decision = await authorizer.authorize(attrs);
  if (!decision.allowed) throw forbiddenFor(attrs, decision.reason);
}

/** The authorization check of a routed resource request; a no-op without an authorizer. */
export async function authorizeResourceRequest(authorizer: Authorizer | undefined, req: FastifyRequest, info: RequestInfo): Promise<void> {
  if (authorizer) await authorizeOrThrow(authorizer, resourceAttributes(requestUser(req), info));
}

/** The authorization check of a non-resource request (discovery, /healthz, /version, /metrics, /openapi…). */
export async function authorizeNonResourceRequest(authorizer: Authorizer | undefined, req: FastifyRequest): Promise<void> {
  if (!authorizer) return;
  const url = req.url;
  const q = url.indexOf('?');
  await authorizeOrThrow(authorizer, nonResourceAttributes(requestUser(req), req.method, q < 0 ? url : url.slice(0, q)));
}

/** Whether a path is under `/api` or `/apis` (resource requests and discovery, which resource-routes checks itself). */
export function isApiPath(url: string): boolean {
  return url === '/api' || url === '/apis' || url.startsWith('/api/') || url.startsWith('/apis/') || url.startsWith('/api?') || url.startsWith('/apis?');
}
