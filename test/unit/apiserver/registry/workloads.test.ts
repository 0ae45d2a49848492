import t from 'tap';
import { daemonSets } from '../../../../apiserver/registry/kinds/daemonsets.js';
import { deployments } from '../../../../apiserver/registry/kinds/deployments.js';
import { jobs } from '../../../../apiserver/registry/kinds/jobs.js';
import { replicaSets } from '../../../../apiserver/registry/kinds/replicasets.js';
import { replicationControllers } from '../../../../apiserver/registry/kinds/replicationcontrollers.js';
import { statefulSets } from '../../../../apiserver/registry/kinds/statefulsets.js';
import type { KubeObject } from '../../../../kube/object.js';
import { create, lines, row, update, valid } from './lifecycle.js';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } };
const web = { metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template } };
const spec = (o: KubeObject): Record<string, unknown> => o.spec as Record<string, unknown>;

t.test('a deployment gets apps/v1 defaults, generation 1 and an empty status', async (t) => {
  const d = valid(deployments, { ...web, status: { replicas: 9 } });
  t.match(d.spec, {
    replicas: 1,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
    template: { spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', containers: [{ imagePullPolicy: 'IfNotPresent' }] } },
  });
  t.notOk('enableServiceLinks' in (spec(d).template as { spec: object }).spec, 'templates do not get pod-only defaults');
  t.same(d.status, {});
  t.equal(d.metadata.generation, 1);
  t.same(deployments.specFields, ['spec']);
});

t.test('invalid deployments are rejected with upstream messages', async (t) => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    [
      'no selector (a missing selector selects nothing, so the template cannot match it either)',
      { spec: { template } },
      ['spec.selector: Required value', 'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`'],
    ],
    [
      'a selector the template does not match',
      { spec: { selector: { matchLabels: { app: 'api' } }, template } },
      ['spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`'],
    ],
    ['an empty selector', { spec: { selector: {}, template } }, ['spec.selector: Invalid value: {}: empty selector is invalid for deployment']],
    [
      'a template that does not restart always',
      { spec: { ...web.spec, template: { ...template, spec: { ...template.spec, restartPolicy: 'Never' } } } },
      ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ],
    ['negative replicas', { spec: { ...web.spec, replicas: -1 } }, ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
    [
      'a rolling update that can never progress',
      { spec: { ...web.spec, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } } },
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0'],
    ],
    [
      'a percentage that is not one',
      { spec: { ...web.spec, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25', maxUnavailable: '110%' } } } },
      [
        "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"25\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "110%": must not be greater than 100%',
      ],
    ],
    [
      'a container without an image',
      { spec: { ...web.spec, template: { ...template, spec: { containers: [{ name: 'c' }] } } } },
      ['spec.template.spec.containers[0].image: Required value'],
    ],
  ];
  for (const [what, body, want] of cases) t.same(lines(create(deployments, { metadata: { name: 'web' }, ...body }).causes), want, what);
});

t.test('an apps/v1 selector cannot change, the rest of the spec can', async (t) => {
  for (const def of [deployments, replicaSets, daemonSets, statefulSets]) {
    const obj = valid(def, web);
    t.same(
      update(def, obj, (o) => Object.assign(spec(o), { template: { ...template, spec: { containers: [{ name: 'nginx', image: 'nginx:1.28' }] } } })),
      [],
      `${def.kind} template`,
    );
    const changed = update(def, obj, (o) => {
      Object.assign(spec(o), {
        selector: { matchLabels: { app: 'web', tier: 'x' } },
        template: { ...template, metadata: { labels: { app: 'web', tier: 'x' } } },
      });
    });
    t.same(
      lines(changed).filter((l) => l.startsWith('spec.selector')),
      ['spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"x"}}: field is immutable'],
      def.kind,
    );
  }
});

const ago = (minutes: number): string => new Date(Date.parse('2026-11-27T05:10:45Z') - minutes * 60_000).toISOString().replace('.000', '');

t.test('deployment, replica set, stateful set and daemon set rows', async (t) => {
  const d = valid(deployments, { ...web, metadata: { name: 'web', creationTimestamp: ago(3) }, spec: { ...web.spec, replicas: 3 } });
  d.metadata.creationTimestamp = ago(3);
  d.status = { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 };
  t.same(row(deployments, d), {
    Name: 'web',
    Ready: '2/3',
    'Up-to-date': 3,
    Available: 2,
    Age: '3m',
    Containers: 'nginx',
    Images: 'nginx:1.27',
    Selector: 'app=web',
  });
  const rs = valid(replicaSets, {
    ...web,
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] },
      template: { ...template, metadata: { labels: { app: 'web', tier: 'a' } } },
    },
  });
  rs.status = { replicas: 2, readyReplicas: 1 };
  t.match(row(replicaSets, rs), { Desired: 2, Current: 2, Ready: 1, Selector: 'app=web,tier in (a,b)' });
  const sts = valid(statefulSets, { ...web, spec: { ...web.spec, replicas: 3 } });
  sts.status = { readyReplicas: 1 };
  t.same(Object.keys(row(statefulSets, sts)), ['Name', 'Ready', 'Age', 'Containers', 'Images']);
  t.equal(row(statefulSets, sts).Ready, '1/3');
  const ds = valid(daemonSets, {
    ...web,
    spec: { ...web.spec, template: { ...template, spec: { ...template.spec, nodeSelector: { 'kubernetes.io/os': 'linux' } } } },
  });
  ds.status = { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 };
  t.match(row(daemonSets, ds), {
    Desired: 3,
    Current: 3,
    Ready: 2,
    'Up-to-date': 3,
    Available: 2,
    'Node Selector': 'kubernetes.io/os=linux',
    Selector: 'app=web',
  });
});

t.test('stateful sets and daemon sets get their own defaults and statuses', async (t) => {
  const sts = valid(statefulSets, web);
  t.match(sts.spec, {
    replicas: 1,
    podManagementPolicy: 'OrderedReady',
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    revisionHistoryLimit: 10,
  });
  t.same(sts.status, { replicas: 0, availableReplicas: 0 });
  t.same(lines(update(statefulSets, sts, (o) => Object.assign(spec(o), { serviceName: 'other' }))), [
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
  ]);
  t.same(
    update(statefulSets, sts, (o) => Object.assign(spec(o), { replicas: 5 })),
    [],
  );
  const ds = valid(daemonSets, web);
  t.match(ds.spec, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 });
  t.notOk('replicas' in spec(ds));
  t.same(
    lines(
      update(daemonSets, ds, (o) => Object.assign(spec(o), { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } })),
    ),
    ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero'],
  );
});

t.test('scale reads and writes replicas and prints the selector as Scale carries it', async (t) => {
  for (const def of [deployments, replicaSets, statefulSets]) {
    const obj = valid(def, { ...web, spec: { ...web.spec, replicas: 2 } });
    obj.status = { replicas: 1 };
    const scale = def.scale;
    if (!scale) throw new Error(`${def.kind} has no scale`);
    t.same([scale.specReplicas(obj), scale.statusReplicas(obj), scale.selector(obj)], [2, 1, 'app=web'], def.kind);
    scale.setSpecReplicas(obj, 5);
    t.equal(spec(obj).replicas, 5);
  }
  t.equal(daemonSets.scale, undefined);
  const rc = valid(replicationControllers, {
    metadata: { name: 'rc' },
    spec: { selector: { b: '2', a: '1' }, template: { ...template, metadata: { labels: { a: '1', b: '2' } } } },
  });
  t.equal(replicationControllers.scale?.selector(rc), 'a=1,b=2');
});

t.test('a job is labelled and selected by its uid unless the client manages the selector', async (t) => {
  const body = { metadata: { name: 'pi' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34' }] } } } };
  const job = valid(jobs, body, 'a1b2');
  t.match(job.spec, {
    completions: 1,
    parallelism: 1,
    backoffLimit: 6,
    completionMode: 'NonIndexed',
    suspend: false,
    podReplacementPolicy: 'TerminatingOrFailed',
    selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'a1b2' } },
  });
  const labels = { 'batch.kubernetes.io/controller-uid': 'a1b2', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'a1b2', 'job-name': 'pi' };
  t.same((spec(job).template as { metadata: { labels: object } }).metadata.labels, labels);
  t.same(job.metadata.labels, labels, 'an unlabelled job takes its template labels');
  t.same(job.status, {});
  t.equal(job.metadata.generation, 1);

  t.same(lines(create(jobs, { metadata: { name: 'pi' }, spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } } }).causes), [
    'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
  ]);
  t.same(lines(create(jobs, { metadata: { name: 'pi' }, spec: { manualSelector: true, template: body.spec.template } }).causes), [
    'spec.selector: Required value',
    'spec.template.metadata.labels: Invalid value: {}: `selector` does not match template `labels`',
  ]);
  t.same(lines(update(jobs, job, (o) => Object.assign(spec(o), { completions: 3 }))), ['spec.completions: Invalid value: 3: field is immutable']);
});

t.test('job rows show the status condition, completions and duration', async (t) => {
  const job = valid(
    jobs,
    { metadata: { name: 'pi' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl' }] } } } },
    'u9',
  );
  job.status = { startTime: ago(3), active: 1 };
  t.match(row(jobs, job), { Status: 'Running', Completions: '0/1', Duration: '3m', Selector: 'batch.kubernetes.io/controller-uid=u9' });
  job.status = { startTime: ago(3), completionTime: ago(1), succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
  t.match(row(jobs, job), { Status: 'Complete', Completions: '1/1', Duration: '2m' });
  delete spec(job).completions;
  spec(job).parallelism = 3;
  job.status = { conditions: [{ type: 'Suspended', status: 'True' }] };
  t.match(row(jobs, job), { Status: 'Suspended', Completions: '0/1 of 3', Duration: '' });
  t.equal(jobs.fieldSelectors?.['status.successful']?.({ ...job, status: { succeeded: 4 } }), '4');
});

t.test('a replication controller selects and is labelled like its template when it says nothing', async (t) => {
  const rc = valid(replicationControllers, { metadata: { name: 'rc' }, spec: { template } });
  t.same(spec(rc).selector, { app: 'web' });
  t.same(rc.metadata.labels, { app: 'web' });
  t.equal(spec(rc).replicas, 1);
  t.same(rc.status, { replicas: 0 });
  t.match(row(replicationControllers, rc), { Desired: 1, Current: 0, Ready: 0, Selector: 'app=web' });
  t.same(lines(create(replicationControllers, { metadata: { name: 'rc' }, spec: { selector: { app: 'api' }, template } }).causes), [
    'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
  ]);
});
