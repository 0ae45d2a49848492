import fc from 'fast-check';
import t from 'tap';
import { decodeKubernetesProtobuf, preloadKubernetesProtobuf } from '../../../../apiserver/protobuf/decode.js';
import { encodeObject, envelope, MAGIC, wrap } from './envelope.js';
import { KUBECTL_BODIES } from './kubectl-bodies.js';

/** The body of `kubectl create namespace dev`, as recorded in kubectl-protocol.md §7. */
const NAMESPACE_HEX = '6b387300 0a0f 0a027631 1209 4e616d657370616365 121b 0a13 0a03646576 1200 1a00 2200 2a00 3200 3800 4200 1200 1a02 0a00 1a00 2200';
const namespaceBody = Buffer.from(NAMESPACE_HEX.replaceAll(' ', ''), 'hex');

t.test('the Namespace body recorded from kubectl decodes to the JSON kubectl would have sent', async (t) => {
  t.strictSame(decodeKubernetesProtobuf(namespaceBody), {
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: { name: 'dev', creationTimestamp: null },
    spec: {},
    status: {},
  });
});

t.test('every captured kubectl create body decodes to the JSON kubectl prints for the same command', async (t) => {
  for (const body of KUBECTL_BODIES) {
    t.strictSame(decodeKubernetesProtobuf(Buffer.from(body.base64, 'base64')), body.json, body.command);
  }
});

t.test('a ConfigMap keeps its data, base64-encodes binaryData and keeps an explicit immutable: false', async (t) => {
  const body = envelope('v1', 'ConfigMap', {
    metadata: { name: 'settings', annotations: { owner: 'team-a' } },
    immutable: false,
    data: { 'app.conf': 'x=1\n' },
    binaryData: { 'logo.png': Buffer.from('hello') },
  });
  t.strictSame(decodeKubernetesProtobuf(body), {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name: 'settings', annotations: { owner: 'team-a' } },
    immutable: false,
    data: { 'app.conf': 'x=1\n' },
    binaryData: { 'logo.png': 'aGVsbG8=' },
  });
});

t.test('a Secret with binary data comes out base64-encoded exactly as Go encodes []byte', async (t) => {
  const bytes = Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x80]);
  const body = envelope('v1', 'Secret', {
    metadata: { name: 'tls', namespace: 'prod' },
    data: { 'blob.bin': bytes, empty: Buffer.alloc(0) },
    stringData: { note: 'plain' },
    type: 'Opaque',
  });
  t.strictSame(decodeKubernetesProtobuf(body), {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: 'tls', namespace: 'prod' },
    data: { 'blob.bin': 'AAEC//6A', empty: '' },
    stringData: { note: 'plain' },
    type: 'Opaque',
  });
});

t.test('a Deployment decodes with quantities, int-or-string values, flattened embedded structs and pointer zeros', async (t) => {
  const body = envelope('apps/v1', 'Deployment', {
    metadata: { name: 'web', namespace: 'prod', labels: { app: 'web' }, creationTimestamp: { seconds: 1700000000 }, generation: 0 },
    spec: {
      replicas: 3,
      revisionHistoryLimit: 0,
      minReadySeconds: 0,
      paused: false,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.27',
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP', hostPort: 0 }],
              env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { localObjectReference: { name: 'db' }, key: 'password', optional: false } } }],
              resources: { requests: { cpu: { string: '250m' }, memory: { string: '64Mi' } }, limits: { memory: { string: '128Mi' } } },
              readinessProbe: { handler: { httpGet: { path: '/healthz', port: { type: 1, strVal: 'http' } } }, periodSeconds: 5 },
              stdin: false,
            },
          ],
          automountServiceAccountToken: false,
          hostNetwork: false,
          terminationGracePeriodSeconds: 0,
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: { type: 1, strVal: '25%' }, maxUnavailable: { type: 0, intVal: 1 } } },
    },
  });
  t.strictSame(decodeKubernetesProtobuf(body), {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'web', namespace: 'prod', creationTimestamp: '2023-11-14T22:13:20Z', labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.27',
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
              env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password', optional: false } } }],
              resources: { limits: { memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } },
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
            },
          ],
          terminationGracePeriodSeconds: 0,
          automountServiceAccountToken: false,
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
      revisionHistoryLimit: 0,
    },
  });
});

t.test('a Service keeps string and numeric targetPorts and drops unset plain fields', async (t) => {
  const body = envelope('v1', 'Service', {
    metadata: { name: 'web' },
    spec: {
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: { type: 1, strVal: 'http' }, nodePort: 0 },
        { name: 'metrics', port: 9090, targetPort: { type: 0, intVal: 9091 } },
      ],
      selector: { app: 'web' },
      type: 'ClusterIP',
      publishNotReadyAddresses: false,
      allocateLoadBalancerNodePorts: false,
    },
    status: { loadBalancer: {} },
  });
  t.strictSame(decodeKubernetesProtobuf(body), {
    kind: 'Service',
    apiVersion: 'v1',
    metadata: { name: 'web' },
    spec: {
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' },
        { name: 'metrics', port: 9090, targetPort: 9091 },
      ],
      selector: { app: 'web' },
      type: 'ClusterIP',
      allocateLoadBalancerNodePorts: false,
    },
    status: { loadBalancer: {} },
  });
});

t.test('volume sources and env sources are flattened into their parents like Go inline structs', async (t) => {
  const body = envelope('v1', 'Pod', {
    metadata: { name: 'p' },
    spec: {
      volumes: [
        { name: 'config', volumeSource: { configMap: { localObjectReference: { name: 'cfg' }, defaultMode: 420 } } },
        { name: 'scratch', volumeSource: { emptyDir: { sizeLimit: { string: '1Gi' } } } },
      ],
      containers: [
        {
          name: 'main',
          image: 'busybox',
          envFrom: [{ configMapRef: { localObjectReference: { name: 'cfg' } } }],
          volumeMounts: [{ name: 'config', mountPath: '/etc/cfg', readOnly: true }],
        },
      ],
      restartPolicy: 'Never',
    },
  });
  t.strictSame(decodeKubernetesProtobuf(body), {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name: 'p' },
    spec: {
      volumes: [
        { name: 'config', configMap: { name: 'cfg', defaultMode: 420 } },
        { name: 'scratch', emptyDir: { sizeLimit: '1Gi' } },
      ],
      containers: [
        {
          name: 'main',
          image: 'busybox',
          envFrom: [{ configMapRef: { name: 'cfg' } }],
          volumeMounts: [{ name: 'config', readOnly: true, mountPath: '/etc/cfg' }],
        },
      ],
      restartPolicy: 'Never',
    },
  });
});

t.test('a Lease renders MicroTime with microseconds and keeps pointer fields that are zero', async (t) => {
  const body = envelope('coordination.k8s.io/v1', 'Lease', {
    metadata: { name: 'node-1', namespace: 'kube-node-lease' },
    spec: { holderIdentity: '', leaseDurationSeconds: 40, renewTime: { seconds: 1700000000, nanos: 123456789 }, leaseTransitions: 0 },
  });
  t.strictSame(decodeKubernetesProtobuf(body), {
    kind: 'Lease',
    apiVersion: 'coordination.k8s.io/v1',
    metadata: { name: 'node-1', namespace: 'kube-node-lease' },
    spec: { holderIdentity: '', leaseDurationSeconds: 40, renewTime: '2023-11-14T22:13:20.123456Z', leaseTransitions: 0 },
  });
});

t.test('DeleteOptions decode under meta.k8s.io/v1 and under a group version, keeping gracePeriodSeconds: 0', async (t) => {
  for (const apiVersion of ['meta.k8s.io/v1', 'v1', 'apps/v1']) {
    const body = envelope(apiVersion, 'DeleteOptions', {
      gracePeriodSeconds: 0,
      propagationPolicy: 'Foreground',
      preconditions: { uid: 'u-1' },
      dryRun: ['All'],
    });
    t.strictSame(
      decodeKubernetesProtobuf(body),
      { kind: 'DeleteOptions', apiVersion, gracePeriodSeconds: 0, preconditions: { uid: 'u-1' }, propagationPolicy: 'Foreground', dryRun: ['All'] },
      apiVersion,
    );
  }
});

t.test('managedFields carry fieldsV1 as the JSON object it holds and their time as RFC 3339', async (t) => {
  const body = envelope('v1', 'ConfigMap', {
    metadata: {
      name: 'c',
      managedFields: [
        {
          manager: 'kubectl',
          operation: 'Update',
          apiVersion: 'v1',
          time: { seconds: 1700000000 },
          fieldsType: 'FieldsV1',
          fieldsV1: { Raw: Buffer.from('{"f:data":{"f:a":{}}}') },
        },
      ],
    },
  });
  t.strictSame(decodeKubernetesProtobuf(body).metadata, {
    name: 'c',
    managedFields: [
      {
        manager: 'kubectl',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2023-11-14T22:13:20Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:a': {} } },
      },
    ],
  });
});

t.test('a RawExtension holding JSON is parsed, one holding an envelope is decoded, an empty one is null', async (t) => {
  const json = envelope('apps/v1', 'ControllerRevision', { metadata: { name: 'r1' }, data: { raw: Buffer.from('{"spec":{"x":1}}') }, revision: 2 });
  t.strictSame(decodeKubernetesProtobuf(json), {
    kind: 'ControllerRevision',
    apiVersion: 'apps/v1',
    metadata: { name: 'r1' },
    data: { spec: { x: 1 } },
    revision: 2,
  });
  const inner = envelope('v1', 'ConfigMap', { metadata: { name: 'inner' }, data: { a: 'b' } });
  const nested = envelope('apps/v1', 'ControllerRevision', { metadata: { name: 'r2' }, data: { raw: inner }, revision: 3 });
  t.strictSame(decodeKubernetesProtobuf(nested).data, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'inner' }, data: { a: 'b' } });
  const empty = envelope('apps/v1', 'ControllerRevision', { metadata: { name: 'r3' }, data: {}, revision: 4 });
  t.equal(decodeKubernetesProtobuf(empty).data, null);
});

const namespaceRaw = encodeObject('v1', 'Namespace', { metadata: { name: 'dev' } });

/** Each case: a body that is not a valid envelope, and what the Error must say. */
const badBodies: { name: string; body: () => Buffer; message: RegExp }[] = [
  { name: 'an empty body', body: () => Buffer.alloc(0), message: /does not start with the 4-byte prefix "k8s\\0"/ },
  { name: 'JSON sent with the protobuf content type', body: () => Buffer.from('{"kind":"Namespace"}'), message: /not a Kubernetes protobuf body/ },
  {
    name: 'a prefix with the wrong last byte',
    body: () => Buffer.concat([Buffer.from('k8s\x01', 'latin1'), namespaceBody.subarray(4)]),
    message: /not a Kubernetes protobuf body/,
  },
  { name: 'garbage after the prefix', body: () => Buffer.concat([MAGIC, Buffer.from('garbage here')]), message: /protobuf envelope is malformed or truncated/ },
  {
    name: 'the recorded Namespace body cut short',
    body: () => namespaceBody.subarray(0, namespaceBody.length - 5),
    message: /protobuf envelope is malformed or truncated \(index out of range/,
  },
  { name: 'an envelope that names no apiVersion and kind', body: () => wrap({ raw: namespaceRaw }), message: /does not name the apiVersion and kind/ },
  {
    name: 'a kind the core group does not have',
    body: () => wrap({ typeMeta: { apiVersion: 'v1', kind: 'Widget' }, raw: namespaceRaw }),
    message: /no protobuf schema for kind "Widget" in "v1"/,
  },
  {
    name: 'a group whose schemas are not vendored',
    body: () => wrap({ typeMeta: { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'FlowSchema' }, raw: namespaceRaw }),
    message: /no protobuf schema for kind "FlowSchema"/,
  },
  {
    name: 'a type that is not an API kind',
    body: () => wrap({ typeMeta: { apiVersion: 'v1', kind: 'PodSpec' }, raw: namespaceRaw }),
    message: /no protobuf schema for kind "PodSpec"/,
  },
  {
    name: 'a malformed version',
    body: () => wrap({ typeMeta: { apiVersion: 'apps/1', kind: 'Deployment' }, raw: namespaceRaw }),
    message: /no protobuf schema/,
  },
  {
    name: 'a gzip content encoding',
    body: () => wrap({ typeMeta: { apiVersion: 'v1', kind: 'Namespace' }, raw: namespaceRaw, contentEncoding: 'gzip' }),
    message: /content encoding "gzip"/,
  },
  {
    name: 'a JSON content type inside the envelope',
    body: () => wrap({ typeMeta: { apiVersion: 'v1', kind: 'Namespace' }, raw: namespaceRaw, contentType: 'application/json' }),
    message: /content type "application\/json"/,
  },
  {
    name: 'object bytes that are not a message',
    body: () => wrap({ typeMeta: { apiVersion: 'v1', kind: 'Namespace' }, raw: Buffer.from([0x0a, 0xff, 0xff, 0xff]) }),
    message: /protobuf v1 Namespace is malformed or truncated/,
  },
  {
    name: 'a RawExtension holding neither JSON nor an envelope',
    body: () => envelope('apps/v1', 'ControllerRevision', { metadata: { name: 'r' }, data: { raw: Buffer.from('not json') }, revision: 1 }),
    message: /RawExtension holds 8 bytes that are neither JSON nor a Kubernetes protobuf envelope/,
  },
  {
    name: 'an IntOrString of an unknown type',
    body: () => envelope('v1', 'Service', { metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: { type: 7 } }] } }),
    message: /IntOrString has type 7/,
  },
  {
    name: 'a timestamp after the year 9999',
    body: () => envelope('v1', 'Namespace', { metadata: { name: 'n', creationTimestamp: { seconds: 1e12 } } }),
    message: /outside the years 0000-9999/,
  },
];

t.test('a body that is not a valid envelope throws an Error that says why', async (t) => {
  for (const c of badBodies) {
    t.throws(() => decodeKubernetesProtobuf(c.body()), { name: 'Error', message: c.message }, c.name);
  }
});

const KNOWN_FAILURES =
  /not a Kubernetes protobuf body|malformed or truncated|does not name the apiVersion|no protobuf schema|content encoding|content type|neither JSON nor|IntOrString has type|outside the years|nests protobuf envelopes/;

/** Decoding either yields an object with kind and apiVersion or throws one of the documented Errors. */
function decodesOrExplains(body: Buffer): boolean {
  try {
    const object = decodeKubernetesProtobuf(body);
    return typeof object.kind === 'string' && typeof object.apiVersion === 'string';
  } catch (err) {
    return err instanceof Error && KNOWN_FAILURES.test(err.message);
  }
}

t.test('random bytes after the prefix never escape as anything but a documented Error', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => decodesOrExplains(Buffer.concat([MAGIC, tail]))),
    { seed: 7, numRuns: 500 },
  );
  t.pass('500 random bodies decoded or were refused with a documented Error');
});

t.test('a captured kubectl body with one byte changed decodes or is refused with a documented Error', async (t) => {
  const deployment = Buffer.from(KUBECTL_BODIES.find((b) => b.json && (b.json as { kind?: string }).kind === 'Deployment')?.base64 ?? '', 'base64');
  fc.assert(
    fc.property(fc.nat({ max: deployment.length - 1 }), fc.integer({ min: 0, max: 255 }), (index, byte) => {
      const mutated = Buffer.from(deployment);
      mutated[index] = byte;
      return decodesOrExplains(mutated);
    }),
    { seed: 11, numRuns: 1000 },
  );
  t.pass('1000 mutated bodies decoded or were refused with a documented Error');
});

t.test('the schemas are parsed once and shared by later decodes', async (t) => {
  const first = preloadKubernetesProtobuf();
  t.ok(first > 0, 'the first load took measurable time');
  decodeKubernetesProtobuf(namespaceBody);
  t.equal(preloadKubernetesProtobuf(), first, 'later calls report the same single load');
});
