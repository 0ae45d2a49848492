import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { KubeCluster, type KubectlResult } from '../helpers/kube-cluster.js';
import { pollUntil } from '../helpers/store-cluster.js';
import { cells, parseTable } from './kubectl-table.js';

/**
 * The machine's kubectl (1.32) against a running picokube, command by command, each output held
 * to what a real kube-apiserver makes kubectl print: messages, column headers, exit codes. The
 * subtests share one cluster and run in order; each one's comment says what state it leaves.
 * No assertion reads an AGE cell.
 */

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const fixture = (name: string): string => join(FIXTURES, name);
const LABEL_DEMO = fixture('label-demo.yaml');
const NGINX_STABLE = fixture('nginx-stable.yaml');

const cluster = await KubeCluster.start();
t.teardown(() => cluster.stop(!t.passing()));

const kubectl = (args: readonly string[], input?: string): Promise<KubectlResult> => cluster.kubectl(args, input === undefined ? {} : { input });
const ok = (stdout: string): KubectlResult => ({ code: 0, stdout, stderr: '' });
const failed = (stderr: string): KubectlResult => ({ code: 1, stdout: '', stderr });

/** `-o jsonpath=...` of one object; '' when kubectl fails. */
async function jsonpath(target: readonly string[], path: string): Promise<string> {
  const r = await kubectl(['get', ...target, '-o', `jsonpath=${path}`]);
  return r.code === 0 ? r.stdout : `<kubectl failed: ${r.stderr.trim()}>`;
}

function manifest(file: string): Promise<string> {
  return readFile(file, 'utf8');
}

t.test('kubectl apply -f creates each pod and says created', async (t) => {
  t.strictSame(await kubectl(['apply', '-f', LABEL_DEMO]), ok('pod/label-demo created\n'));
  t.strictSame(await kubectl(['apply', '-f', NGINX_STABLE]), ok('pod/nginx-stable created\n'));
});

t.test('kubectl apply -f of an unchanged manifest writes nothing and says unchanged', async (t) => {
  const before = await jsonpath(['pod', 'label-demo'], '{.metadata.resourceVersion}');
  t.strictSame(await kubectl(['apply', '-f', LABEL_DEMO]), ok('pod/label-demo unchanged\n'));
  t.strictSame(await kubectl(['apply', '-f', NGINX_STABLE]), ok('pod/nginx-stable unchanged\n'));
  t.equal(await jsonpath(['pod', 'label-demo'], '{.metadata.resourceVersion}'), before, 'the resourceVersion did not move');
});

t.test('kubectl apply -f with a changed label patches the pod and says configured', async (t) => {
  const staging = (await manifest(LABEL_DEMO)).replace('environment: production', 'environment: staging');
  t.strictSame(await kubectl(['apply', '-f', '-'], staging), ok('pod/label-demo configured\n'));
  t.equal(await jsonpath(['pod', 'label-demo'], '{.metadata.labels.environment}'), 'staging');
  t.match(
    await jsonpath(['pod', 'label-demo'], '{.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}'),
    /"environment":"staging"/,
    'the last-applied annotation follows the file',
  );
  // Back to the fixture: the subtests below expect environment=production.
  t.strictSame(await kubectl(['apply', '-f', LABEL_DEMO]), ok('pod/label-demo configured\n'));
  t.equal(await jsonpath(['pod', 'label-demo'], '{.metadata.labels.environment}'), 'production');
});

t.test('kubectl get pods prints NAME READY STATUS RESTARTS AGE, one Pending row per pod', async (t) => {
  const r = await kubectl(['get', 'pods']);
  t.equal(r.code, 0, r.stderr);
  const table = parseTable(r.stdout);
  t.strictSame(table.header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  t.strictSame(cells(table, ['NAME', 'READY', 'STATUS', 'RESTARTS']), [
    ['label-demo', '0/1', 'Pending', '0'],
    ['nginx-stable', '0/1', 'Pending', '0'],
  ]);
});

t.test('kubectl get pods -o wide adds IP NODE NOMINATED NODE READINESS GATES, <none> for an unscheduled pod', async (t) => {
  const r = await kubectl(['get', 'pods', '-o', 'wide']);
  t.equal(r.code, 0, r.stderr);
  const table = parseTable(r.stdout);
  t.strictSame(table.header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
  t.strictSame(cells(table, ['NAME', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']), [
    ['label-demo', '<none>', '<none>', '<none>', '<none>'],
    ['nginx-stable', '<none>', '<none>', '<none>', '<none>'],
  ]);
});

t.test('kubectl get pod -o yaml prints the stored pod with the metadata the server set', async (t) => {
  const r = await kubectl(['get', 'pod', 'label-demo', '-o', 'yaml']);
  t.equal(r.code, 0, r.stderr);
  const pod = parse(r.stdout);
  t.match(pod, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'label-demo',
      namespace: 'default',
      labels: { environment: 'production', app: 'nginx' },
      uid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      resourceVersion: /^[1-9]\d*$/,
      creationTimestamp: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.14.2', ports: [{ containerPort: 80, protocol: 'TCP' }] }], restartPolicy: 'Always' },
    status: { phase: 'Pending' },
  });
  t.notOk('managedFields' in pod.metadata, 'kubectl hides managedFields unless asked');
});

t.test('kubectl get pods -o json prints a List of the pods', async (t) => {
  const r = await kubectl(['get', 'pods', '-o', 'json']);
  t.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as { kind: string; metadata: unknown; items: { kind: string; metadata: { name: string } }[] };
  t.equal(list.kind, 'List');
  t.strictSame(list.metadata, { resourceVersion: '' });
  t.strictSame(
    list.items.map((i) => `${i.kind}/${i.metadata.name}`),
    ['Pod/label-demo', 'Pod/nginx-stable'],
  );
});

t.test('kubectl get pods --show-labels adds a LABELS column', async (t) => {
  const r = await kubectl(['get', 'pods', '--show-labels']);
  t.equal(r.code, 0, r.stderr);
  const table = parseTable(r.stdout);
  t.strictSame(table.header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'LABELS']);
  t.strictSame(cells(table, ['NAME', 'LABELS']), [
    ['label-demo', 'app=nginx,environment=production'],
    ['nginx-stable', 'app=nginx,rel=stable'],
  ]);
});

t.test('kubectl get pods -L app,rel adds one column per label, blank where a pod lacks it', async (t) => {
  const r = await kubectl(['get', 'pods', '-L', 'app,rel']);
  t.equal(r.code, 0, r.stderr);
  const table = parseTable(r.stdout);
  t.strictSame(table.header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'APP', 'REL']);
  t.strictSame(cells(table, ['NAME', 'APP', 'REL']), [
    ['label-demo', 'nginx', ''],
    ['nginx-stable', 'nginx', 'stable'],
  ]);
});

t.test('kubectl get pods -l lists only the pods the selector matches', async (t) => {
  const cases: { selector: string; names: string[] }[] = [
    { selector: 'app=nginx', names: ['label-demo', 'nginx-stable'] },
    { selector: 'environment in (production),app!=foo', names: ['label-demo'] },
    { selector: 'rel=stable', names: ['nginx-stable'] },
    { selector: '!rel', names: ['label-demo'] },
    { selector: 'environment notin (production)', names: ['nginx-stable'] },
  ];
  for (const c of cases) {
    const r = await kubectl(['get', 'pods', '-l', c.selector]);
    t.equal(r.code, 0, `${c.selector}: ${r.stderr}`);
    t.strictSame(cells(parseTable(r.stdout), ['NAME']).flat(), c.names, c.selector);
  }
  t.strictSame(
    await kubectl(['get', 'pods', '-l', 'app=nothing']),
    { code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' },
    'no match is not an error',
  );
});

t.test('kubectl label adds a label, refuses to overwrite it without --overwrite, overwrites and removes it', async (t) => {
  const steps: { args: string[]; expect: KubectlResult; labelAfter: string }[] = [
    { args: ['test=foo'], expect: ok('pod/label-demo labeled\n'), labelAfter: 'foo' },
    { args: ['test=bar'], expect: failed("error: 'test' already has a value (foo), and --overwrite is false\n"), labelAfter: 'foo' },
    { args: ['test=bar', '--overwrite'], expect: ok('pod/label-demo labeled\n'), labelAfter: 'bar' },
    { args: ['test-'], expect: ok('pod/label-demo unlabeled\n'), labelAfter: '' },
  ];
  for (const s of steps) {
    t.strictSame(await kubectl(['label', 'pod', 'label-demo', ...s.args]), s.expect, `kubectl label pod label-demo ${s.args.join(' ')}`);
    t.equal(await jsonpath(['pod', 'label-demo'], '{.metadata.labels.test}'), s.labelAfter, `label test after ${s.args.join(' ')}`);
  }
  t.equal(await jsonpath(['pod', 'label-demo'], '{.metadata.labels}'), '{"app":"nginx","environment":"production"}', 'the other labels are untouched');
});

t.test('kubectl annotate adds an annotation and refuses to overwrite it without --overwrite', async (t) => {
  t.strictSame(await kubectl(['annotate', 'pod', 'label-demo', 'note=hello']), ok('pod/label-demo annotated\n'));
  t.strictSame(
    await kubectl(['annotate', 'pod', 'label-demo', 'note=again']),
    failed("error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (hello)\n"),
  );
  t.equal(await jsonpath(['pod', 'label-demo'], '{.metadata.annotations.note}'), 'hello');
});

t.test('kubectl patch applies json, merge and strategic merge patches', async (t) => {
  t.strictSame(
    await kubectl(['patch', 'pod', 'label-demo', '--type=json', '-p', '[{"op":"add","path":"/metadata/labels/tier","value":"web"}]']),
    ok('pod/label-demo patched\n'),
  );
  t.equal(await jsonpath(['pod', 'label-demo'], '{.metadata.labels.tier}'), 'web', 'json patch');
  t.strictSame(
    await kubectl(['patch', 'pod', 'label-demo', '--type=merge', '-p', '{"metadata":{"labels":{"tier":null,"track":"canary"}}}']),
    ok('pod/label-demo patched\n'),
  );
  t.equal(
    await jsonpath(['pod', 'label-demo'], '{.metadata.labels}'),
    '{"app":"nginx","environment":"production","track":"canary"}',
    'merge patch: null removes',
  );
  // Strategic merge matches containers by name: the image changes, the ports stay.
  t.strictSame(
    await kubectl(['patch', 'pod', 'label-demo', '-p', '{"spec":{"containers":[{"name":"nginx","image":"nginx:1.16.1"}]}}']),
    ok('pod/label-demo patched\n'),
  );
  t.equal(
    await jsonpath(['pod', 'label-demo'], '{.spec.containers[*].image} {.spec.containers[0].ports[0].containerPort}'),
    'nginx:1.16.1 80',
    'strategic merge patch',
  );
  t.strictSame(
    await kubectl(['patch', 'pod', 'label-demo', '-p', '{"spec":{"containers":[{"name":"nginx","image":"nginx:1.16.1"}]}}']),
    ok('pod/label-demo patched (no change)\n'),
  );
});

t.test('kubectl patch --type=json that does not apply is refused as kube-apiserver refuses it', async (t) => {
  t.strictSame(
    await kubectl(['patch', 'pod', 'label-demo', '--type=json', '-p', '[{"op":"remove","path":"/metadata/labels/absent"}]']),
    failed('The request is invalid: the server rejected our request due to an error in our request\n'),
  );
});

t.test('kubectl patch of an immutable pod field is Invalid with the pod update rule', async (t) => {
  const r = await kubectl(['patch', 'pod', 'label-demo', '--type=merge', '-p', '{"spec":{"restartPolicy":"Never"}}']);
  t.equal(r.code, 1);
  t.match(r.stderr, /^The Pod "label-demo" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
});

t.test('kubectl create -f of a pod that exists is AlreadyExists', async (t) => {
  t.strictSame(
    await kubectl(['create', '-f', LABEL_DEMO]),
    failed(`Error from server (AlreadyExists): error when creating "${LABEL_DEMO}": pods "label-demo" already exists\n`),
  );
});

t.test('kubectl create -f of a pod without containers is Invalid: spec.containers Required value', async (t) => {
  t.strictSame(await kubectl(['create', '-f', fixture('bad-pod.yaml')]), failed('The Pod "bad" is invalid: spec.containers: Required value\n'));
  t.equal((await kubectl(['get', 'pod', 'bad'])).code, 1, 'nothing was created');
});

t.test('kubectl apply -f of a pod with an unknown field is refused by strict field validation', async (t) => {
  const file = fixture('bogus-field-pod.yaml');
  t.strictSame(
    await kubectl(['apply', '-f', file]),
    failed(
      `Error from server (BadRequest): error when creating "${file}": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.bogusField"\n`,
    ),
  );
  t.strictSame(await kubectl(['get', 'pod', 'bogus']), failed('Error from server (NotFound): pods "bogus" not found\n'), 'nothing was created');
});

t.test('kubectl apply -f adding an unknown field to an existing pod is refused as an invalid patch', async (t) => {
  const bogus = (await manifest(NGINX_STABLE)).replace('spec:\n', 'spec:\n  bogusField: true\n');
  const r = await kubectl(['apply', '-f', '-'], bogus);
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  // kube quotes the strategic merge patch as Go prints a map, keys sorted.
  t.match(
    r.stderr,
    /^The request is invalid: patch: Invalid value: "map\[metadata:map\[annotations:map\[kubectl\.kubernetes\.io\/last-applied-configuration:\{.*\}\\n\]\] spec:map\[bogusField:true\]\]": strict decoding error: unknown field "spec\.bogusField"\n$/,
  );
  t.equal(await jsonpath(['pod', 'nginx-stable'], '{.spec.bogusField}'), '', 'the pod is unchanged');
});

t.test('kubectl patch with an unknown field warns (fieldValidation defaults to Warn) and drops it', async (t) => {
  t.strictSame(await kubectl(['patch', 'pod', 'label-demo', '--type=merge', '-p', '{"spec":{"bogusField":true},"metadata":{"labels":{"warned":"yes"}}}']), {
    code: 0,
    stdout: 'pod/label-demo patched\n',
    stderr: 'Warning: unknown field "spec.bogusField"\n',
  });
  t.equal(await jsonpath(['pod', 'label-demo'], '{.metadata.labels.warned}'), 'yes');
});

t.test('kubectl replace -f with a stale resourceVersion is a Conflict', async (t) => {
  const stale = await kubectl(['get', 'pod', 'nginx-stable', '-o', 'json']);
  t.equal(stale.code, 0, stale.stderr);
  t.strictSame(await kubectl(['label', 'pod', 'nginx-stable', 'bump=1']), ok('pod/nginx-stable labeled\n'), 'a write moves the resourceVersion on');
  t.strictSame(
    await kubectl(['replace', '-f', '-'], stale.stdout),
    failed(
      'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on pods "nginx-stable": the object has been modified; please apply your changes to the latest version and try again\n',
    ),
  );
  t.equal(await jsonpath(['pod', 'nginx-stable'], '{.metadata.labels.bump}'), '1', 'the newer write stands');
});

t.test('kubectl apply --server-side creates the pod, then applies changes to it', async (t) => {
  const file = fixture('ssa-demo.yaml');
  t.strictSame(await kubectl(['apply', '--server-side', '-f', file]), ok('pod/ssa-demo serverside-applied\n'));
  t.strictSame(await kubectl(['apply', '--server-side', '-f', file]), ok('pod/ssa-demo serverside-applied\n'));
  const changed = (await manifest(file)).replace('app: ssa', 'app: ssa\n    tier: edge');
  t.strictSame(await kubectl(['apply', '--server-side', '-f', '-'], changed), ok('pod/ssa-demo serverside-applied\n'));
  t.equal(await jsonpath(['pod', 'ssa-demo'], '{.metadata.labels}'), '{"app":"ssa","tier":"edge"}');
});

t.test('kubectl create namespace qa says namespace/qa created', async (t) => {
  const r = await kubectl(['create', 'namespace', 'qa']);
  t.strictSame(r, ok('namespace/qa created\n'), 'kubectl sends this one as protobuf');
  // The subtests below need qa; if the protobuf create failed, make it with JSON so they still run.
  if (r.code !== 0) await kubectl(['create', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: qa\n');
});

t.test('kubectl apply -n qa puts the namespace-less manifest in qa, and get -n qa lists it', async (t) => {
  t.strictSame(await kubectl(['apply', '-f', NGINX_STABLE, '-n', 'qa']), ok('pod/nginx-stable created\n'));
  const r = await kubectl(['get', 'pods', '-n', 'qa']);
  t.equal(r.code, 0, r.stderr);
  t.strictSame(cells(parseTable(r.stdout), ['NAME', 'READY', 'STATUS', 'RESTARTS']), [['nginx-stable', '0/1', 'Pending', '0']]);
  t.strictSame(
    await kubectl(['get', 'pods', '-n', 'nothere']),
    { code: 0, stdout: '', stderr: 'No resources found in nothere namespace.\n' },
    'a namespace that does not exist lists empty',
  );
});

t.test('kubectl get pods -A adds a NAMESPACE column and lists every namespace', async (t) => {
  const r = await kubectl(['get', 'pods', '-A']);
  t.equal(r.code, 0, r.stderr);
  const table = parseTable(r.stdout);
  t.strictSame(table.header, ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  t.strictSame(cells(table, ['NAMESPACE', 'NAME', 'STATUS']), [
    ['default', 'label-demo', 'Pending'],
    ['default', 'nginx-stable', 'Pending'],
    ['default', 'ssa-demo', 'Pending'],
    ['qa', 'nginx-stable', 'Pending'],
  ]);
});

t.test('kubectl get ns prints NAME STATUS AGE with the system namespaces and qa Active', async (t) => {
  const r = await kubectl(['get', 'ns']);
  t.equal(r.code, 0, r.stderr);
  const table = parseTable(r.stdout);
  t.strictSame(table.header, ['NAME', 'STATUS', 'AGE']);
  t.strictSame(cells(table, ['NAME', 'STATUS']), [
    ['default', 'Active'],
    ['kube-node-lease', 'Active'],
    ['kube-public', 'Active'],
    ['kube-system', 'Active'],
    ['qa', 'Active'],
  ]);
});

t.test('kubectl get pods -w prints the rows of changes made while it watches', async (t) => {
  const watch = cluster.kubectlSpawn(['get', 'pods', '-w']);
  let out = '';
  let err = '';
  watch.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  watch.stderr?.setEncoding('utf8').on('data', (s: string) => {
    err += s;
  });
  const exited = new Promise<void>((resolve) => watch.once('close', () => resolve()));
  t.teardown(() => {
    if (watch.exitCode === null && watch.signalCode === null && watch.pid !== undefined) process.kill(watch.pid, 'SIGKILL');
  });
  const lines = (): string[] => out.split('\n');
  const rowsOf = (name: string): string[] => lines().filter((l) => l.split(/\s+/)[0] === name);
  const waitFor = (what: string, check: () => boolean): Promise<true> =>
    pollUntil(`${what} in kubectl get -w (stdout so far: ${JSON.stringify(out)}, stderr: ${JSON.stringify(err)})`, () => check() || undefined, 30_000, 50);

  await waitFor('the header and the current pods', () => rowsOf('ssa-demo').length === 1);
  t.match(lines()[0], /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/, 'the header comes first');

  const watched = (await manifest(NGINX_STABLE)).replace('name: nginx-stable', 'name: watched');
  t.strictSame(await kubectl(['apply', '-f', '-'], watched), ok('pod/watched created\n'));
  await waitFor('the row of the new pod', () => rowsOf('watched').length === 1);
  t.match(rowsOf('watched')[0], /^watched\s+0\/1\s+Pending\s+0\s+\S+$/);

  t.strictSame(await kubectl(['label', 'pod', 'watched', 'seen=yes']), ok('pod/watched labeled\n'));
  await waitFor('a second row for the relabelled pod', () => rowsOf('watched').length === 2);

  t.strictSame(await kubectl(['delete', 'pod', 'watched']), ok('pod "watched" deleted\n'));
  await waitFor('a third row for the deleted pod', () => rowsOf('watched').length === 3);

  t.equal(watch.exitCode, null, 'the watch is still open');
  if (watch.pid !== undefined) process.kill(watch.pid, 'SIGTERM');
  await exited;
  t.equal(err, '', 'nothing on stderr');
});

t.test('kubectl delete pod prints deleted, and the pod is then NotFound', async (t) => {
  t.strictSame(await kubectl(['delete', 'pod', 'label-demo']), ok('pod "label-demo" deleted\n'));
  t.strictSame(await kubectl(['get', 'pod', 'label-demo']), failed('Error from server (NotFound): pods "label-demo" not found\n'));
  t.strictSame(await kubectl(['delete', 'pod', 'label-demo']), failed('Error from server (NotFound): pods "label-demo" not found\n'));
});

t.test('kubectl delete pods -l deletes only the matching pods of the namespace', async (t) => {
  t.strictSame(await kubectl(['delete', 'pods', '-l', 'app=nginx']), ok('pod "nginx-stable" deleted\n'));
  const r = await kubectl(['get', 'pods', '-A']);
  t.strictSame(cells(parseTable(r.stdout), ['NAMESPACE', 'NAME']), [
    ['default', 'ssa-demo'],
    ['qa', 'nginx-stable'],
  ]);
});

t.test('kubectl delete ns --wait=false leaves the namespace Terminating, closed to new content', async (t) => {
  t.strictSame(await kubectl(['delete', 'ns', 'qa', '--wait=false']), ok('namespace "qa" deleted\n'));
  const r = await kubectl(['get', 'ns', 'qa']);
  t.equal(r.code, 0, r.stderr);
  t.strictSame(cells(parseTable(r.stdout), ['NAME', 'STATUS']), [['qa', 'Terminating']]);
  const fresh = (await manifest(NGINX_STABLE)).replace('name: nginx-stable', 'name: fresh');
  t.strictSame(
    await kubectl(['apply', '-n', 'qa', '-f', '-'], fresh),
    failed(
      'Error from server (Forbidden): error when creating "STDIN": pods "fresh" is forbidden: unable to create new content in namespace qa because it is being terminated\n',
    ),
  );
});
