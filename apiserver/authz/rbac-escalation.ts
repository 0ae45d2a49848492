import type { KubeObject } from '../../kube/object.js';
import type { AdmissionRequest } from '../admission/admission-types.js';
import type { UserInfo } from '../auth/user-info.js';
import { forbidden } from '../status.js';
import { cacheObjectSource } from './authz-object-source.js';
import type { Authorizer } from './authorizer.js';
import { RBAC_GROUP, RbacAuthorizer, roleRefOf } from './rbac-authorizer.js';
import { compactRule, goQuotedList, type PolicyRule, rulesOf, uncoveredRules } from './rbac-rules.js';

/**
 * RBAC's escalation prevention (kube's pkg/registry/rbac/{role,clusterrole,rolebinding,
 * clusterrolebinding}/policybased): nobody grants a permission they do not hold.
 * - Writing a Role or ClusterRole whose rules the writer's own rules (in that namespace, or
 *   cluster-wide for a ClusterRole) do not cover is refused, unless the writer may `escalate`
 *   on roles/clusterroles.
 * - Writing a binding to a role whose rules the writer does not hold is refused, unless the
 *   writer may `bind` that role.
 * Runs on the object about to be stored (after patches), only where an authorizer is configured.
 */
export async function checkRbacEscalation(req: AdmissionRequest): Promise<void> {
  const authorizer = req.ctx.authorizer;
  const obj = req.object;
  if (!authorizer || !obj || req.def.group !== RBAC_GROUP || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return;
  if (req.subresource !== '') return;
  const rbac = new RbacAuthorizer(cacheObjectSource(req.ctx));
  switch (req.def.kind) {
    case 'Role':
    case 'ClusterRole':
      return checkRole(req, obj, authorizer, rbac);
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      return checkBinding(req, obj, authorizer, rbac);
  }
}

async function allowed(authorizer: Authorizer, user: UserInfo, verb: string, resource: string, namespace: string, name: string): Promise<boolean> {
  const d = await authorizer.authorize({ kind: 'resource', user, verb, apiGroup: RBAC_GROUP, apiVersion: 'v1', resource, subresource: '', namespace, name });
  return d.allowed;
}

async function checkRole(req: AdmissionRequest, role: KubeObject, authorizer: Authorizer, rbac: RbacAuthorizer): Promise<void> {
  const rules = rulesOf(role.rules);
  const aggregated = role.aggregationRule !== undefined && role.aggregationRule !== null;
  // An update that leaves the rules (and aggregation) as they were grants nothing new.
  if (
    req.oldObject &&
    JSON.stringify(rulesOf(req.oldObject.rules)) === JSON.stringify(rules) &&
    JSON.stringify(req.oldObject.aggregationRule) === JSON.stringify(role.aggregationRule)
  )
    return;
  const namespace = req.def.namespaced ? req.namespace : '';
  if (await allowed(authorizer, req.user, 'escalate', req.def.plural, namespace, req.name)) return;
  if (aggregated) throw forbidden(req.def, req.name, 'must have cluster-admin privileges to use the aggregationRule');
  refuseUncovered(req, rbac.rulesFor(req.user, namespace), rules);
}

async function checkBinding(req: AdmissionRequest, binding: KubeObject, authorizer: Authorizer, rbac: RbacAuthorizer): Promise<void> {
  const ref = roleRefOf(binding);
  if (!ref) return;
  // roleRef is immutable: an update grants nothing new (validation refuses a changed roleRef).
  if (req.oldObject && JSON.stringify(req.oldObject.roleRef) === JSON.stringify(binding.roleRef)) return;
  const namespace = req.def.namespaced ? req.namespace : '';
  const resource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
  if (await allowed(authorizer, req.user, 'bind', resource, namespace, ref.name)) return;
  const granted = rbac.roleRules(ref.kind, ref.name, namespace) ?? [];
  refuseUncovered(req, rbac.rulesFor(req.user, namespace), granted);
}

function refuseUncovered(req: AdmissionRequest, held: readonly PolicyRule[], granted: readonly PolicyRule[]): void {
  const missing = uncoveredRules(held, granted);
  if (missing.length === 0) return;
  const why = `user ${JSON.stringify(req.user.name)} (groups=${goQuotedList(req.user.groups)}) is attempting to grant RBAC permissions not currently held:\n${missing.map(compactRule).join('\n')}`;
  throw forbidden(req.def, req.name, why);
}
