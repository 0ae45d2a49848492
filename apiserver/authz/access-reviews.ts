import type { KubeObject } from '../../kube/object.js';
import { invalid as invalidCause } from '../../kube/validation/field-errors.js';
import type { UserInfo } from '../auth/user-info.js';
import type { ApiContext } from '../handlers/context.js';
import type { FieldCause, ResourceDef } from '../registry/types.js';
import { invalid } from '../status.js';
import { cacheObjectSource } from './authz-object-source.js';
import { type AuthorizationAttributes, alwaysAllow } from './authorizer.js';
import { RbacAuthorizer } from './rbac-authorizer.js';
import type { PolicyRule } from './rbac-rules.js';

/**
 * The authorization.k8s.io/v1 reviews (kube's pkg/registry/authorization): asked by a create,
 * answered in the returned object's status, never stored. SelfSubjectAccessReview asks about the
 * requester (`kubectl auth can-i`), SubjectAccessReview and LocalSubjectAccessReview about any
 * user, SelfSubjectRulesReview lists the requester's rules in a namespace (`kubectl auth can-i
 * --list`).
 */

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The attributes a review's spec asks about; throws 422 unless exactly one of resource/nonResource attributes is given. */
function attributesOf(def: ResourceDef, review: KubeObject, user: UserInfo): AuthorizationAttributes {
  const spec = rec(review.spec);
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  if ((ra === undefined || ra === null) === (nra === undefined || nra === null)) {
    const field = ra === undefined || ra === null ? 'spec.resourceAttributes' : 'spec.nonResourceAttributes';
    throw invalidReview(def, [invalidCause(field, ra ?? nra ?? null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified')]);
  }
  if (nra !== undefined && nra !== null) return { kind: 'nonResource', user, verb: str(rec(nra).verb), path: str(rec(nra).path) };
  const r = rec(ra);
  return {
    kind: 'resource',
    user,
    verb: str(r.verb),
    apiGroup: str(r.group),
    apiVersion: str(r.version),
    resource: str(r.resource),
    subresource: str(r.subresource),
    namespace: str(r.namespace),
    name: str(r.name),
  };
}

function invalidReview(def: ResourceDef, causes: FieldCause[]): Error {
  return invalid(def, '', causes);
}

async function answer(ctx: ApiContext, review: KubeObject, attrs: AuthorizationAttributes): Promise<KubeObject> {
  const decision = await (ctx.authorizer ?? alwaysAllow).authorize(attrs);
  const status: Rec = { allowed: decision.allowed };
  if (decision.reason !== '') status.reason = decision.reason;
  return { ...review, metadata: { ...review.metadata, creationTimestamp: null }, status };
}

/** SelfSubjectAccessReview: may the requester do this? */
export async function selfSubjectAccessReview(ctx: ApiContext, review: KubeObject, user: UserInfo, def: ResourceDef): Promise<KubeObject> {
  return answer(ctx, review, attributesOf(def, review, user));
}

function reviewedUser(def: ResourceDef, review: KubeObject): UserInfo {
  const spec = rec(review.spec);
  const name = str(spec.user);
  const groups = strings(spec.groups);
  if (name === '' && groups.length === 0) throw invalidReview(def, [invalidCause('spec.user', '', 'at least one of user or group must be specified')]);
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(rec(spec.extra))) extra[k] = strings(v);
  return { name, groups, ...(str(spec.uid) === '' ? {} : { uid: str(spec.uid) }), extra };
}

/** SubjectAccessReview: may the user in spec do this (anywhere)? */
export async function subjectAccessReview(ctx: ApiContext, review: KubeObject, _requester: UserInfo, def: ResourceDef): Promise<KubeObject> {
  return answer(ctx, review, attributesOf(def, review, reviewedUser(def, review)));
}

/** LocalSubjectAccessReview: a SubjectAccessReview confined to its own namespace. */
export async function localSubjectAccessReview(ctx: ApiContext, review: KubeObject, _requester: UserInfo, def: ResourceDef): Promise<KubeObject> {
  const attrs = attributesOf(def, review, reviewedUser(def, review));
  const namespace = review.metadata.namespace ?? '';
  if (attrs.kind !== 'resource') throw invalidReview(def, [invalidCause('spec.nonResourceAttributes', null, 'disallowed on this kind of request')]);
  if (attrs.namespace !== namespace) {
    throw invalidReview(def, [invalidCause('spec.resourceAttributes.namespace', attrs.namespace, 'must match metadata.namespace')]);
  }
  return answer(ctx, review, attrs);
}

/** SelfSubjectRulesReview: the requester's rules in spec.namespace (RBAC's view; `incomplete` when authorization is not RBAC). */
export async function selfSubjectRulesReview(ctx: ApiContext, review: KubeObject, user: UserInfo): Promise<KubeObject> {
  const namespace = str(rec(review.spec).namespace);
  const rules: PolicyRule[] = ctx.authorizer ? new RbacAuthorizer(cacheObjectSource(ctx)).rulesFor(user, namespace) : [];
  const nonEmpty = (r: Rec): Rec => Object.fromEntries(Object.entries(r).filter(([, v]) => !Array.isArray(v) || v.length > 0));
  const resourceRules = rules
    .filter((r) => (r.nonResourceURLs ?? []).length === 0)
    .map((r) => nonEmpty({ verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources ?? [], resourceNames: r.resourceNames ?? [] }));
  const nonResourceRules = rules.filter((r) => (r.nonResourceURLs ?? []).length > 0).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs ?? [] }));
  const status = { resourceRules, nonResourceRules, incomplete: ctx.authorizer === undefined };
  return { ...review, metadata: { ...review.metadata, creationTimestamp: null }, status };
}
