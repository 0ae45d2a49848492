import type { FastifyRequest } from 'fastify';

/**
 * Who a request comes from, as kube-apiserver's authenticators report it (user.Info): the user
 * name RBAC subjects match, a uid, the groups (`system:authenticated` is added to every
 * authenticated user), and extra attributes (a ServiceAccount token's pod name, say).
 */
export interface UserInfo {
  readonly name: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export const ANONYMOUS_USER = 'system:anonymous';
export const UNAUTHENTICATED_GROUP = 'system:unauthenticated';
export const AUTHENTICATED_GROUP = 'system:authenticated';
export const MASTERS_GROUP = 'system:masters';

/**
 * The identity of requests when the apiserver runs without authentication (tests, and the
 * `--insecure-port` listener): all-powerful, as kube-apiserver's old insecure port was.
 */
export const UNSECURED_USER: UserInfo = { name: 'system:unsecured', groups: [MASTERS_GROUP, AUTHENTICATED_GROUP] };

/** A request after authentication (and impersonation): `user` is whom every later stage acts for. */
export interface AuthenticatedRequest {
  user?: UserInfo;
}

/** The user a request acts as; UNSECURED_USER where no authentication ran. */
export function requestUser(req: FastifyRequest): UserInfo {
  return (req as AuthenticatedRequest).user ?? UNSECURED_USER;
}
