import t from 'tap';
import type { Authenticator } from '../../../../apiserver/auth/authenticator.js';
import { MASTERS_GROUP } from '../../../../apiserver/auth/user-info.js';
import { type AuthorizerFactory, authorizerForMode } from '../../../../apiserver/authz/authorization-mode.js';
import { type Harness, pod, startApiserver } from '../../../helpers/apiserver-harness.js';

/**
 * RBAC through the API: an apiserver with `Node,RBAC` authorization and a test authenticator
 * that takes the user from `x-test-user` (groups from `x-test-groups`); no header: an admin.
 */
const testAuthenticator: Authenticator = {
  async authenticate(req) {
    const name = req.headers['x-test-user'];
    if (typeof name !== 'string') return { name: 'admin', groups: [MASTERS_GROUP, 'system:authenticated'] };
    const groups = typeof req.headers['x-test-groups'] === 'string' ? req.headers['x-test-groups'].split(',') : [];
    return { name, groups: [...groups, 'system:authenticated'] };
  },
};

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const as = (user: string, groups = ''): Record<string, string> => ({ 'x-test-user': user, ...(groups ? { 'x-test-groups': groups } : {}) });
const roleBody = (name: string, rules: unknown[]) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name }, rules });
const bindingBody = (name: string, kind: 'Role' | 'ClusterRole', role: string, user: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: role },
  subjects: [{ kind: 'User', name: user }],
});
const ssar = (attrs: Record<string, string>) => ({
  apiVersion: 'authorization.k8s.io/v1',
  kind: 'SelfSubjectAccessReview',
  spec: { resourceAttributes: attrs },
});

async function created(h: Harness, url: string, body: unknown): Promise<void> {
  const r = await h.request('POST', url, body);
  if (r.status !== 201) throw new Error(`POST ${url}: ${r.status} ${r.text}`);
}

t.test('RBAC through the API', async (t) => {
  const h = await startApiserver(t, { authenticator: testAuthenticator, authorizer: authorizerForMode('Node,RBAC') as AuthorizerFactory });

  t.test('the default roles are there at start, admin aggregated from its parts', async (t) => {
    const admin = await h.request('GET', `${RBAC}/clusterroles/admin`);
    t.equal(admin.status, 200);
    t.ok(
      admin.json.rules.some((r: { resources?: string[] }) => r.resources?.includes('rolebindings')),
      'admin holds its own rules',
    );
    t.ok(
      admin.json.rules.some((r: { resources?: string[] }) => r.resources?.includes('secrets')),
      'and edit rules',
    );
    t.equal((await h.request('GET', `${RBAC}/clusterrolebindings/cluster-admin`)).json.subjects[0].name, 'system:masters');
  });

  t.test('a user without bindings is refused with kube message', async (t) => {
    const r = await h.request('GET', '/api/v1/namespaces/default/pods', undefined, as('bob'));
    t.equal(r.status, 403);
    t.equal(r.json.reason, 'Forbidden');
    t.equal(r.json.message, 'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"');
  });

  t.test('a Role and RoleBinding grant access in their namespace only', async (t) => {
    await created(h, `${RBAC}/namespaces/default/roles`, roleBody('pod-reader', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }]));
    await created(h, `${RBAC}/namespaces/default/rolebindings`, bindingBody('bob-reads', 'Role', 'pod-reader', 'bob'));
    t.equal((await h.request('GET', '/api/v1/namespaces/default/pods', undefined, as('bob'))).status, 200);
    t.equal((await h.request('GET', '/api/v1/namespaces/kube-system/pods', undefined, as('bob'))).status, 403);
    t.equal((await h.request('DELETE', '/api/v1/namespaces/default/pods/x', undefined, as('bob'))).status, 403);
  });

  t.test('kubectl auth can-i: SelfSubjectAccessReview answers for the requester', async (t) => {
    const yes = await h.request(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      ssar({ verb: 'list', resource: 'pods', namespace: 'default' }),
      as('bob'),
    );
    t.equal(yes.status, 201);
    t.equal(yes.json.status.allowed, true);
    const no = await h.request(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      ssar({ verb: 'list', resource: 'secrets', namespace: 'kube-system' }),
      as('bob'),
    );
    t.equal(no.json.status.allowed, false);
    t.equal((await h.request('GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', undefined)).status, 405, 'reviews are create-only');
    const sar = await h.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'bob', resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'default' } },
    });
    t.equal(sar.json.status.allowed, true);
    const rules = await h.request(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectRulesReview',
        spec: { namespace: 'default' },
      },
      as('bob'),
    );
    t.ok(rules.json.status.resourceRules.some((r: { resources?: string[] }) => r.resources?.includes('pods')));
  });

  t.test('escalation: nobody grants what they do not hold', async (t) => {
    await created(
      h,
      `${RBAC}/namespaces/default/roles`,
      roleBody('role-writer', [{ verbs: ['create', 'get'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'] }]),
    );
    await created(h, `${RBAC}/namespaces/default/rolebindings`, bindingBody('carol-writes', 'Role', 'role-writer', 'carol'));
    await created(h, `${RBAC}/namespaces/default/rolebindings`, bindingBody('carol-reads', 'Role', 'pod-reader', 'carol'));
    const wider = await h.request(
      'POST',
      `${RBAC}/namespaces/default/roles`,
      roleBody('pod-killer', [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]),
      as('carol'),
    );
    t.equal(wider.status, 403);
    t.equal(
      wider.json.message,
      'roles.rbac.authorization.k8s.io "pod-killer" is forbidden: user "carol" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
    );
    const narrower = await h.request(
      'POST',
      `${RBAC}/namespaces/default/roles`,
      roleBody('pod-getter', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]),
      as('carol'),
    );
    t.equal(narrower.status, 201, 'a role within her own rules is fine');
    const bindAdmin = await h.request(
      'POST',
      `${RBAC}/namespaces/default/rolebindings`,
      bindingBody('carol-admin', 'ClusterRole', 'admin', 'carol'),
      as('carol'),
    );
    t.equal(bindAdmin.status, 403, 'binding a role she does not hold is refused');
    t.match(bindAdmin.json.message, /is attempting to grant RBAC permissions not currently held/);
    await created(h, `${RBAC}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'bind-admin' },
      rules: [{ verbs: ['bind'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: ['admin'] }],
    });
    await created(h, `${RBAC}/namespaces/default/rolebindings`, bindingBody('carol-binds', 'ClusterRole', 'bind-admin', 'carol'));
    const withBind = await h.request(
      'POST',
      `${RBAC}/namespaces/default/rolebindings`,
      bindingBody('carol-admin', 'ClusterRole', 'admin', 'dave'),
      as('carol'),
    );
    t.equal(withBind.status, 201, 'bind on that role allows it');
  });

  t.test('a binding roleRef cannot change', async (t) => {
    const current = await h.request('GET', `${RBAC}/namespaces/default/rolebindings/bob-reads`);
    const changed = { ...current.json, roleRef: { ...current.json.roleRef, name: 'pod-getter' } };
    const r = await h.request('PUT', `${RBAC}/namespaces/default/rolebindings/bob-reads`, changed);
    t.equal(r.status, 422);
    t.match(r.json.message, /roleRef: Invalid value: .*: cannot change roleRef/);
  });

  t.test('impersonation only for those allowed to impersonate', async (t) => {
    const refused = await h.request('GET', '/api/v1/namespaces/default/pods', undefined, { ...as('alice'), 'impersonate-user': 'bob' });
    t.equal(refused.status, 403);
    t.equal(refused.json.message, 'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope');
    await created(h, `${RBAC}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'impersonator' },
      rules: [{ verbs: ['impersonate'], apiGroups: [''], resources: ['users', 'groups'] }],
    });
    await created(h, `${RBAC}/clusterrolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'alice-impersonates' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'impersonator' },
      subjects: [{ kind: 'User', name: 'alice' }],
    });
    t.equal((await h.request('GET', '/api/v1/namespaces/default/pods', undefined, { ...as('alice'), 'impersonate-user': 'bob' })).status, 200, 'acts as bob');
    const asBob = await h.request('GET', '/api/v1/namespaces/kube-system/pods', undefined, { ...as('alice'), 'impersonate-user': 'bob' });
    t.equal(asBob.status, 403);
    t.match(asBob.json.message, /User "bob" cannot list/);
    const groupsOnly = await h.request('GET', '/api/v1/namespaces/default/pods', undefined, { ...as('alice'), 'impersonate-group': 'x' });
    t.equal(groupsOnly.status, 400, 'groups without a user');
  });

  t.test('the scheduler can bind pods but not delete them', async (t) => {
    await created(h, '/api/v1/namespaces/default/pods', pod('sched-me'));
    const sched = as('system:kube-scheduler');
    const del = await h.request('DELETE', '/api/v1/namespaces/default/pods/sched-me', undefined, sched);
    t.equal(del.status, 403);
    t.equal(
      del.json.message,
      'pods "sched-me" is forbidden: User "system:kube-scheduler" cannot delete resource "pods" in API group "" in the namespace "default"',
    );
    const bind = await h.request(
      'POST',
      '/api/v1/namespaces/default/pods/sched-me/binding',
      { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'sched-me' }, target: { kind: 'Node', name: 'n1' } },
      sched,
    );
    t.equal(bind.status, 201);
    t.equal((await h.request('GET', '/api/v1/secrets', undefined, sched)).status, 403, 'nor read secrets');
  });

  t.test("a node reads only its own pods' secrets and modifies only its own pods", async (t) => {
    for (const [name, node, secret] of [
      ['p1', 'n1', 's1'],
      ['p2', 'n2', 's2'],
    ] as const) {
      await created(h, '/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret }, stringData: { k: 'v' } });
      await created(
        h,
        '/api/v1/namespaces/default/pods',
        pod(name, {}, { spec: { nodeName: node, containers: [{ name: 'c', image: 'i' }], volumes: [{ name: 'v', secret: { secretName: secret } }] } }),
      );
    }
    const n1 = as('system:node:n1', 'system:nodes');
    // The watch cache sees the pods shortly after the creates.
    for (let i = 0; i < 100 && (await h.request('GET', '/api/v1/namespaces/default/secrets/s1', undefined, n1)).status !== 200; i++)
      await new Promise((r) => setImmediate(r));
    t.equal((await h.request('GET', '/api/v1/namespaces/default/secrets/s1', undefined, n1)).status, 200);
    const other = await h.request('GET', '/api/v1/namespaces/default/secrets/s2', undefined, n1);
    t.equal(other.status, 403);
    t.match(other.json.message, /no relationship found between node 'n1' and this object/);
    t.equal((await h.request('GET', '/api/v1/namespaces/default/secrets', undefined, n1)).status, 403, 'no listing secrets');
    const patch = { status: { phase: 'Running' } };
    const hdr = { ...n1, 'content-type': 'application/merge-patch+json' };
    t.equal((await h.request('PATCH', '/api/v1/namespaces/default/pods/p2/status', JSON.stringify(patch), hdr)).status, 403, "another node's pod");
    t.equal((await h.request('PATCH', '/api/v1/namespaces/default/pods/p1/status', JSON.stringify(patch), hdr)).status, 200, 'its own pod');
  });

  t.test('non-resource paths: /version for everyone, /metrics not', async (t) => {
    t.equal((await h.request('GET', '/version', undefined, as('bob'))).status, 200);
    t.equal((await h.request('GET', '/apis', undefined, as('bob'))).status, 200, 'discovery for authenticated users');
    const metrics = await h.request('GET', '/metrics', undefined, as('bob'));
    t.equal(metrics.status, 403);
    t.equal(metrics.json.message, 'forbidden: User "bob" cannot get path "/metrics"');
  });
});
