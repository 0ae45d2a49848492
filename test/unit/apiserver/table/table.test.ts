import t from 'tap';
import { pods } from '../../../../apiserver/registry/kinds/pods.js';
import type { ResourceDef } from '../../../../apiserver/registry/types.js';
import { toTable } from '../../../../apiserver/table/table.js';
import type { KubeObject } from '../../../../kube/object.js';
import { NOW, NOW_MS } from '../registry/lifecycle.js';

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'myapp-pod',
    namespace: 'default',
    uid: 'u1',
    resourceVersion: '1006',
    creationTimestamp: '2026-11-27T05:10:40Z',
    labels: { app: 'myapp' },
  },
  spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] },
  status: {
    phase: 'Running',
    podIPs: [{ ip: '10.244.0.6' }],
    containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: { startedAt: NOW } } }],
  },
};

const widget: ResourceDef = {
  group: 'example.com',
  version: 'v1',
  kind: 'Widget',
  plural: 'widgets',
  singular: 'widget',
  namespaced: true,
  shortNames: [],
  categories: [],
  schemaName: 'com.example.v1.Widget',
  subresources: [],
  nameRule: 'subdomain',
};

t.test('a pod list becomes the Table kubectl prints, rows carrying PartialObjectMetadata by default', async (t) => {
  const table = toTable(pods, [pod], { nowMs: NOW_MS, includeObject: 'Metadata', resourceVersion: '1008' });
  t.equal(table.kind, 'Table');
  t.equal(table.apiVersion, 'meta.k8s.io/v1');
  t.same(table.metadata, { resourceVersion: '1008' });
  t.same(
    table.columnDefinitions.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Ready', 'string', '', 0],
      ['Status', 'string', '', 0],
      ['Restarts', 'string', '', 0],
      ['Age', 'string', '', 0],
      ['IP', 'string', '', 1],
      ['Node', 'string', '', 1],
      ['Nominated Node', 'string', '', 1],
      ['Readiness Gates', 'string', '', 1],
    ],
  );
  t.ok(
    table.columnDefinitions.every((c) => c.description.length > 0),
    'every column is described',
  );
  t.same(table.rows[0]?.cells, ['myapp-pod', '1/1', 'Running', '0', '5s', '10.244.0.6', 'node-1', '<none>', '<none>']);
  t.same(table.rows[0]?.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata });
});

t.test('includeObject=Object embeds the whole object and None embeds nothing', async (t) => {
  const full = toTable(pods, [pod], { nowMs: NOW_MS, includeObject: 'Object', resourceVersion: '1' });
  t.equal(full.rows[0]?.object, pod);
  const none = toTable(pods, [pod], { nowMs: NOW_MS, includeObject: 'None', resourceVersion: '1' });
  t.notOk(none.rows[0] && 'object' in none.rows[0]);
  t.equal(none.rows[0]?.cells.length, 9);
});

t.test('a page of a list carries its continue token and remaining count', async (t) => {
  const table = toTable(pods, [pod], { nowMs: NOW_MS, includeObject: 'Metadata', resourceVersion: '7', continueToken: 'abc', remainingItemCount: 3 });
  t.same(table.metadata, { resourceVersion: '7', continue: 'abc', remainingItemCount: 3 });
  const last = toTable(pods, [], { nowMs: NOW_MS, includeObject: 'Metadata', resourceVersion: '7', continueToken: '' });
  t.same(last.metadata, { resourceVersion: '7' });
  t.same(last.rows, []);
});

t.test('a kind without columns gets Name and the raw creation time, as kube-apiserver answers', async (t) => {
  const w: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', creationTimestamp: NOW } };
  const table = toTable(widget, [w, { ...w, metadata: { name: 'w2' } }], { nowMs: NOW_MS, includeObject: 'Metadata', resourceVersion: '5' });
  t.same(
    table.columnDefinitions.map((c) => [c.name, c.type, c.format]),
    [
      ['Name', 'string', 'name'],
      ['Created At', 'date', ''],
    ],
  );
  t.same(
    table.rows.map((r) => r.cells),
    [
      ['w1', NOW],
      ['w2', '0001-01-01T00:00:00Z'],
    ],
  );
});

t.test('a cell that cannot be computed prints <unknown> instead of failing the list', async (t) => {
  const broken: ResourceDef = {
    ...widget,
    columns: [
      { name: 'Name', type: 'string', format: 'name', description: 'n', priority: 0, cell: (o) => o.metadata.name ?? '' },
      {
        name: 'Bad',
        type: 'string',
        description: 'b',
        priority: 0,
        cell: () => {
          throw new TypeError('boom');
        },
      },
    ],
  };
  const table = toTable(broken, [{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'x' } }], {
    nowMs: NOW_MS,
    includeObject: 'None',
    resourceVersion: '1',
  });
  t.same(table.rows[0]?.cells, ['x', '<unknown>']);
});
