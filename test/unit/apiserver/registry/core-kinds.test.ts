import t from 'tap';
import { configMaps, secrets, serviceAccounts } from '../../../../apiserver/registry/kinds/config.js';
import { endpointSlices, endpoints } from '../../../../apiserver/registry/kinds/endpoints.js';
import { events } from '../../../../apiserver/registry/kinds/events.js';
import { leases } from '../../../../apiserver/registry/kinds/leases.js';
import { namespaces } from '../../../../apiserver/registry/kinds/namespaces.js';
import { nodes } from '../../../../apiserver/registry/kinds/nodes.js';
import { services } from '../../../../apiserver/registry/kinds/services.js';
import type { KubeObject } from '../../../../kube/object.js';
import { create, lines, NOW, row, update, valid } from './lifecycle.js';

t.test('a new namespace is Active, finalized by kubernetes and labelled with its name', async (t) => {
  const ns = valid(namespaces, { metadata: { name: 'dev', labels: { team: 'a' } }, status: { phase: 'Terminating' } });
  t.same(ns.spec, { finalizers: ['kubernetes'] });
  t.same(ns.status, { phase: 'Active' });
  t.same(ns.metadata.labels, { team: 'a', 'kubernetes.io/metadata.name': 'dev' });
  t.same(row(namespaces, ns), { Name: 'dev', Status: 'Active', Age: '0s' });
  t.equal(namespaces.fieldSelectors?.['status.phase']?.(ns), 'Active');
  t.same(lines(create(namespaces, { metadata: { name: 'x' }, spec: { finalizers: ['custom'] } }).causes), [
    'spec.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
  ]);
  t.same(create(namespaces, { metadata: { name: 'x' }, spec: { finalizers: ['example.com/cleanup'] } }).causes, []);
});

t.test('node rows show readiness, roles and the wide system info', async (t) => {
  const node = valid(nodes, {
    metadata: { name: 'node-1', labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '' } },
    spec: { unschedulable: true },
  });
  // A node agent reports the status through /status; defaulting runs on what it wrote.
  node.status = {
    capacity: { cpu: '4', memory: '8Gi' },
    conditions: [{ type: 'Ready', status: 'True' }],
    addresses: [{ type: 'InternalIP', address: '10.0.0.11' }],
    nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'picokube' },
  };
  nodes.defaults?.(node);
  t.same((node.status as { allocatable: unknown }).allocatable, { cpu: '4', memory: '8Gi' }, 'allocatable defaults to capacity');
  t.same(row(nodes, node), {
    Name: 'node-1',
    Status: 'Ready,SchedulingDisabled',
    Roles: 'control-plane,worker',
    Age: '0s',
    Version: 'v1.32.0',
    'Internal-IP': '10.0.0.11',
    'External-IP': '<none>',
    'OS-Image': 'picokube',
    'Kernel-Version': '<unknown>',
    'Container-Runtime': '<unknown>',
  });
  const notReady = { ...node, spec: {}, metadata: { name: 'n2' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } };
  t.match(row(nodes, notReady), { Status: 'NotReady', Roles: '<none>' });
  t.match(row(nodes, { ...notReady, status: {} }), { Status: 'Unknown' });
  t.equal(nodes.fieldSelectors?.['spec.unschedulable']?.(node), 'true');
  t.same(lines(create(nodes, { metadata: { name: 'n' }, spec: { taints: [{ key: 'a', effect: 'Sometimes' }] } }).causes), [
    'spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
  ]);
});

t.test('a service gets its defaults and prints its ports and selector', async (t) => {
  const svc = valid(services, {
    metadata: { name: 'web' },
    spec: {
      selector: { app: 'web' },
      clusterIP: '10.96.0.10',
      ports: [
        { name: 'http', port: 80 },
        { name: 'https', port: 443, targetPort: 'https' },
      ],
    },
  });
  t.match(svc.spec, {
    type: 'ClusterIP',
    sessionAffinity: 'None',
    internalTrafficPolicy: 'Cluster',
    clusterIPs: ['10.96.0.10'],
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 80 },
      { port: 443, protocol: 'TCP', targetPort: 'https' },
    ],
  });
  t.same(svc.status, { loadBalancer: {} });
  t.same(lines(create(services, { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }, { port: 443 }] } }).causes), [
    'spec.ports[0].name: Required value',
    'spec.ports[1].name: Required value',
  ]);
  t.same(row(services, svc), {
    Name: 'web',
    Type: 'ClusterIP',
    'Cluster-IP': '10.96.0.10',
    'External-IP': '<none>',
    'Port(s)': '80/TCP,443/TCP',
    Age: '0s',
    Selector: 'app=web',
  });
  const lb = valid(services, { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 80, nodePort: 30080 }] } });
  t.match(lb.spec, { externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true });
  t.match(row(services, lb), { 'Cluster-IP': '<none>', 'External-IP': '<pending>', 'Port(s)': '80:30080/TCP', Selector: '<none>' });
  t.same(lines(update(services, svc, (o) => Object.assign(o.spec as object, { clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'] }))), [
    'spec.clusterIPs[0]: Invalid value: "10.96.0.11": may not change once set',
  ]);
});

t.test('invalid services are rejected with upstream messages', async (t) => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['no ports', { metadata: { name: 's' }, spec: {} }, ['spec.ports: Required value']],
    ['a headless service needs none', { metadata: { name: 's' }, spec: { clusterIP: 'None' } }, []],
    [
      'a name starting with a digit',
      { metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } },
      [
        "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    [
      'a bad port, type and affinity',
      { metadata: { name: 's' }, spec: { type: 'Magic', sessionAffinity: 'Sticky', ports: [{ port: 0 }] } },
      [
        'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
        'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
        'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
        'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"',
      ],
    ],
    [
      'a node port on a ClusterIP service',
      { metadata: { name: 's' }, spec: { ports: [{ port: 80, nodePort: 30000 }] } },
      ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    ],
    ['an external name without a name', { metadata: { name: 's' }, spec: { type: 'ExternalName' } }, ['spec.externalName: Required value']],
  ];
  for (const [what, body, want] of cases) t.same(lines(create(services, body).causes), want, what);
});

t.test('endpoints and endpoint slices print at most three addresses', async (t) => {
  const ep = valid(endpoints, {
    metadata: { name: 'web' },
    subsets: [{ addresses: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((ip) => ({ ip })), ports: [{ port: 80 }] }],
  });
  t.equal(row(endpoints, ep).Endpoints, '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...');
  t.equal(row(endpoints, { ...ep, subsets: [] }).Endpoints, '<none>');
  t.same(lines(create(endpoints, { metadata: { name: 'web' }, subsets: [{ addresses: [{ ip: 'ten' }] }] }).causes), [
    'subsets[0].addresses[0].ip: Invalid value: "ten": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  ]);
  const slice = valid(endpointSlices, { metadata: { name: 'web-abc' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 80 }] });
  t.same((slice.ports as unknown[])[0], { port: 80, name: '', protocol: 'TCP' });
  t.equal(slice.metadata.generation, 1, 'endpoint slices keep a generation');
  t.match(row(endpointSlices, slice), { AddressType: 'IPv4', Ports: '80', Endpoints: '10.0.0.1' });
  t.match(row(endpointSlices, { ...slice, ports: [], endpoints: [] }), { Ports: '<unset>', Endpoints: '<unset>' });
  t.same(lines(update(endpointSlices, slice, (o) => Object.assign(o, { addressType: 'IPv6' }))), [
    'endpoints[0].addresses[0]: Invalid value: "10.0.0.1": must be a valid IPv6 address',
    'addressType: Invalid value: "IPv6": field is immutable',
  ]);
  t.same(lines(create(endpointSlices, { metadata: { name: 's' }, addressType: 'IPv4', endpoints: [{ addresses: ['fe80::1'] }] }).causes), [
    'endpoints[0].addresses[0]: Invalid value: "fe80::1": must be a valid IPv4 address',
  ]);
});

t.test('event rows read like kubectl get events', async (t) => {
  const ev = valid(events, {
    metadata: { name: 'web.17a', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1', fieldPath: 'spec.containers{web}' },
    reason: 'Scheduled',
    message: 'Successfully assigned default/web to node-1\n',
    source: { component: 'default-scheduler' },
    firstTimestamp: '2026-11-27T05:00:45Z',
    lastTimestamp: '2026-11-27T05:08:45Z',
    count: 3,
    type: 'Normal',
  });
  t.same(row(events, ev), {
    'Last Seen': '2m',
    Type: 'Normal',
    Reason: 'Scheduled',
    Object: 'pod/web',
    Subobject: 'spec.containers{web}',
    Source: 'default-scheduler',
    Message: 'Successfully assigned default/web to node-1',
    'First Seen': '10m',
    Count: 3,
    Name: 'web.17a',
  });
  const fresh = {
    ...ev,
    firstTimestamp: undefined,
    lastTimestamp: undefined,
    count: undefined,
    eventTime: NOW,
    source: undefined,
    reportingComponent: 'kubelet',
    reportingInstance: 'node-1',
  };
  t.match(row(events, fresh as unknown as KubeObject), { 'Last Seen': '0s', 'First Seen': '0s', Count: 1, Source: 'kubelet, node-1' });
  t.equal(events.fieldSelectors?.['involvedObject.uid']?.(ev), 'u1');
  t.equal(events.nameRule, 'path');
  t.same(lines(create(events, { metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'x', namespace: 'other' } }).causes), [
    'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
  ]);
});

t.test('configmap and secret keys must be file names; secrets hold base64', async (t) => {
  const cm = valid(configMaps, { metadata: { name: 'cfg' }, data: { 'app.conf': 'x', B: 'y' }, binaryData: { blob: 'AAE=' } });
  t.same(row(configMaps, cm), { Name: 'cfg', Data: 3, Age: '0s' });
  t.same(lines(create(configMaps, { metadata: { name: 'cfg' }, data: { 'bad key': 'x', '..': 'y' } }).causes), [
    "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    'data[..]: Invalid value: "..": must not be \'..\'',
  ]);
  const frozen = valid(configMaps, { metadata: { name: 'cfg' }, immutable: true, data: { a: '1' } });
  t.same(lines(update(configMaps, frozen, (o) => Object.assign(o, { data: { a: '2' } }))), ['data: Forbidden: field is immutable when `immutable` is set']);

  const secret = valid(secrets, { metadata: { name: 's' }, data: { a: 'eA==' }, stringData: { b: 'hello' } });
  t.same([secret.type, secret.data, secret.stringData], ['Opaque', { a: 'eA==', b: 'aGVsbG8=' }, undefined], 'stringData is folded into data');
  t.same(row(secrets, secret), { Name: 's', Type: 'Opaque', Data: 2, Age: '0s' });
  t.same(lines(create(secrets, { metadata: { name: 's' }, data: { a: 'not base64!' } }).causes), [
    'data[a]: Invalid value: <secret contents redacted>: must be base64-encoded',
  ]);
  t.same(lines(create(secrets, { metadata: { name: 's' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } }).causes), ['data[tls.key]: Required value']);
  t.same(lines(update(secrets, secret, (o) => Object.assign(o, { type: 'kubernetes.io/tls' }))).slice(-1), [
    'type: Invalid value: "kubernetes.io/tls": field is immutable',
  ]);
  t.equal(secrets.fieldSelectors?.type?.(secret), 'Opaque');

  const sa = valid(serviceAccounts, { metadata: { name: 'default' }, secrets: [{ name: 'tok' }] });
  t.same(row(serviceAccounts, sa), { Name: 'default', Secrets: 1, Age: '0s' });
});

t.test('leases print their holder and refuse a non-positive duration', async (t) => {
  const lease = valid(leases, {
    metadata: { name: 'kube-scheduler', namespace: 'kube-system' },
    spec: { holderIdentity: 'sched-1', leaseDurationSeconds: 15 },
  });
  t.same(row(leases, lease), { Name: 'kube-scheduler', Holder: 'sched-1', Age: '0s' });
  t.equal(lease.metadata.generation, undefined);
  t.same(lines(create(leases, { metadata: { name: 'l' }, spec: { leaseDurationSeconds: 0 } }).causes), [
    'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
  ]);
});
