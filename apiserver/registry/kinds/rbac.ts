import type { KubeObject } from '../../../kube/object.js';
import { invalid, notSupported, required } from '../../../kube/validation/field-errors.js';
import { ageColumn, column, nameColumn } from '../../table/columns.js';
import { DEFAULT_COLUMNS } from '../../table/table.js';
import type { FieldCause, ResourceDef } from '../types.js';
import { list, rec, semanticEqual, str } from './json.js';

/**
 * rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding and ClusterRoleBinding (kube's
 * pkg/registry/rbac and pkg/apis/rbac/validation). Who may write them beyond the verbs on these
 * resources (escalation, `bind`) is apiserver/authz/rbac-escalation.ts.
 */

const RBAC_GROUP = 'rbac.authorization.k8s.io';

function validateRule(rule: unknown, path: string, namespaced: boolean): FieldCause[] {
  const r = rec(rule);
  const causes: FieldCause[] = [];
  if (list(r.verbs).length === 0) causes.push(required(`${path}.verbs`, 'verbs must contain at least one value'));
  const urls = list(r.nonResourceURLs);
  if (urls.length > 0) {
    if (namespaced) causes.push(invalid(`${path}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'));
    if (list(r.apiGroups).length > 0 || list(r.resources).length > 0 || list(r.resourceNames).length > 0) {
      causes.push(invalid(`${path}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return causes;
  }
  if (list(r.apiGroups).length === 0) causes.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (list(r.resources).length === 0) causes.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return causes;
}

function validateRules(obj: KubeObject, namespaced: boolean): FieldCause[] {
  return list(obj.rules).flatMap((rule, i) => validateRule(rule, `rules[${i}]`, namespaced));
}

function validateClusterRole(obj: KubeObject): FieldCause[] {
  const causes = validateRules(obj, false);
  if (obj.aggregationRule !== undefined && obj.aggregationRule !== null && list(rec(obj.aggregationRule).clusterRoleSelectors).length === 0) {
    causes.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
  }
  return causes;
}

/** User and Group subjects default to the RBAC group (kube's SetDefaults_Subject), as do roleRefs without one. */
function defaultBinding(obj: KubeObject): void {
  for (const s of list(obj.subjects)) {
    const subject = rec(s);
    if ((subject.kind === 'User' || subject.kind === 'Group') && !subject.apiGroup) subject.apiGroup = RBAC_GROUP;
  }
}

const SUBJECT_KINDS = ['ServiceAccount', 'User', 'Group'];

function validateBinding(obj: KubeObject, old: KubeObject | undefined, namespaced: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  const ref = rec(obj.roleRef);
  if (old && !semanticEqual(obj.roleRef, old.roleRef)) {
    causes.push(invalid('roleRef', obj.roleRef, 'cannot change roleRef'));
    return causes;
  }
  if (str(ref.apiGroup) !== RBAC_GROUP) causes.push(notSupported('roleRef.apiGroup', str(ref.apiGroup), [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(str(ref.kind))) causes.push(notSupported('roleRef.kind', str(ref.kind), kinds));
  if (str(ref.name) === '') causes.push(required('roleRef.name'));
  list(obj.subjects).forEach((s, i) => {
    const subject = rec(s);
    const path = `subjects[${i}]`;
    const kind = str(subject.kind);
    if (str(subject.name) === '') causes.push(required(`${path}.name`));
    if (!SUBJECT_KINDS.includes(kind)) {
      causes.push(notSupported(`${path}.kind`, kind, SUBJECT_KINDS));
      return;
    }
    if (kind === 'ServiceAccount') {
      if (str(subject.apiGroup) !== '') causes.push(notSupported(`${path}.apiGroup`, str(subject.apiGroup), ['']));
      if (!namespaced && str(subject.namespace) === '') causes.push(required(`${path}.namespace`));
    } else if (str(subject.apiGroup) !== RBAC_GROUP) {
      causes.push(notSupported(`${path}.apiGroup`, str(subject.apiGroup), [RBAC_GROUP]));
    }
  });
  return causes;
}

function subjectNames(obj: KubeObject, kind: string): string {
  return list(obj.subjects)
    .map(rec)
    .filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${str(s.namespace)}/${str(s.name)}` : str(s.name)))
    .join(', ');
}

/** kube's RoleBinding/ClusterRoleBinding printer: Name, Role (`Kind/name`), Age; wide: Users, Groups, ServiceAccounts. */
const BINDING_COLUMNS = [
  nameColumn(),
  column('Role', 'string', 'Role indicates the Role/ClusterRole being referenced', (o) => `${str(rec(o.roleRef).kind)}/${str(rec(o.roleRef).name)}`),
  ageColumn(),
  column('Users', 'string', 'Users in the roleBinding', (o) => subjectNames(o, 'User'), 1),
  column('Groups', 'string', 'Groups in the roleBinding', (o) => subjectNames(o, 'Group'), 1),
  column('ServiceAccounts', 'string', 'ServiceAccounts in the roleBinding', (o) => subjectNames(o, 'ServiceAccount'), 1),
];

const common = { group: RBAC_GROUP, version: 'v1', shortNames: [], categories: [], subresources: [], nameRule: 'path' } as const;

// Role names are path segments (kube's ValidateRBACName), so `system:kube-scheduler` is a valid name.
export const roles: ResourceDef = {
  ...common,
  kind: 'Role',
  plural: 'roles',
  singular: 'role',
  namespaced: true,
  schemaName: 'io.k8s.api.rbac.v1.Role',
  // kube's Role printer: Name, Created At.
  columns: DEFAULT_COLUMNS,
  validate: (o) => validateRules(o, true),
};

export const clusterRoles: ResourceDef = {
  ...common,
  kind: 'ClusterRole',
  plural: 'clusterroles',
  singular: 'clusterrole',
  namespaced: false,
  schemaName: 'io.k8s.api.rbac.v1.ClusterRole',
  columns: DEFAULT_COLUMNS,
  validate: validateClusterRole,
};

export const roleBindings: ResourceDef = {
  ...common,
  kind: 'RoleBinding',
  plural: 'rolebindings',
  singular: 'rolebinding',
  namespaced: true,
  schemaName: 'io.k8s.api.rbac.v1.RoleBinding',
  columns: BINDING_COLUMNS,
  defaults: defaultBinding,
  validate: (o, old) => validateBinding(o, old, true),
};

export const clusterRoleBindings: ResourceDef = {
  ...common,
  kind: 'ClusterRoleBinding',
  plural: 'clusterrolebindings',
  singular: 'clusterrolebinding',
  namespaced: false,
  schemaName: 'io.k8s.api.rbac.v1.ClusterRoleBinding',
  columns: BINDING_COLUMNS,
  defaults: defaultBinding,
  validate: (o, old) => validateBinding(o, old, false),
};
