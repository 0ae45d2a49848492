import t, { type Test } from 'tap';
import { KubeCluster } from '../helpers/kube-cluster.js';

/**
 * kubectl against an apiserver with `--authorization-mode RBAC`: creating roles and bindings with
 * `kubectl create role/rolebinding/clusterrole`, listing them, and `kubectl auth can-i` for the
 * admin and, through impersonation (`--as`), for a user with only what a RoleBinding grants.
 * The harness's kubeconfig has no credentials: the admin is the unauthenticated
 * system:masters user, who may impersonate anyone.
 */

const cluster = await KubeCluster.start({ apiserverArgs: ['--authorization-mode', 'RBAC'] });
t.teardown(() => cluster.stop(!t.passing()));

async function kubectl(t: Test, ...args: string[]): Promise<string> {
  const r = await cluster.kubectl(args);
  t.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

t.test('kubectl creates roles and bindings and lists them as kube does', async (t) => {
  t.match(
    await kubectl(t, 'create', 'role', 'pod-reader', '--verb=get', '--verb=list', '--resource=pods'),
    /role.rbac.authorization.k8s.io\/pod-reader created/,
  );
  t.match(
    await kubectl(t, 'create', 'rolebinding', 'bob-reads', '--role=pod-reader', '--user=bob'),
    /rolebinding.rbac.authorization.k8s.io\/bob-reads created/,
  );
  t.match(
    await kubectl(t, 'create', 'clusterrole', 'node-reader', '--verb=get', '--resource=nodes'),
    /clusterrole.rbac.authorization.k8s.io\/node-reader created/,
  );
  const roles = await kubectl(t, 'get', 'roles');
  t.match(roles, /^NAME\s+CREATED AT\n/);
  t.match(roles, /pod-reader/);
  t.match(await kubectl(t, 'get', 'rolebindings', '-o', 'wide'), /bob-reads\s+Role\/pod-reader\s+\S+\s+bob/);
  t.match(await kubectl(t, 'get', 'clusterroles'), /cluster-admin/);
});

t.test('kubectl auth can-i answers yes and no', async (t) => {
  t.equal((await kubectl(t, 'auth', 'can-i', 'create', 'pods')).trim(), 'yes');
  t.equal((await kubectl(t, 'auth', 'can-i', 'list', 'pods', '--as', 'bob')).trim(), 'yes');
  const no = await cluster.kubectl(['auth', 'can-i', 'list', 'secrets', '-n', 'kube-system', '--as', 'bob']);
  t.equal(no.stdout.trim(), 'no');
  t.equal(no.code, 1, 'can-i exits 1 for no');
  const forbidden = await cluster.kubectl(['get', 'pods', '-n', 'kube-system', '--as', 'bob']);
  t.not(forbidden.code, 0);
  t.match(forbidden.stderr, /pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "kube-system"/);
});
