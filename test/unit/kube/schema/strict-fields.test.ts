import t from 'tap';
import { definitions, kindSchema } from '../../../../apiserver/openapi/definitions.js';
import { typeErrors, unknownFields } from '../../../../kube/schema/strict-fields.js';
import type { Schema, SchemaDefinitions } from '../../../../kube/schema/types.js';

const pod = kindSchema('io.k8s.api.core.v1.Pod') as Schema;
const deployment = kindSchema('io.k8s.api.apps.v1.Deployment') as Schema;

const goodPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web' }, annotations: { 'a/b': 'c' }, ownerReferences: [] },
  spec: {
    containers: [
      {
        name: 'c',
        image: 'busybox',
        ports: [{ containerPort: 80, name: 'http' }],
        env: [{ name: 'A', value: '1' }],
        resources: { limits: { cpu: '500m', memory: 128 }, requests: { cpu: 0.5 } },
        livenessProbe: { httpGet: { port: 'http', path: '/' } },
        readinessProbe: { tcpSocket: { port: 8080 } },
      },
    ],
    volumes: [{ name: 'v', emptyDir: { sizeLimit: '1Gi' } }],
    nodeSelector: { disk: 'ssd' },
  },
  status: { phase: 'Pending', startTime: '2026-11-27T05:10:45Z' },
};

t.test('a well-formed pod has no unknown fields and no type errors', async (t) => {
  t.same(unknownFields(goodPod, pod, definitions), []);
  t.same(typeErrors(goodPod, pod, definitions), []);
});

t.test('unknown fields are reported with the paths kube-apiserver prints', async (t) => {
  const cases: [string, unknown, Schema, string[]][] = [
    ['a field beside spec', { ...goodPod, bogus: 1 }, pod, ['bogus']],
    ['a field in spec', { ...goodPod, spec: { ...goodPod.spec, bogusField: true } }, pod, ['spec.bogusField']],
    ['a field in a list element', { spec: { containers: [{ name: 'a' }, { name: 'b', bogus: 1 }] } }, pod, ['spec.containers[1].bogus']],
    ['a field in metadata', { metadata: { name: 'x', nmae: 'y' } }, pod, ['metadata.nmae']],
    [
      'a field in a probe port object',
      { spec: { containers: [{ name: 'a', livenessProbe: { httpGet: { port: 1, bogus: 2 } } }] } },
      pod,
      ['spec.containers[0].livenessProbe.httpGet.bogus'],
    ],
    [
      'fields in the pod template of a deployment',
      { spec: { template: { spec: { containers: [{ name: 'a', imagee: 'x' }] } }, replica: 3 } },
      deployment,
      ['spec.template.spec.containers[0].imagee', 'spec.replica'],
    ],
  ];
  for (const [name, value, schema, want] of cases) t.same(unknownFields(value, schema, definitions), want, name);
});

t.test('maps and free-form fields accept any key', async (t) => {
  const cases: [string, unknown][] = [
    ['labels', { metadata: { labels: { 'anything/goes': 'x', 'other.key': 'y' } } }],
    ['resource limits', { spec: { containers: [{ name: 'a', resources: { limits: { 'nvidia.com/gpu': 1 } } }] } }],
    [
      'managed fields',
      {
        metadata: { managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {} } } } }] },
      },
    ],
    ['keys named like Object.prototype members are not mistaken for known fields', { spec: {} }],
  ];
  for (const [name, value] of cases) t.same(unknownFields(value, pod, definitions), [], name);
  t.same(unknownFields({ spec: { constructor: 1, toString: 2 } }, pod, definitions), ['spec.constructor', 'spec.toString']);
});

t.test('apiVersion, kind and metadata are known at the top even when the schema leaves them out', async (t) => {
  const bare: Schema = {
    type: 'object',
    properties: { spec: { type: 'object', properties: { x: { type: 'string' } } } },
  };
  t.same(unknownFields({ apiVersion: 'v1', kind: 'X', metadata: { name: 'a' }, spec: { x: 'y', kind: 'z' } }, bare, {}), ['spec.kind']);
});

t.test('values of the wrong JSON type are reported as Go would refuse them', async (t) => {
  const cases: [string, unknown, Schema, { field: string; message: string }[]][] = [
    [
      'a string for the container list',
      { spec: { containers: 'nginx' } },
      pod,
      [
        {
          field: 'spec.containers',
          message: 'cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container',
        },
      ],
    ],
    ['a string for spec', { spec: 'x' }, pod, [{ field: 'spec', message: 'cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec' }]],
    [
      'a number for an image',
      { spec: { containers: [{ name: 'a', image: 5 }] } },
      pod,
      [
        {
          field: 'spec.containers[0].image',
          message: 'cannot unmarshal number into Go struct field Container.spec.containers[0].image of type string',
        },
      ],
    ],
    [
      'a fraction for an int32',
      { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80.5 }] }] } },
      pod,
      [
        {
          field: 'spec.containers[0].ports[0].containerPort',
          message: 'cannot unmarshal number 80.5 into Go struct field ContainerPort.spec.containers[0].ports[0].containerPort of type int32',
        },
      ],
    ],
    [
      'a string for a boolean',
      { spec: { hostNetwork: 'true' } },
      pod,
      [
        {
          field: 'spec.hostNetwork',
          message: 'cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type bool',
        },
      ],
    ],
    [
      'a number as a label value',
      { metadata: { labels: { a: 1 } } },
      pod,
      [
        {
          field: 'metadata.labels.a',
          message: 'cannot unmarshal number into Go struct field ObjectMeta.metadata.labels.a of type string',
        },
      ],
    ],
    [
      'an object for an int-or-string port',
      { spec: { containers: [{ name: 'a', readinessProbe: { tcpSocket: { port: {} } } }] } },
      pod,
      [
        {
          field: 'spec.containers[0].readinessProbe.tcpSocket.port',
          message: 'cannot unmarshal object into Go struct field TCPSocketAction.spec.containers[0].readinessProbe.tcpSocket.port of type intstr.IntOrString',
        },
      ],
    ],
    [
      'an array for a quantity',
      { spec: { containers: [{ name: 'a', resources: { limits: { cpu: [1] } } }] } },
      pod,
      [
        {
          field: 'spec.containers[0].resources.limits.cpu',
          message: 'cannot unmarshal array into Go struct field ResourceRequirements.spec.containers[0].resources.limits.cpu of type resource.Quantity',
        },
      ],
    ],
    ['a list for the whole object', [], pod, [{ field: '', message: 'cannot unmarshal array into Go value of type v1.Pod' }]],
    [
      'a string for replicas',
      { spec: { replicas: '3' } },
      deployment,
      [
        {
          field: 'spec.replicas',
          message: 'cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
        },
      ],
    ],
  ];
  for (const [name, value, schema, want] of cases) t.same(typeErrors(value, schema, definitions), want, name);
});

t.test('null is accepted for any field, and unknown fields are left to unknownFields', async (t) => {
  t.same(typeErrors({ spec: { containers: null, hostNetwork: null }, metadata: null, bogus: [1] }, pod, definitions), []);
});

t.test('free-form subtrees and int-or-string fields take any value they may hold', async (t) => {
  const defs: SchemaDefinitions = {
    Raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    Port: { 'x-kubernetes-int-or-string': true },
  };
  const schema: Schema = {
    type: 'object',
    properties: { raw: { $ref: '#/components/schemas/Raw' }, port: { $ref: '#/components/schemas/Port' }, any: {} },
  };
  for (const value of [{ raw: { a: { b: [1] } }, port: 80 }, { raw: 'text', port: 'http' }, { any: [1, 'x'] }, { port: 1.5 }]) {
    t.same(unknownFields(value, schema, defs), [], JSON.stringify(value));
    t.same(typeErrors(value, schema, defs), [], JSON.stringify(value));
  }
  t.same(typeErrors({ port: true }, schema, defs), [{ field: 'port', message: 'cannot unmarshal bool into Go struct field Object.port of type Port' }]);
});

t.test('hostile input neither throws nor recurses without bound', async (t) => {
  const defs: SchemaDefinitions = {
    Node: { type: 'object', properties: { next: { $ref: '#/components/schemas/Node' } } },
  };
  let deep: Record<string, unknown> = { bogus: 1 };
  for (let i = 0; i < 10_000; i++) deep = { next: deep };
  const root: Schema = { $ref: '#/components/schemas/Node' };
  t.ok(Array.isArray(unknownFields(deep, root, defs)));
  t.ok(Array.isArray(typeErrors(deep, root, defs)));
  const odd: unknown[] = ['x', 1, true, null, [null], { __proto__: 1 }, JSON.parse('{"__proto__": {"a": 1}}')];
  for (const value of odd) {
    t.doesNotThrow(() => unknownFields(value, pod, definitions));
    t.doesNotThrow(() => typeErrors(value, pod, definitions));
  }
  t.same(unknownFields(JSON.parse('{"spec": {"__proto__": {"a": 1}}}'), pod, definitions), ['spec.__proto__']);
});
