import type { FastifyInstance } from 'fastify';
import type { AuthenticatedRequest } from '../auth/user-info.js';
import { requestUser } from '../auth/user-info.js';
import type { AuthzObjectSource } from './authz-object-source.js';
import type { Authorizer } from './authorizer.js';
import { impersonatedUser, wantsImpersonation } from './impersonation.js';
import { NodeAuthorizer, nodeThen } from './node-authorizer.js';
import { RbacAuthorizer } from './rbac-authorizer.js';
import { authorizeNonResourceRequest, isApiPath } from './request-authorization.js';

/**
 * `--authorization-mode`: which authorizers decide, in order (kube's union authorizer). The
 * default, AlwaysAllow, installs no check at all, so the apiserver behaves as it did before
 * authorization existed.
 */
export const AUTHORIZATION_MODES = ['AlwaysAllow', 'RBAC', 'Node,RBAC'] as const;
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number];

export function parseAuthorizationMode(text: string): AuthorizationMode {
  const found = AUTHORIZATION_MODES.find((m) => m === text);
  if (!found) throw new Error(`unknown authorization mode ${JSON.stringify(text)} (one of ${AUTHORIZATION_MODES.join(', ')})`);
  return found;
}

/** An authorizer built over the apiserver's watch caches, once they exist. */
export type AuthorizerFactory = (source: AuthzObjectSource) => Authorizer;

/** The factory of a mode; undefined for AlwaysAllow (no checks). */
export function authorizerForMode(mode: AuthorizationMode): AuthorizerFactory | undefined {
  switch (mode) {
    case 'AlwaysAllow':
      return undefined;
    case 'RBAC':
      return (source) => new RbacAuthorizer(source);
    case 'Node,RBAC':
      return (source) => nodeThen(new NodeAuthorizer(source), new RbacAuthorizer(source));
  }
}

/**
 * The request-wide authorization steps, after authentication (which runs in onRequest hooks, so
 * any of them comes first): impersonation replaces the request's user when the real one may
 * impersonate; then paths outside /api and /apis (/healthz, /version, /metrics, /openapi…) are
 * authorized as non-resource URLs. Resource requests and discovery are authorized once routed
 * (handlers/resource-routes.ts).
 */
export function installAuthorization(app: FastifyInstance, authorizer: Authorizer): void {
  app.addHook('preValidation', async (req) => {
    if (wantsImpersonation(req.headers)) (req as AuthenticatedRequest).user = await impersonatedUser(req.headers, requestUser(req), authorizer);
    if (!isApiPath(req.url)) await authorizeNonResourceRequest(authorizer, req);
  });
}
