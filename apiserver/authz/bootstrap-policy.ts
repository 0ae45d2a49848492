import type { KubeObject } from '../../kube/object.js';
import { AUTHENTICATED_GROUP, MASTERS_GROUP, UNAUTHENTICATED_GROUP } from '../auth/user-info.js';
import type { PolicyRule } from './rbac-rules.js';

/**
 * kube's default RBAC policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go), cut to
 * what picokube serves: the user-facing roles (cluster-admin, and admin/edit/view aggregated from
 * `system:aggregate-to-*` roles by the clusterrole-aggregation controller), the discovery roles
 * every user gets, and one role per component identity holding what that component calls, and
 * nothing more. The apiserver creates each object that is absent at start (bootstrap.ts);
 * objects already there are left alone, so an administrator's changes stick.
 *
 * Where picokube differs from kube: system:kube-scheduler has no `delete pods` (kube's needs it
 * for preemption, which picokube's scheduler does not do); system:node holds no rule on
 * secrets, configmaps or claims (the Node authorizer decides those, per pod), and its binding
 * names group system:nodes (kube leaves that binding empty and relies on the Node authorizer
 * for everything).
 */

const RBAC = 'rbac.authorization.k8s.io';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AUTOUPDATE = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

function rule(verbs: readonly string[], groups: readonly string[], resources: readonly string[], resourceNames?: readonly string[]): PolicyRule {
  return { verbs: [...verbs], apiGroups: [...groups], resources: [...resources], ...(resourceNames ? { resourceNames: [...resourceNames] } : {}) };
}

function urls(verbs: readonly string[], paths: readonly string[]): PolicyRule {
  return { verbs: [...verbs], nonResourceURLs: [...paths] };
}

function clusterRole(name: string, rules: readonly PolicyRule[], labels: Record<string, string> = {}, aggregateFrom?: string): KubeObject {
  const obj: KubeObject = {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRole',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS, ...labels }, annotations: { ...AUTOUPDATE } },
    rules: rules.map((r) => ({ ...r })),
  };
  if (aggregateFrom) obj.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [aggregateFrom]: 'true' } }] };
  return obj;
}

function clusterRoleBinding(name: string, role: string, subjects: readonly { kind: 'User' | 'Group'; name: string }[]): KubeObject {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS }, annotations: { ...AUTOUPDATE } },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
    subjects: subjects.map((s) => ({ apiGroup: RBAC, ...s })),
  };
}

export const AGGREGATE_TO = (role: 'admin' | 'edit' | 'view') => `${RBAC}/aggregate-to-${role}`;

const VIEW_RULES: PolicyRule[] = [
  rule(READ, [''], ['pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status', 'endpoints']),
  rule(READ, [''], ['persistentvolumeclaims', 'persistentvolumeclaims/status', 'configmaps']),
  rule(
    READ,
    [''],
    [
      'bindings',
      'events',
      'limitranges',
      'namespaces/status',
      'pods/log',
      'pods/status',
      'replicationcontrollers/status',
      'resourcequotas',
      'resourcequotas/status',
    ],
  ),
  rule(READ, [''], ['namespaces']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
  rule(READ, ['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets']),
  rule(READ, ['apps'], ['replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status']),
  rule(READ, ['batch'], ['jobs', 'jobs/status']),
  rule(READ, ['coordination.k8s.io'], ['leases']),
];

const EDIT_RULES: PolicyRule[] = [
  rule(READ, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
  rule(['impersonate'], [''], ['serviceaccounts']),
  rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
  rule(['create'], [''], ['pods/eviction', 'serviceaccounts/token']),
  rule(WRITE, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts']),
  rule(WRITE, [''], ['services', 'services/proxy', 'endpoints']),
  rule(
    WRITE,
    ['apps'],
    ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale'],
  ),
  rule(WRITE, ['batch'], ['jobs']),
  rule(WRITE, ['coordination.k8s.io'], ['leases']),
  rule(WRITE, ['discovery.k8s.io'], ['endpointslices']),
];

const ADMIN_RULES: PolicyRule[] = [
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
  rule([...READ, ...WRITE], [RBAC], ['rolebindings', 'roles']),
];

const DISCOVERY_URLS = ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'];
const PUBLIC_INFO_URLS = ['/healthz', '/livez', '/readyz', '/version', '/version/'];
const EVENTS_WRITE = [rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events'])];

/** What picokube's scheduler calls: read pods, nodes and what filters look at; bind; write pod status (conditions); events; its lease. */
const SCHEDULER_RULES: PolicyRule[] = [
  ...EVENTS_WRITE,
  rule(['create'], ['coordination.k8s.io'], ['leases']),
  rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
  rule(READ, [''], ['nodes', 'pods', 'namespaces', 'services', 'replicationcontrollers', 'persistentvolumeclaims', 'persistentvolumes']),
  rule(['create'], [''], ['pods/binding', 'bindings']),
  rule(['patch', 'update'], [''], ['pods/status']),
  rule(READ, ['apps'], ['replicasets', 'statefulsets']),
  rule(READ, ['storage.k8s.io'], ['storageclasses', 'csinodes']),
  rule(READ, ['policy'], ['poddisruptionbudgets']),
];

/**
 * What picokube's controller-manager calls (kube spreads this over one ServiceAccount per
 * controller): read everything; write the workloads and the pods they own, nodes' taints and
 * status, volumes, events, service accounts and their tokens, its lease; and the garbage
 * collector deletes and patches owner references of any kind; the aggregation controller
 * rewrites aggregated ClusterRoles (which needs `escalate`).
 */
const CONTROLLER_MANAGER_RULES: PolicyRule[] = [
  rule(READ, ['*'], ['*']),
  ...EVENTS_WRITE,
  rule(['create'], ['coordination.k8s.io'], ['leases']),
  rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-controller-manager']),
  rule(WRITE, [''], ['pods', 'pods/status', 'replicationcontrollers', 'replicationcontrollers/status', 'replicationcontrollers/finalizers']),
  rule(WRITE, [''], ['persistentvolumes', 'persistentvolumes/status', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'serviceaccounts', 'secrets']),
  rule(WRITE, [''], ['endpoints', 'resourcequotas/status', 'namespaces', 'namespaces/finalize', 'namespaces/status']),
  rule(['create'], [''], ['pods/eviction', 'pods/binding']),
  rule(['patch', 'update', 'delete'], [''], ['nodes', 'nodes/status']),
  rule(WRITE, ['apps'], ['*']),
  rule(WRITE, ['batch'], ['*']),
  rule(WRITE, ['discovery.k8s.io'], ['endpointslices']),
  rule(['delete', 'patch', 'update'], ['*'], ['*']),
  rule(['escalate', 'get', 'list', 'watch', 'update', 'patch'], [RBAC], ['clusterroles']),
];

/**
 * What a node agent calls: register and heartbeat its Node and Lease, watch pods, report their
 * status, finish their deletion, events. The Node authorizer (node-authorizer.ts) narrows these to
 * its own Node and pods, and alone grants secrets, configmaps and claims of its pods.
 */
const NODE_RULES: PolicyRule[] = [
  rule(['create', 'get', 'list', 'watch', 'patch', 'update'], [''], ['nodes']),
  rule(['patch', 'update'], [''], ['nodes/status']),
  rule(READ, [''], ['pods', 'services', 'endpoints']),
  rule(['delete'], [''], ['pods']),
  rule(['patch', 'update'], [''], ['pods/status']),
  rule(['create'], [''], ['pods/eviction']),
  ...EVENTS_WRITE,
  rule(['create', 'delete', 'get', 'patch', 'update', 'list', 'watch'], ['coordination.k8s.io'], ['leases']),
  rule(['get'], [''], ['persistentvolumes']),
  rule(['get'], ['storage.k8s.io'], ['storageclasses']),
  rule(['create', 'get', 'list', 'watch'], ['authorization.k8s.io', 'authentication.k8s.io'], ['subjectaccessreviews', 'tokenreviews']),
];

/** Every default ClusterRole, in creation order. */
export function bootstrapClusterRoles(): KubeObject[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
    clusterRole('admin', [], {}, AGGREGATE_TO('admin')),
    clusterRole('edit', [], { [AGGREGATE_TO('admin')]: 'true' }, AGGREGATE_TO('edit')),
    clusterRole('view', [], { [AGGREGATE_TO('admin')]: 'true', [AGGREGATE_TO('edit')]: 'true' }, AGGREGATE_TO('view')),
    clusterRole('system:aggregate-to-admin', ADMIN_RULES, { [AGGREGATE_TO('admin')]: 'true' }),
    clusterRole('system:aggregate-to-edit', EDIT_RULES, { [AGGREGATE_TO('admin')]: 'true', [AGGREGATE_TO('edit')]: 'true' }),
    clusterRole('system:aggregate-to-view', VIEW_RULES, { [AGGREGATE_TO('admin')]: 'true', [AGGREGATE_TO('edit')]: 'true', [AGGREGATE_TO('view')]: 'true' }),
    clusterRole('system:basic-user', [rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'])]),
    clusterRole('system:discovery', [urls(['get'], DISCOVERY_URLS)]),
    clusterRole('system:public-info-viewer', [urls(['get'], PUBLIC_INFO_URLS)]),
    clusterRole('system:kube-scheduler', SCHEDULER_RULES),
    clusterRole('system:kube-controller-manager', CONTROLLER_MANAGER_RULES),
    clusterRole('system:node', NODE_RULES),
    clusterRole('system:monitoring', [urls(['get'], ['/metrics', '/livez', '/readyz', '/healthz'])]),
  ];
}

/** Every default ClusterRoleBinding. */
export function bootstrapClusterRoleBindings(): KubeObject[] {
  return [
    clusterRoleBinding('cluster-admin', 'cluster-admin', [{ kind: 'Group', name: MASTERS_GROUP }]),
    clusterRoleBinding('system:basic-user', 'system:basic-user', [{ kind: 'Group', name: AUTHENTICATED_GROUP }]),
    clusterRoleBinding('system:discovery', 'system:discovery', [{ kind: 'Group', name: AUTHENTICATED_GROUP }]),
    clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', [
      { kind: 'Group', name: AUTHENTICATED_GROUP },
      { kind: 'Group', name: UNAUTHENTICATED_GROUP },
    ]),
    clusterRoleBinding('system:kube-scheduler', 'system:kube-scheduler', [{ kind: 'User', name: 'system:kube-scheduler' }]),
    clusterRoleBinding('system:kube-controller-manager', 'system:kube-controller-manager', [{ kind: 'User', name: 'system:kube-controller-manager' }]),
    clusterRoleBinding('system:node', 'system:node', [{ kind: 'Group', name: 'system:nodes' }]),
    clusterRoleBinding('system:monitoring', 'system:monitoring', [{ kind: 'Group', name: 'system:monitoring' }]),
  ];
}

/** The roles with each aggregated role's rules filled in from the roles its matchLabels select (only matchLabels selectors, which is all the defaults use). */
export function withAggregatedRules(roles: readonly KubeObject[]): KubeObject[] {
  return roles.map((role) => {
    const selectors = (role.aggregationRule as { clusterRoleSelectors?: { matchLabels?: Record<string, string> }[] } | undefined)?.clusterRoleSelectors;
    if (!selectors) return role;
    const rules: unknown[] = [];
    for (const other of roles) {
      if (other === role || other.aggregationRule) continue;
      const labels = other.metadata.labels ?? {};
      if (selectors.some((s) => Object.entries(s.matchLabels ?? {}).every(([k, v]) => labels[k] === v))) rules.push(...((other.rules as unknown[]) ?? []));
    }
    return { ...role, rules };
  });
}
