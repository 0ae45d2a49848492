import { join } from 'node:path';
import t from 'tap';
import { KubeCluster, type KubectlResult } from '../helpers/kube-cluster.js';
import { cells, parseTable, parseTables } from './kubectl-table.js';

/**
 * The machine's kubectl (1.32) against a running picokube for what is not about one pod:
 * discovery (api-resources, explain), version, cluster-info, deployments and their scale
 * subresource, `get all`, events. Outputs are held to what a real kube-apiserver makes kubectl
 * print; subtests run in order on one cluster. No assertion reads an AGE cell.
 */

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

const cluster = await KubeCluster.start();
t.teardown(() => cluster.stop(!t.passing()));

const kubectl = (args: readonly string[], input?: string): Promise<KubectlResult> => cluster.kubectl(args, input === undefined ? {} : { input });
const ok = (stdout: string): KubectlResult => ({ code: 0, stdout, stderr: '' });
const empty = (namespace = 'default'): KubectlResult => ({ code: 0, stdout: '', stderr: `No resources found in ${namespace} namespace.\n` });

t.test('kubectl api-resources lists the built-in resources with their short names, versions and scope', async (t) => {
  const r = await kubectl(['api-resources']);
  t.equal(r.code, 0, r.stderr);
  const table = parseTable(r.stdout);
  t.strictSame(table.header, ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
  const byName = new Map(table.rows.map((row) => [row.NAME, [row.SHORTNAMES, row.APIVERSION, row.NAMESPACED, row.KIND]]));
  const expected: [string, string, string, string, string][] = [
    ['pods', 'po', 'v1', 'true', 'Pod'],
    ['nodes', 'no', 'v1', 'false', 'Node'],
    ['namespaces', 'ns', 'v1', 'false', 'Namespace'],
    ['services', 'svc', 'v1', 'true', 'Service'],
    ['configmaps', 'cm', 'v1', 'true', 'ConfigMap'],
    ['events', 'ev', 'v1', 'true', 'Event'],
    ['endpoints', 'ep', 'v1', 'true', 'Endpoints'],
    ['replicationcontrollers', 'rc', 'v1', 'true', 'ReplicationController'],
    ['serviceaccounts', 'sa', 'v1', 'true', 'ServiceAccount'],
    ['secrets', '', 'v1', 'true', 'Secret'],
    ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment'],
    ['replicasets', 'rs', 'apps/v1', 'true', 'ReplicaSet'],
    ['daemonsets', 'ds', 'apps/v1', 'true', 'DaemonSet'],
    ['statefulsets', 'sts', 'apps/v1', 'true', 'StatefulSet'],
    ['jobs', '', 'batch/v1', 'true', 'Job'],
    ['leases', '', 'coordination.k8s.io/v1', 'true', 'Lease'],
  ];
  for (const [name, ...row] of expected) t.strictSame(byName.get(name), row, name);
  t.notOk(
    table.rows.some((row) => row.NAME?.includes('/')),
    'subresources are not listed',
  );
});

t.test('kubectl explain pod prints KIND, VERSION, DESCRIPTION and FIELDS', async (t) => {
  const r = await kubectl(['explain', 'pod']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^KIND: {7}Pod\nVERSION: {4}v1\n\nDESCRIPTION:\n {4}Pod is a collection of containers/);
  t.match(r.stdout, /\nFIELDS:\n {2}apiVersion\t<string>\n/);
  t.match(r.stdout, /\n {2}spec\t<PodSpec>\n/);
  t.match(r.stdout, /\n {2}status\t<PodStatus>\n/);
});

t.test('kubectl explain of a field prints its GROUP, KIND and FIELD line', async (t) => {
  const r = await kubectl(['explain', 'deployment.spec.replicas']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^GROUP: {6}apps\nKIND: {7}Deployment\nVERSION: {4}v1\n\nFIELD: replicas <integer>\n/);
  t.match(r.stdout, /DESCRIPTION:\n {4}Number of desired pods\./);
});

t.test('kubectl version prints Server Version: v1.32.0', async (t) => {
  const r = await kubectl(['version']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^Server Version: v1\.32\.0$/m);
  t.notMatch(r.stderr, /WARNING: version difference/, 'the dispatcher picked the 1.32 kubectl');
  const json = JSON.parse((await kubectl(['version', '-o', 'json'])).stdout) as { serverVersion: Record<string, string> };
  t.match(json.serverVersion, { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' });
});

t.test('kubectl cluster-info says the control plane is running at the kubeconfig URL', async (t) => {
  t.strictSame(
    await kubectl(['cluster-info']),
    ok(`Kubernetes control plane is running at ${cluster.url}\n\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n`),
  );
});

t.test('kubectl get svc shows the kubernetes Service every cluster has', async (t) => {
  const r = await kubectl(['get', 'svc']);
  t.equal(r.code, 0, r.stderr);
  const table = parseTable(r.stdout);
  t.strictSame(table.header, ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
  t.strictSame(cells(table, ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)']), [['kubernetes', 'ClusterIP', '10.96.0.1', '<none>', '443/TCP']]);
});

t.test('kubectl get deploy,rs on an empty namespace says No resources found', async (t) => {
  t.strictSame(await kubectl(['get', 'deploy,rs']), empty());
  t.strictSame(await kubectl(['get', 'events']), empty(), 'no events yet');
});

t.test('kubectl create deployment web --image=nginx says deployment.apps/web created', async (t) => {
  const r = await kubectl(['create', 'deployment', 'web', '--image=nginx']);
  t.strictSame(r, ok('deployment.apps/web created\n'), 'kubectl sends this one as protobuf');
  // The subtests below need web; if the protobuf create failed, apply the same Deployment as JSON.
  if (r.code !== 0) await kubectl(['apply', '-f', join(FIXTURES, 'web-deployment.yaml')]);
  const selector = await kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.selector.matchLabels.app} {.spec.replicas}']);
  t.equal(selector.stdout, 'web 1');
});

t.test('kubectl get deploy prints NAME READY UP-TO-DATE AVAILABLE AGE; -o wide adds CONTAINERS IMAGES SELECTOR', async (t) => {
  const r = await kubectl(['get', 'deploy', 'web']);
  t.equal(r.code, 0, r.stderr);
  const table = parseTable(r.stdout);
  t.strictSame(table.header, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
  t.strictSame(cells(table, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE']), [['web', '0/1', '0', '0']], 'no controller has made pods');
  const wide = parseTable((await kubectl(['get', 'deploy', 'web', '-o', 'wide'])).stdout);
  t.strictSame(wide.header, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
  t.strictSame(cells(wide, ['CONTAINERS', 'IMAGES', 'SELECTOR']), [['nginx', 'nginx', 'app=web']]);
});

t.test('kubectl scale deployment sets replicas through the scale subresource', async (t) => {
  t.strictSame(await kubectl(['scale', 'deployment', 'web', '--replicas=3']), ok('deployment.apps/web scaled\n'));
  t.equal((await kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'])).stdout, '3');
  const table = parseTable((await kubectl(['get', 'deploy', 'web'])).stdout);
  t.strictSame(cells(table, ['NAME', 'READY']), [['web', '0/3']]);
  t.strictSame(
    await kubectl(['scale', 'deployment', 'web', '--replicas=2', '--current-replicas=5']),
    { code: 1, stdout: '', stderr: 'error: Expected replicas to be 5, was 3\n' },
    'a failed precondition changes nothing',
  );
  t.equal((await kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'])).stdout, '3');
});

t.test('kubectl get all prints one table per kind of the all category', async (t) => {
  const r = await kubectl(['get', 'all']);
  t.equal(r.code, 0, r.stderr);
  const tables = parseTables(r.stdout);
  t.strictSame(
    tables.map((table) => table.header),
    [
      ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
      ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    ],
  );
  t.strictSame(
    tables.map((table) => cells(table, ['NAME']).flat()),
    [['service/kubernetes'], ['deployment.apps/web']],
  );
});

t.test('kubectl delete deployment removes it and get deploy is empty again', async (t) => {
  t.strictSame(await kubectl(['delete', 'deployment', 'web']), ok('deployment.apps "web" deleted\n'));
  t.strictSame(await kubectl(['get', 'deploy']), empty());
  t.strictSame(await kubectl(['get', 'deploy', 'web']), { code: 1, stdout: '', stderr: 'Error from server (NotFound): deployments.apps "web" not found\n' });
});
