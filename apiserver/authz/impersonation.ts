import type { IncomingHttpHeaders } from 'node:http';
import { ANONYMOUS_USER, AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP, type UserInfo } from '../auth/user-info.js';
import { badRequest } from '../status.js';
import type { Authorizer, ResourceAttributes } from './authorizer.js';
import { forbiddenFor } from './request-authorization.js';

/**
 * kube's impersonation filter (apiserver/pkg/endpoints/filters/impersonation.go): a request
 * carrying `Impersonate-User` (and optionally `Impersonate-Group`, `Impersonate-Uid`,
 * `Impersonate-Extra-<key>`) acts as that user, if the real user may `impersonate` each of those
 * (users, groups, serviceaccounts, uids and userextras/<key> are the resources RBAC grants it
 * on). Any one refused: 403 naming the first refusal, and nothing of the request runs.
 */

export const IMPERSONATE_USER = 'impersonate-user';
export const IMPERSONATE_GROUP = 'impersonate-group';
export const IMPERSONATE_UID = 'impersonate-uid';
export const IMPERSONATE_EXTRA_PREFIX = 'impersonate-extra-';
const SA_PREFIX = 'system:serviceaccount:';
const AUTHENTICATION_GROUP = 'authentication.k8s.io';

function values(h: string | string[] | undefined): string[] {
  if (h === undefined) return [];
  return Array.isArray(h) ? h : [h];
}

/** Whether the request asks to impersonate at all. */
export function wantsImpersonation(headers: IncomingHttpHeaders): boolean {
  return Object.keys(headers).some((k) => k === IMPERSONATE_USER || k === IMPERSONATE_GROUP || k === IMPERSONATE_UID || k.startsWith(IMPERSONATE_EXTRA_PREFIX));
}

/**
 * The user the request acts as: `real` itself when nothing is impersonated, else the
 * impersonated user once every part is authorized. Throws 400 for groups/extras without a user,
 * 403 for a refused part.
 */
export async function impersonatedUser(headers: IncomingHttpHeaders, real: UserInfo, authorizer: Authorizer): Promise<UserInfo> {
  if (!wantsImpersonation(headers)) return real;
  const name = values(headers[IMPERSONATE_USER])[0] ?? '';
  const groups = values(headers[IMPERSONATE_GROUP]);
  const uid = values(headers[IMPERSONATE_UID])[0];
  const extra: Record<string, string[]> = {};
  for (const [key, v] of Object.entries(headers)) {
    if (!key.startsWith(IMPERSONATE_EXTRA_PREFIX)) continue;
    // Extra keys are percent-encoded in header names (kube: url.PathUnescape), lower-cased by HTTP.
    extra[decodeURIComponent(key.slice(IMPERSONATE_EXTRA_PREFIX.length))] = values(v).flatMap((x) => x.split(',').map((s) => s.trim()));
  }
  if (name === '') throw badRequest(`requested ${describeRequested(groups, uid, extra)} without impersonating a user`);

  const checks: ResourceAttributes[] = [];
  const check = (apiGroup: string, resource: string, checkName: string, namespace = '', subresource = '') =>
    checks.push({ kind: 'resource', user: real, verb: 'impersonate', apiGroup, apiVersion: 'v1', resource, subresource, namespace, name: checkName });
  let implied: string[] = [];
  if (name.startsWith(SA_PREFIX)) {
    const [ns = '', sa = ''] = name.slice(SA_PREFIX.length).split(':');
    check('', 'serviceaccounts', sa, ns);
    // A ServiceAccount comes with its groups unless the request names others.
    if (groups.length === 0) implied = ['system:serviceaccounts', `system:serviceaccounts:${ns}`];
  } else {
    check('', 'users', name);
  }
  for (const g of groups) check('', 'groups', g);
  if (uid !== undefined) check(AUTHENTICATION_GROUP, 'uids', uid);
  for (const [key, vs] of Object.entries(extra)) for (const v of vs) check(AUTHENTICATION_GROUP, 'userextras', v, '', key);

  for (const attrs of checks) {
    const decision = await authorizer.authorize(attrs);
    // `users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope`.
    if (!decision.allowed) throw forbiddenFor(attrs, decision.reason);
  }

  const allGroups = [...groups, ...implied];
  if (name !== ANONYMOUS_USER && !allGroups.includes(AUTHENTICATED_GROUP) && !allGroups.includes(UNAUTHENTICATED_GROUP)) allGroups.push(AUTHENTICATED_GROUP);
  return { name, groups: allGroups, ...(uid === undefined ? {} : { uid }), ...(Object.keys(extra).length > 0 ? { extra } : {}) };
}

function describeRequested(groups: readonly string[], uid: string | undefined, extra: Record<string, string[]>): string {
  const parts: string[] = [];
  if (groups.length > 0) parts.push(`groups=${JSON.stringify(groups)}`);
  if (uid !== undefined) parts.push(`uid=${uid}`);
  if (Object.keys(extra).length > 0) parts.push(`extra=${JSON.stringify(extra)}`);
  return parts.join(', ');
}
