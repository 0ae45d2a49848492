import type { KubeObject } from '../../kube/object.js';
import { MASTERS_GROUP, type UserInfo } from '../auth/user-info.js';
import type { AuthzObjectSource } from './authz-object-source.js';
import type { AuthorizationAttributes, AuthorizationDecision, Authorizer } from './authorizer.js';
import { type PolicyRule, ruleAllows, rulesOf, type Subject, subjectMatches, subjectsOf } from './rbac-rules.js';

/**
 * kube's RBAC authorizer (plugin/pkg/auth/authorizer/rbac): a request is allowed when some rule
 * of some role bound to the user allows it. ClusterRoleBindings grant their ClusterRole's rules
 * everywhere; a RoleBinding grants its Role's (or ClusterRole's) rules in its own namespace only.
 * Group system:masters is allowed everything (kube's superuser, not a binding). Nothing is ever
 * denied explicitly: no rule, no access.
 *
 * Reads bindings and roles from the watch caches on each request (a scan: clusters hold tens
 * of bindings, not thousands).
 */

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** One role granted to a user by one binding, with where it came from (for reasons). */
interface GrantedRole {
  readonly bindingKind: 'ClusterRoleBinding' | 'RoleBinding';
  readonly binding: KubeObject;
  readonly subject: Subject;
  readonly roleKind: string;
  readonly roleName: string;
  readonly rules: readonly PolicyRule[];
}

export class RbacAuthorizer implements Authorizer {
  constructor(private readonly source: AuthzObjectSource) {}

  async authorize(attrs: AuthorizationAttributes): Promise<AuthorizationDecision> {
    if (attrs.user.groups.includes(MASTERS_GROUP)) return { allowed: true, reason: '' };
    const namespace = attrs.kind === 'resource' ? attrs.namespace : '';
    for (const granted of this.grantedRoles(attrs.user, namespace)) {
      if (granted.rules.some((r) => ruleAllows(r, attrs))) {
        // kube names a RoleBinding `name/namespace` in its reasons.
        const m = granted.binding.metadata;
        const bindingName = granted.bindingKind === 'RoleBinding' ? `${m.name ?? ''}/${m.namespace ?? ''}` : (m.name ?? '');
        const reason = `RBAC: allowed by ${granted.bindingKind} "${bindingName}" of ${granted.roleKind} "${granted.roleName}" to ${granted.subject.kind} "${granted.subject.name}"`;
        return { allowed: true, reason };
      }
    }
    return { allowed: false, reason: '' };
  }

  /**
   * Every rule the user holds in `namespace` ('' : cluster-wide rules only), as kube's
   * RulesFor: what SelfSubjectRulesReview lists and what the escalation check compares with.
   * system:masters holds `*` on everything.
   */
  rulesFor(user: UserInfo, namespace: string): PolicyRule[] {
    if (user.groups.includes(MASTERS_GROUP))
      return [
        { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
        { verbs: ['*'], nonResourceURLs: ['*'] },
      ];
    return [...this.grantedRoles(user, namespace)].flatMap((g) => [...g.rules]);
  }

  private *grantedRoles(user: UserInfo, namespace: string): Generator<GrantedRole> {
    for (const binding of this.source.list(RBAC_GROUP, 'ClusterRoleBinding')) {
      const subject = subjectsOf(binding.subjects).find((s) => subjectMatches(s, user, ''));
      if (!subject) continue;
      const granted = this.roleOf(binding, subject, 'ClusterRoleBinding', '');
      if (granted) yield granted;
    }
    if (namespace === '') return;
    for (const binding of this.source.list(RBAC_GROUP, 'RoleBinding', namespace)) {
      const subject = subjectsOf(binding.subjects).find((s) => subjectMatches(s, user, namespace));
      if (!subject) continue;
      const granted = this.roleOf(binding, subject, 'RoleBinding', namespace);
      if (granted) yield granted;
    }
  }

  private roleOf(binding: KubeObject, subject: Subject, bindingKind: GrantedRole['bindingKind'], namespace: string): GrantedRole | undefined {
    const ref = roleRefOf(binding);
    if (!ref) return undefined;
    const rules = this.roleRules(ref.kind, ref.name, namespace);
    if (!rules) return undefined;
    return { bindingKind, binding, subject, roleKind: ref.kind, roleName: ref.name, rules };
  }

  /** A role's rules; undefined if it does not exist (a binding may name a role not yet created). A ClusterRoleBinding may only name a ClusterRole. */
  roleRules(kind: string, name: string, namespace: string): readonly PolicyRule[] | undefined {
    if (kind === 'ClusterRole') {
      const role = this.source.get(RBAC_GROUP, 'ClusterRole', undefined, name);
      return role ? rulesOf(role.rules) : undefined;
    }
    if (kind === 'Role' && namespace !== '') {
      const role = this.source.get(RBAC_GROUP, 'Role', namespace, name);
      return role ? rulesOf(role.rules) : undefined;
    }
    return undefined;
  }
}

/** A binding's roleRef, if well-formed. */
export function roleRefOf(binding: KubeObject): { kind: string; name: string } | undefined {
  const ref = binding.roleRef as { kind?: unknown; name?: unknown } | undefined;
  if (typeof ref?.kind !== 'string' || typeof ref.name !== 'string') return undefined;
  return { kind: ref.kind, name: ref.name };
}
