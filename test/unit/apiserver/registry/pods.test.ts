import t from 'tap';
import { summarizePod } from '../../../../apiserver/registry/kinds/pod-columns.js';
import { imageTag } from '../../../../apiserver/registry/kinds/pod-defaults.js';
import { POD_UPDATE_FORBIDDEN } from '../../../../apiserver/registry/kinds/pod-update.js';
import { pods } from '../../../../apiserver/registry/kinds/pods.js';
import type { KubeObject } from '../../../../kube/object.js';
import { create, lines, NOW_MS, row, update, valid } from './lifecycle.js';

const basic = { metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] } };

t.test('a new pod gets kube-apiserver defaults and a Pending status with its QoS class', async (t) => {
  const pod = valid(pods, { ...basic, status: { phase: 'Running' } });
  t.match(pod.spec, {
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
    schedulerName: 'default-scheduler',
    terminationGracePeriodSeconds: 30,
    securityContext: {},
    enableServiceLinks: true,
    priority: 0,
    preemptionPolicy: 'PreemptLowerPriority',
  });
  t.same(pod.spec && (pod.spec as { containers: unknown[] }).containers[0], {
    name: 'app',
    image: 'nginx:1.27',
    ports: [{ containerPort: 80, protocol: 'TCP' }],
    imagePullPolicy: 'IfNotPresent',
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    resources: {},
  });
  t.same(pod.status, { phase: 'Pending', qosClass: 'BestEffort' }, 'a client-sent status is replaced');
  t.equal(pod.metadata.generation, undefined, 'pods keep no generation in 1.32');
});

t.test('the image pull policy is Always only for :latest or an untagged image', async (t) => {
  const cases: [string, string][] = [
    ['busybox', 'latest'],
    ['busybox:latest', 'latest'],
    ['busybox:1.36', '1.36'],
    ['localhost:5000/team/app', 'latest'],
    ['localhost:5000/team/app:v2', 'v2'],
    ['busybox@sha256:0123abcd', ''],
    ['busybox:1.36@sha256:0123abcd', '1.36'],
  ];
  for (const [image, tag] of cases) t.equal(imageTag(image), tag, image);
  const pulled = (image: string): unknown =>
    (valid(pods, { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image }] } }).spec as { containers: { imagePullPolicy: string }[] }).containers[0]
      ?.imagePullPolicy;
  t.equal(pulled('busybox'), 'Always');
  t.equal(pulled('busybox:1.36'), 'IfNotPresent');
});

t.test('the QoS class follows requests and limits, requests defaulting to limits', async (t) => {
  const qos = (resources: unknown[]): unknown =>
    (
      valid(pods, { metadata: { name: 'p' }, spec: { containers: resources.map((r, i) => ({ name: `c${i}`, image: 'x:1', resources: r })) } }).status as {
        qosClass: string;
      }
    ).qosClass;
  t.equal(qos([{ limits: { cpu: '500m', memory: '128Mi' } }]), 'Guaranteed');
  t.equal(qos([{ requests: { cpu: '0.5', memory: '128Mi' }, limits: { cpu: '500m', memory: '134217728' } }]), 'Guaranteed', 'equal amounts in other units');
  t.equal(qos([{ limits: { cpu: '1', memory: '1Gi' } }, { requests: { cpu: '100m' } }]), 'Burstable');
  t.equal(qos([{ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } }]), 'Burstable');
  t.equal(qos([{}, { requests: { 'example.com/gpu': '1' } }]), 'BestEffort');
});

t.test('invalid pods are rejected with the causes kubectl prints', async (t) => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['no containers', { spec: { containers: [] } }, ['spec.containers: Required value']],
    ['no spec at all', {}, ['spec.containers: Required value']],
    [
      'a bad and a duplicate container name, a missing image',
      { spec: { containers: [{ name: 'My_C', image: 'x' }, { name: 'a', image: 'x' }, { name: 'a' }] } },
      [
        "spec.containers[0].name: Invalid value: \"My_C\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        'spec.containers[2].name: Duplicate value: "a"',
        'spec.containers[2].image: Required value',
      ],
    ],
    [
      'an unknown restart policy',
      { spec: { restartPolicy: 'Sometimes', containers: [{ name: 'c', image: 'x' }] } },
      ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    ],
    [
      'ports out of range or missing',
      { spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 70000 }, { containerPort: 0, protocol: 'ICMP', name: 'HTTP' }] }] } },
      [
        'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'spec.containers[0].ports[1].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.containers[0].ports[1].containerPort: Required value',
        'spec.containers[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      ],
    ],
    [
      'a mount of a volume that does not exist',
      { spec: { containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
      ['spec.containers[0].volumeMounts[0].name: Not found: "data"'],
    ],
    [
      'a request above its limit',
      { spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] } },
      ['spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1'],
    ],
    [
      'an init container named like a container',
      { spec: { initContainers: [{ name: 'c', image: 'x' }], containers: [{ name: 'c', image: 'x' }] } },
      ['spec.initContainers[0].name: Duplicate value: "c"'],
    ],
  ];
  for (const [what, body, want] of cases) {
    const { causes } = create(pods, { metadata: { name: 'bad-pod' }, ...body });
    t.same(lines(causes), want, what);
  }
  const [cause] = create(pods, { metadata: { name: 'bad-pod' }, spec: { containers: [] } }).causes;
  t.same(cause, { reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' });
});

t.test('a pod spec is immutable except images, a shorter deadline and added tolerations', async (t) => {
  const pod = valid(pods, { ...basic, spec: { ...basic.spec, activeDeadlineSeconds: 100, tolerations: [{ key: 'a', operator: 'Exists' }] } });
  const spec = (o: KubeObject): Record<string, unknown> => o.spec as Record<string, unknown>;
  const containers = (o: KubeObject): Record<string, unknown>[] => spec(o).containers as Record<string, unknown>[];
  t.same(
    update(pods, pod, (p) => Object.assign(containers(p)[0] ?? {}, { image: 'nginx:1.28' })),
    [],
    'image',
  );
  t.same(
    update(pods, pod, (p) => Object.assign(spec(p), { activeDeadlineSeconds: 50 })),
    [],
    'shorter deadline',
  );
  t.same(
    update(pods, pod, (p) => (spec(p).tolerations as unknown[]).push({ key: 'b', operator: 'Exists', effect: 'NoSchedule' })),
    [],
    'added toleration',
  );
  t.same(lines(update(pods, pod, (p) => Object.assign(spec(p), { activeDeadlineSeconds: 200 }))), [
    'spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value',
  ]);
  t.same(lines(update(pods, pod, (p) => Object.assign(spec(p), { restartPolicy: 'Never' }))), [`spec: Forbidden: ${POD_UPDATE_FORBIDDEN}`]);
  t.same(lines(update(pods, pod, (p) => Object.assign(spec(p), { nodeName: 'node-1' }))), [`spec: Forbidden: ${POD_UPDATE_FORBIDDEN}`], 'binding only');
  t.same(lines(update(pods, pod, (p) => containers(p).push({ name: 'more', image: 'x' }))), [
    'spec.containers: Forbidden: pod updates may not add or remove containers',
  ]);
  t.same(lines(update(pods, pod, (p) => Object.assign(spec(p), { tolerations: [] }))), [
    'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
  ]);
  t.match(POD_UPDATE_FORBIDDEN, /^pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers/);
  t.same(
    update(pods, pod, (p) => Object.assign(p, { status: { phase: 'Running' } })),
    [],
    'the status is not the spec',
  );
});

function podWith(status: Record<string, unknown>, extra: Partial<KubeObject> = {}, containers = 1): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', creationTimestamp: '2026-11-27T05:00:45Z', ...(extra.metadata ?? {}) },
    spec: { containers: Array.from({ length: containers }, (_, i) => ({ name: `c${i}`, image: 'x' })), ...((extra.spec as object) ?? {}) },
    status,
  };
}

const running = (ready: boolean, restartCount = 0): Record<string, unknown> => ({ ready, restartCount, state: { running: {} } });

t.test('pod rows show ready containers, the telling status and restarts', async (t) => {
  const cases: [string, KubeObject, string, string, string][] = [
    ['two containers, one ready', podWith({ phase: 'Running', containerStatuses: [running(true), running(false)] }, {}, 2), '1/2', 'Running', '0'],
    ['pending, no statuses yet', podWith({ phase: 'Pending' }), '0/1', 'Pending', '0'],
    [
      'terminating',
      podWith({ phase: 'Running', containerStatuses: [running(true)] }, { metadata: { deletionTimestamp: '2026-11-27T05:10:00Z' } }),
      '1/1',
      'Terminating',
      '0',
    ],
    [
      'terminating but already succeeded',
      podWith({ phase: 'Succeeded' }, { metadata: { deletionTimestamp: '2026-11-27T05:10:00Z' } }),
      '0/1',
      'Succeeded',
      '0',
    ],
    ['on a lost node', podWith({ phase: 'Running', reason: 'NodeLost' }, { metadata: { deletionTimestamp: '2026-11-27T05:10:00Z' } }), '0/1', 'Unknown', '0'],
    [
      'crash looping, restarted 5 minutes ago',
      podWith({
        phase: 'Running',
        containerStatuses: [
          {
            ready: false,
            restartCount: 4,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, finishedAt: '2026-11-27T05:05:45Z' } },
          },
        ],
      }),
      '0/1',
      'CrashLoopBackOff',
      '4 (5m ago)',
    ],
    [
      'completed',
      podWith({ phase: 'Succeeded', containerStatuses: [{ ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
      '0/1',
      'Completed',
      '0',
    ],
    ['killed by a signal', podWith({ phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 137, signal: 9 } } }] }), '0/1', 'Signal:9', '0'],
    [
      'waiting for its init container',
      podWith(
        { phase: 'Pending', initContainerStatuses: [{ name: 'init', state: { running: {} } }] },
        { spec: { initContainers: [{ name: 'init', image: 'x' }] } },
      ),
      '0/1',
      'Init:0/1',
      '0',
    ],
    [
      'a sidecar init container counts among the containers',
      podWith(
        {
          phase: 'Running',
          conditions: [{ type: 'Initialized', status: 'True' }],
          initContainerStatuses: [{ name: 'side', started: true, ready: true, state: { running: {} } }],
          containerStatuses: [running(true)],
        },
        { spec: { initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always' }] } },
      ),
      '2/2',
      'Running',
      '0',
    ],
    [
      'scheduling gated',
      podWith({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }),
      '0/1',
      'SchedulingGated',
      '0',
    ],
  ];
  for (const [what, pod, ready, status, restarts] of cases) t.same(summarizePod(pod, NOW_MS), { ready, status, restarts }, what);
});

t.test('the wide pod columns print <none> for what is not there yet', async (t) => {
  const fresh = row(pods, podWith({ phase: 'Pending' }));
  t.same([fresh.IP, fresh.Node, fresh['Nominated Node'], fresh['Readiness Gates'], fresh.Age], ['<none>', '<none>', '<none>', '<none>', '10m']);
  const placed = row(
    pods,
    podWith(
      { phase: 'Running', podIP: '10.0.0.9', conditions: [{ type: 'example.com/lb', status: 'True' }] },
      { spec: { nodeName: 'n1', readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'x/y' }] } },
    ),
  );
  t.same([placed.IP, placed.Node, placed['Readiness Gates']], ['10.0.0.9', 'n1', '1/2']);
});

t.test('pods can be selected by the fields kube-apiserver supports', async (t) => {
  const pod = podWith({ phase: 'Running', podIPs: [{ ip: '10.0.0.3' }] }, { spec: { nodeName: 'n1', hostNetwork: true } });
  const fields = Object.fromEntries(Object.entries(pods.fieldSelectors ?? {}).map(([k, get]) => [k, get(pod)]));
  t.same(fields, {
    'spec.nodeName': 'n1',
    'spec.restartPolicy': '',
    'spec.schedulerName': '',
    'spec.serviceAccountName': '',
    'spec.hostNetwork': 'true',
    'status.phase': 'Running',
    'status.podIP': '10.0.0.3',
    'status.nominatedNodeName': '',
  });
});
