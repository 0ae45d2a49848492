import t from 'tap';
import type { KubeObject } from '../../../../kube/object.js';
import type { UserInfo } from '../../../../apiserver/auth/user-info.js';
import { staticObjectSource } from '../../../../apiserver/authz/authz-object-source.js';
import type { AuthorizationAttributes } from '../../../../apiserver/authz/authorizer.js';
import { NodeAuthorizer, nodeThen } from '../../../../apiserver/authz/node-authorizer.js';
import { RbacAuthorizer } from '../../../../apiserver/authz/rbac-authorizer.js';
import { compactRule, type PolicyRule, uncoveredRules } from '../../../../apiserver/authz/rbac-rules.js';
import { forbiddenFor } from '../../../../apiserver/authz/request-authorization.js';

const RBAC = 'rbac.authorization.k8s.io/v1';
const clusterRole = (name: string, rules: PolicyRule[]): KubeObject => ({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name }, rules });
const role = (ns: string, name: string, rules: PolicyRule[]): KubeObject => ({ apiVersion: RBAC, kind: 'Role', metadata: { name, namespace: ns }, rules });
type Subj = { kind: string; name: string; namespace?: string };
const crb = (name: string, roleName: string, subjects: Subj[]): KubeObject => ({
  apiVersion: RBAC,
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
  subjects,
});
const rb = (ns: string, name: string, kind: 'Role' | 'ClusterRole', roleName: string, subjects: Subj[]): KubeObject => ({
  apiVersion: RBAC,
  kind: 'RoleBinding',
  metadata: { name, namespace: ns },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: roleName },
  subjects,
});

const objects: KubeObject[] = [
  clusterRole('reader', [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }]),
  clusterRole('everything', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]),
  clusterRole('scaler', [{ verbs: ['get', 'update'], apiGroups: ['*'], resources: ['*/scale'] }]),
  clusterRole('logs', [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }]),
  clusterRole('one-secret', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets'], resourceNames: ['app-token'] }]),
  clusterRole('metrics', [{ verbs: ['get'], nonResourceURLs: ['/metrics', '/apis/*'] }]),
  role('dev', 'deployer', [{ verbs: ['create', 'delete'], apiGroups: ['apps'], resources: ['deployments'] }]),
  crb('alice-everything', 'everything', [{ kind: 'User', name: 'alice' }]),
  crb('auditors-read', 'reader', [{ kind: 'Group', name: 'auditors' }]),
  crb('ops-metrics', 'metrics', [{ kind: 'Group', name: 'ops' }]),
  crb('sa-logs', 'logs', [{ kind: 'ServiceAccount', name: 'logger', namespace: 'tools' }]),
  // A ServiceAccount subject without a namespace in a ClusterRoleBinding matches nobody.
  crb('sa-no-ns', 'everything', [{ kind: 'ServiceAccount', name: 'ghost' }]),
  rb('dev', 'bob-deploys', 'Role', 'deployer', [{ kind: 'User', name: 'bob' }]),
  rb('dev', 'bob-reads', 'ClusterRole', 'reader', [{ kind: 'User', name: 'bob' }]),
  rb('dev', 'bob-scales', 'ClusterRole', 'scaler', [{ kind: 'User', name: 'bob' }]),
  rb('dev', 'carol-secret', 'ClusterRole', 'one-secret', [{ kind: 'User', name: 'carol' }]),
  // Defaults to the binding's namespace.
  rb('dev', 'builder-reads', 'ClusterRole', 'reader', [{ kind: 'ServiceAccount', name: 'builder' }]),
  rb('dev', 'dangling', 'Role', 'no-such-role', [{ kind: 'User', name: 'dave' }]),
];
const authorizer = new RbacAuthorizer(staticObjectSource(objects));
const user = (name: string, ...groups: string[]): UserInfo => ({ name, groups: [...groups, 'system:authenticated'] });
const res = (u: UserInfo, verb: string, group: string, resource: string, namespace = '', name = '', subresource = ''): AuthorizationAttributes => ({
  kind: 'resource',
  user: u,
  verb,
  apiGroup: group,
  apiVersion: 'v1',
  resource,
  subresource,
  namespace,
  name,
});

const bob = user('bob');
const table: [string, AuthorizationAttributes, boolean][] = [
  ['a ClusterRoleBinding with * on * lets alice delete nodes', res(user('alice'), 'delete', '', 'nodes', '', 'n1'), true],
  ['* on * covers subresources too', res(user('alice'), 'update', 'apps', 'deployments', 'x', 'web', 'scale'), true],
  ['system:masters may do anything without any binding', res(user('root', 'system:masters'), 'delete', '', 'secrets', 'kube-system', 's'), true],
  ['a group binding grants list pods in every namespace', res(user('eve', 'auditors'), 'list', '', 'pods', 'default'), true],
  ['a group binding grants list pods across all namespaces', res(user('eve', 'auditors'), 'list', '', 'pods'), true],
  ['but not a verb the role lacks', res(user('eve', 'auditors'), 'delete', '', 'pods', 'default', 'p'), false],
  ['nor another resource', res(user('eve', 'auditors'), 'list', '', 'secrets', 'default'), false],
  ['nor the same resource name in another API group', res(user('eve', 'auditors'), 'list', 'example.com', 'pods', 'default'), false],
  ['pods does not cover the pods/log subresource', res(user('eve', 'auditors'), 'get', '', 'pods', 'default', 'p', 'log'), false],
  ['a RoleBinding to a Role grants in its namespace', res(bob, 'create', 'apps', 'deployments', 'dev'), true],
  ['a RoleBinding grants nothing in another namespace', res(bob, 'create', 'apps', 'deployments', 'prod'), false],
  ['a RoleBinding grants nothing at the cluster scope', res(bob, 'list', '', 'pods'), false],
  ['a RoleBinding to a ClusterRole grants its rules in the binding namespace', res(bob, 'list', '', 'pods', 'dev'), true],
  ['*/scale matches the scale subresource of any resource', res(bob, 'update', 'apps', 'deployments', 'dev', 'web', 'scale'), true],
  ['*/scale does not match the resource itself', res(bob, 'update', 'apps', 'deployments', 'dev', 'web'), false],
  ['*/scale does not match another subresource', res(bob, 'update', 'apps', 'deployments', 'dev', 'web', 'status'), false],
  ['pods/log matches get of a pod log', res(user('system:serviceaccount:tools:logger'), 'get', '', 'pods', 'any', 'p', 'log'), true],
  [
    'a ServiceAccount subject does not match a same-named SA of another namespace',
    res(user('system:serviceaccount:other:logger'), 'get', '', 'pods', 'any', 'p', 'log'),
    false,
  ],
  [
    'a ServiceAccount subject without namespace in a ClusterRoleBinding matches nobody',
    res(user('system:serviceaccount:default:ghost'), 'get', '', 'pods', 'default', 'p'),
    false,
  ],
  [
    'a ServiceAccount subject without namespace means the RoleBinding namespace',
    res(user('system:serviceaccount:dev:builder'), 'watch', '', 'pods', 'dev'),
    true,
  ],
  ['resourceNames allow get of a named object', res(user('carol'), 'get', '', 'secrets', 'dev', 'app-token'), true],
  ['resourceNames refuse another name', res(user('carol'), 'get', '', 'secrets', 'dev', 'db-password'), false],
  ['resourceNames never allow a list, which names nothing', res(user('carol'), 'list', '', 'secrets', 'dev'), false],
  ['a binding to a missing role grants nothing', res(user('dave'), 'get', '', 'pods', 'dev', 'p'), false],
  ['an unknown user gets nothing', res(user('mallory'), 'get', '', 'pods', 'dev', 'p'), false],
  ['a non-resource URL rule allows its exact path', { kind: 'nonResource', user: user('o', 'ops'), verb: 'get', path: '/metrics' }, true],
  ['a trailing * allows paths under the prefix', { kind: 'nonResource', user: user('o', 'ops'), verb: 'get', path: '/apis/apps/v1' }, true],
  ['a non-resource rule refuses other paths', { kind: 'nonResource', user: user('o', 'ops'), verb: 'get', path: '/healthz' }, false],
  ['a non-resource rule refuses other verbs', { kind: 'nonResource', user: user('o', 'ops'), verb: 'post', path: '/metrics' }, false],
  ['resource rules never allow non-resource paths', { kind: 'nonResource', user: user('eve', 'auditors'), verb: 'get', path: '/metrics' }, false],
];

for (const [name, attrs, allowed] of table) {
  t.test(name, async (t) => {
    const decision = await authorizer.authorize(attrs);
    t.equal(decision.allowed, allowed);
  });
}

t.test('an allowed request says which binding allowed it', async (t) => {
  const decision = await authorizer.authorize(res(bob, 'create', 'apps', 'deployments', 'dev'));
  t.equal(decision.reason, 'RBAC: allowed by RoleBinding "bob-deploys/dev" of Role "deployer" to User "bob"');
});

t.test('forbidden messages read as kube-apiserver writes them', async (t) => {
  t.equal(
    forbiddenFor(res(bob, 'list', '', 'pods', 'default'), '').message,
    'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"',
  );
  t.equal(
    forbiddenFor(res(bob, 'delete', '', 'nodes', '', 'n1'), '').message,
    'nodes "n1" is forbidden: User "bob" cannot delete resource "nodes" in API group "" at the cluster scope',
  );
  t.equal(
    forbiddenFor(res(bob, 'update', 'apps', 'deployments', 'dev', 'web', 'scale'), '').message,
    'deployments.apps "web" is forbidden: User "bob" cannot update resource "deployments/scale" in API group "apps" in the namespace "dev"',
  );
  t.equal(forbiddenFor({ kind: 'nonResource', user: bob, verb: 'get', path: '/metrics' }, '').message, 'forbidden: User "bob" cannot get path "/metrics"');
  t.equal(forbiddenFor(res(bob, 'list', '', 'pods', 'default'), '').code, 403);
});

t.test('rulesFor lists cluster-wide and the namespace rules of a user', async (t) => {
  t.equal(authorizer.rulesFor(bob, 'dev').length, 3);
  t.equal(authorizer.rulesFor(bob, 'prod').length, 0);
});

t.test('escalation: owned rules cover narrower ones and not wider ones', async (t) => {
  const owner: PolicyRule[] = [
    { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', '*/scale'] },
    { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] },
    { verbs: ['get'], nonResourceURLs: ['/logs/*'] },
  ];
  t.same(uncoveredRules(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]), []);
  t.same(uncoveredRules(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['deployments/scale'] }]), []);
  t.same(uncoveredRules(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }]), []);
  t.same(uncoveredRules(owner, [{ verbs: ['get'], nonResourceURLs: ['/logs/x'] }]), []);
  const missing = uncoveredRules(owner, [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods', 'secrets'] }]);
  t.same(missing.map(compactRule), [
    '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
    '{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
    '{APIGroups:[""], Resources:["secrets"], Verbs:["delete"]}',
  ]);
  t.equal(uncoveredRules(owner, [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }]).length, 1, 'a * verb is only covered by a * verb');
});

t.test('the Node authorizer gives a node only the secrets of its own pods', async (t) => {
  const pod = (name: string, node: string, secret: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'i', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: secret, key: 'k' } } }] }] },
  });
  const source = staticObjectSource([pod('p1', 'n1', 's1'), pod('p2', 'n2', 's2')]);
  const nodeAuth = nodeThen(new NodeAuthorizer(source), new RbacAuthorizer(source));
  const n1 = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
  t.equal((await nodeAuth.authorize(res(n1, 'get', '', 'secrets', 'default', 's1'))).allowed, true);
  const other = await nodeAuth.authorize(res(n1, 'get', '', 'secrets', 'default', 's2'));
  t.equal(other.allowed, false);
  t.equal(other.reason, "no relationship found between node 'n1' and this object");
  t.equal((await nodeAuth.authorize(res(n1, 'list', '', 'secrets', 'default'))).allowed, false);
  t.equal((await nodeAuth.authorize(res(n1, 'update', '', 'pods', 'default', 'p2', 'status'))).allowed, false, "another node's pod");
  t.equal((await nodeAuth.authorize(res(n1, 'patch', '', 'nodes', '', 'n2', 'status'))).allowed, false, "another node's status");
});
