import type { UserInfo } from '../auth/user-info.js';

/**
 * What a request asks to do, as kube's authorizer.Attributes: a resource request (verb on
 * group/resource/subresource, in a namespace, on a name) or a non-resource request (verb on a
 * path such as /healthz or /version).
 */
export type AuthorizationAttributes = ResourceAttributes | NonResourceAttributes;

export interface ResourceAttributes {
  readonly kind: 'resource';
  readonly user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection; also impersonate, bind, escalate, use. */
  readonly verb: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly resource: string;
  readonly subresource: string;
  /** '' for cluster-scoped requests and lists across namespaces. */
  readonly namespace: string;
  /** '' when the request names no object (list, create). */
  readonly name: string;
}

export interface NonResourceAttributes {
  readonly kind: 'nonResource';
  readonly user: UserInfo;
  /** The HTTP method, lowercased (get, post, …), as kube does for non-resource URLs. */
  readonly verb: string;
  readonly path: string;
}

export interface AuthorizationDecision {
  readonly allowed: boolean;
  /** Why, for the 403 message and SubjectAccessReview status.reason. */
  readonly reason: string;
}

export interface Authorizer {
  authorize(attrs: AuthorizationAttributes): Promise<AuthorizationDecision>;
}

/** Everyone may do everything: the apiserver without `--authorization-mode RBAC` (tests, the insecure port). */
export const alwaysAllow: Authorizer = {
  async authorize() {
    return { allowed: true, reason: '' };
  },
};
