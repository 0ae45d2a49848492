import fc from 'fast-check';
import t from 'tap';
import type { Json } from '../../../../kube/object.js';
import { applyMergePatch } from '../../../../kube/patch/merge-patch.js';
import { applyStrategicMergePatch } from '../../../../kube/patch/strategic-merge-patch.js';
import { type SchemaDefinitions, schemaRef } from '../../../../kube/schema/types.js';
import { canonical, deepFreeze, hasDirective, jsonObject } from './fixtures/json-helpers.js';
import { podDefinitions, podSchema } from './fixtures/pod-schema.js';

// biome-ignore lint/suspicious/noExplicitAny: test fixtures are edited freely through `edit`.
type Loose = any;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const pod = deepFreeze({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'myapp-pod',
    namespace: 'default',
    labels: { app: 'myapp' },
    annotations: { [LAST_APPLIED]: 'old' },
    finalizers: ['a.example.com/one'],
  },
  spec: {
    containers: [
      {
        name: 'myapp-container',
        image: 'busybox',
        command: ['sh', '-c', 'echo Hello Kubernetes!'],
        env: [
          { name: 'A', value: '0' },
          { name: 'B', value: 'b' },
        ],
        ports: [{ containerPort: 80, protocol: 'TCP' }],
      },
    ],
    tolerations: [{ key: 'k', operator: 'Exists' }],
    nodeSelector: { disk: 'ssd' },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '1' } },
    volumes: [{ name: 'data', emptyDir: {} }],
  },
});

/** A copy of `base` changed by `change`: expected results read as "the pod, but …". */
function edit(base: unknown, change: (o: Loose) => void): Json {
  const copy = structuredClone(base) as Loose;
  change(copy);
  return copy;
}

const sidecar = { name: 'sidecar', image: 'nginx' };
const podWithSidecar = deepFreeze(edit(pod, (p) => p.spec.containers.push(sidecar)));

const smp = (original: Json, patch: unknown) => applyStrategicMergePatch(original, patch, podSchema, podDefinitions);

t.test('the patches kubectl apply sends give the object kubectl expects', async (t) => {
  const cases: [string, Json, unknown, Json][] = [
    [
      'a label added to the file is added, and the annotation updated',
      pod,
      { metadata: { annotations: { [LAST_APPLIED]: 'new' }, labels: { rel: 'canary' } } },
      edit(pod, (p) => {
        p.metadata.labels.rel = 'canary';
        p.metadata.annotations[LAST_APPLIED] = 'new';
      }),
    ],
    [
      'a label removed from the file is deleted',
      pod,
      { metadata: { labels: { app: null } } },
      edit(pod, (p) => {
        p.metadata.labels = {};
      }),
    ],
    [
      'a changed image and env var update that container only, keeping its other fields',
      pod,
      {
        spec: {
          '$setElementOrder/containers': [{ name: 'myapp-container' }],
          containers: [{ env: [{ name: 'A', value: '1' }], image: 'busybox:1.36', name: 'myapp-container' }],
        },
      },
      edit(pod, (p) => {
        p.spec.containers[0].image = 'busybox:1.36';
        p.spec.containers[0].env[0].value = '1';
      }),
    ],
    [
      'a container added with $setElementOrder goes where the order says (last)',
      pod,
      {
        spec: {
          '$setElementOrder/containers': [{ name: 'myapp-container' }, { name: 'sidecar' }],
          containers: [sidecar],
        },
      },
      podWithSidecar,
    ],
    [
      'a container added with $setElementOrder goes where the order says (first)',
      pod,
      {
        spec: {
          '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'myapp-container' }],
          containers: [sidecar],
        },
      },
      edit(pod, (p) => p.spec.containers.unshift(sidecar)),
    ],
    [
      'a container removed from the file is deleted by its merge key',
      podWithSidecar,
      {
        spec: {
          '$setElementOrder/containers': [{ name: 'myapp-container' }],
          containers: [{ $patch: 'delete', name: 'sidecar' }],
        },
      },
      pod,
    ],
  ];
  for (const [name, original, patch, want] of cases) t.same(smp(original, deepFreeze(patch)), want, name);
});

t.test('merge keys, directives and strategies do what Kubernetes does', async (t) => {
  const cases: [string, Json, unknown, Json][] = [
    ['the empty patch changes nothing', pod, {}, pod],
    [
      '$patch: replace in a list replaces the whole list',
      pod,
      { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } },
      edit(pod, (p) => {
        p.spec.containers = [{ name: 'only', image: 'x' }];
      }),
    ],
    [
      '$patch: replace in a map replaces the whole map',
      pod,
      { metadata: { labels: { $patch: 'replace', tier: 'web' } } },
      edit(pod, (p) => {
        p.metadata.labels = { tier: 'web' };
      }),
    ],
    [
      '$patch: delete in a map leaves it empty, as upstream does',
      pod,
      { spec: { nodeSelector: { $patch: 'delete' } } },
      edit(pod, (p) => {
        p.spec.nodeSelector = {};
      }),
    ],
    [
      'ports merge by their numeric containerPort',
      pod,
      {
        spec: {
          containers: [
            {
              name: 'myapp-container',
              ports: [
                { containerPort: 80, name: 'http' },
                { containerPort: 443, protocol: 'TCP' },
              ],
            },
          ],
        },
      },
      edit(pod, (p) => {
        p.spec.containers[0].ports = [
          { containerPort: 80, protocol: 'TCP', name: 'http' },
          { containerPort: 443, protocol: 'TCP' },
        ];
      }),
    ],
    [
      'a merge-strategy list of scalars merges as a set',
      pod,
      { metadata: { finalizers: ['b.example.com/two', 'a.example.com/one'] } },
      edit(pod, (p) => {
        p.metadata.finalizers = ['b.example.com/two', 'a.example.com/one'];
      }),
    ],
    [
      'without $setElementOrder a new scalar goes before the server-only ones (upstream order rule)',
      pod,
      { metadata: { finalizers: ['b.example.com/two'] } },
      edit(pod, (p) => p.metadata.finalizers.unshift('b.example.com/two')),
    ],
    [
      '$deleteFromPrimitiveList removes scalars and $setElementOrder orders the rest',
      edit(pod, (p) => {
        p.metadata.finalizers = ['x', 'y', 'z'];
      }),
      { metadata: { '$setElementOrder/finalizers': ['z', 'x'], '$deleteFromPrimitiveList/finalizers': ['y'] } },
      edit(pod, (p) => {
        p.metadata.finalizers = ['z', 'x'];
      }),
    ],
    [
      'lists without a merge strategy are replaced',
      pod,
      {
        spec: {
          tolerations: [{ key: 'other', operator: 'Exists' }],
          containers: [{ name: 'myapp-container', args: ['a'] }],
        },
      },
      edit(pod, (p) => {
        p.spec.tolerations = [{ key: 'other', operator: 'Exists' }];
        p.spec.containers[0].args = ['a'];
      }),
    ],
    [
      'fields the schema does not know: lists are replaced, maps merge',
      edit(pod, (p) => {
        p.spec.extra = { a: 1 };
      }),
      { spec: { containers: [{ name: 'myapp-container', command: ['true'] }], extra: { b: 2 } } },
      edit(pod, (p) => {
        p.spec.extra = { a: 1, b: 2 };
        p.spec.containers[0].command = ['true'];
      }),
    ],
    [
      '$retainKeys drops the keys of a map it does not list',
      pod,
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      edit(pod, (p) => {
        p.spec.strategy = { type: 'Recreate' };
      }),
    ],
    [
      '$retainKeys inside a list element switches a volume source',
      pod,
      { spec: { volumes: [{ name: 'data', configMap: { name: 'cm' }, $retainKeys: ['configMap', 'name'] }] } },
      edit(pod, (p) => {
        p.spec.volumes = [{ name: 'data', configMap: { name: 'cm' } }];
      }),
    ],
    [
      'null deletes a field',
      pod,
      { spec: { nodeSelector: null, notThere: null } },
      edit(pod, (p) => {
        delete p.spec.nodeSelector;
      }),
    ],
    [
      'a new element keeps none of the directives inside it',
      pod,
      {
        spec: {
          containers: [
            {
              name: 'sidecar',
              image: 'nginx',
              env: [
                { name: 'X', value: '1' },
                { name: 'Y', $patch: 'delete' },
              ],
              ports: [{ containerPort: 8080 }],
              '$setElementOrder/env': [{ name: 'X' }],
            },
          ],
        },
      },
      edit(pod, (p) =>
        p.spec.containers.unshift({
          name: 'sidecar',
          image: 'nginx',
          env: [{ name: 'X', value: '1' }],
          ports: [{ containerPort: 8080 }],
        }),
      ),
    ],
    [
      'a map patched onto a scalar replaces it',
      edit(pod, (p) => {
        p.spec.nodeSelector = 'oops';
      }),
      { spec: { nodeSelector: { disk: 'hdd', x: null } } },
      edit(pod, (p) => {
        p.spec.nodeSelector = { disk: 'hdd' };
      }),
    ],
  ];
  for (const [name, original, patch, want] of cases) {
    const got = smp(deepFreeze(original), deepFreeze(patch));
    t.same(got, want, name);
    t.notOk(hasDirective(got), `${name}: no directive left`);
  }
});

// Upstream's own MergeItem fixture (strategicpatch/patch_test.go), to check the order rules.
const mergeItemDefinitions: SchemaDefinitions = {
  mergeItem: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      value: { type: 'string' },
      other: { type: 'string' },
      mergingList: {
        type: 'array',
        items: schemaRef('mergeItem'),
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge',
      },
      nonMergingList: { type: 'array', items: schemaRef('mergeItem') },
      mergingIntList: { type: 'array', items: { type: 'integer' }, 'x-kubernetes-patch-strategy': 'merge' },
      simpleMap: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
};
const item = (original: Json, patch: unknown) =>
  applyStrategicMergePatch(deepFreeze(original), deepFreeze(patch), schemaRef('mergeItem'), mergeItemDefinitions);

t.test("upstream's order-preservation cases give upstream's results", async (t) => {
  const cases: [string, Json, unknown, Json][] = [
    ['unique scalars when merging lists', { mergingIntList: [1, 2] }, { mergingIntList: [2, 3] }, { mergingIntList: [1, 2, 3] }],
    [
      'preserve the order from the patch in a merging list',
      { mergingList: [{ name: 1 }, { name: 2, value: 'b' }, { name: 3 }] },
      {
        mergingList: [
          { name: 3, value: 'c' },
          { name: 1, value: 'a' },
          { name: 2, other: 'x' },
        ],
      },
      {
        mergingList: [
          { name: 3, value: 'c' },
          { name: 1, value: 'a' },
          { name: 2, value: 'b', other: 'x' },
        ],
      },
    ],
    [
      'server-only elements keep their place before patched ones',
      { mergingList: [{ name: 1 }, { name: 2, value: 'b' }, { name: 3 }] },
      {
        mergingList: [
          { name: 3, value: 'c' },
          { name: 1, value: 'a' },
        ],
      },
      {
        mergingList: [
          { name: 2, value: 'b' },
          { name: 3, value: 'c' },
          { name: 1, value: 'a' },
        ],
      },
    ],
    ['preserve the order from the patch in a merging int list', { mergingIntList: [1, 2, 3] }, { mergingIntList: [3, 1] }, { mergingIntList: [2, 3, 1] }],
    [
      '$setElementOrder names an element that is in neither list',
      { mergingList: [{ name: 1 }, { name: 3 }] },
      {
        '$setElementOrder/mergingList': [{ name: 3 }, { name: 2 }, { name: 1 }],
        mergingList: [
          { name: 3, value: 3 },
          { name: 1, value: 1 },
        ],
      },
      {
        mergingList: [
          { name: 3, value: 3 },
          { name: 1, value: 1 },
        ],
      },
    ],
    ['$setElementOrder alone reorders an int list', { mergingIntList: [1, 3] }, { '$setElementOrder/mergingIntList': [3, 2, 1] }, { mergingIntList: [3, 1] }],
    [
      'merge lists of maps with $setElementOrder, keeping server-only fields',
      {
        mergingList: [
          { name: 1, other: 'a' },
          { name: 2, value: 2, other: 'b' },
        ],
      },
      {
        '$setElementOrder/mergingList': [{ name: 4 }, { name: 1 }, { name: 2 }, { name: 3 }],
        mergingList: [
          { name: 4, value: 4 },
          { name: 3, value: 3 },
        ],
      },
      {
        mergingList: [
          { name: 4, value: 4 },
          { name: 1, other: 'a' },
          { name: 2, value: 2, other: 'b' },
          { name: 3, value: 3 },
        ],
      },
    ],
    [
      'delete items in lists of scalars',
      { mergingIntList: [1, 2, 3, 4] },
      { '$setElementOrder/mergingIntList': [1, 2], '$deleteFromPrimitiveList/mergingIntList': [3] },
      { mergingIntList: [1, 2, 4] },
    ],
    [
      'delete every matching element of a merging list',
      { mergingList: [{ name: 1 }, { name: 1 }, { name: 2, value: 'a' }] },
      { mergingList: [{ name: 1, $patch: 'delete' }] },
      { mergingList: [{ name: 2, value: 'a' }] },
    ],
    ['delete all items from merging list', { mergingList: [{ name: 1 }, { name: 2 }] }, { mergingList: [{ $patch: 'replace' }] }, { mergingList: [] }],
    ['merge empty merging lists', { mergingList: [] }, { mergingList: [] }, { mergingList: [] }],
    ['delete all keys from map', { name: 1, value: 1 }, { $patch: 'replace' }, {}],
    ['add key and delete all keys from map', { name: 1, value: 1 }, { other: 'a', $patch: 'replace' }, { other: 'a' }],
    ['delete map from nested map', { simpleMap: { key1: '1', key2: '1' } }, { simpleMap: { $patch: 'delete' } }, { simpleMap: {} }],
    ['the whole object deleted by $patch: delete', { name: 1 }, { $patch: 'delete' }, {}],
    [
      'nested merging lists merge at every level',
      { mergingList: [{ name: 1, mergingList: [{ name: 'a', value: 'x' }] }] },
      { mergingList: [{ name: 1, mergingList: [{ name: 'b' }] }] },
      { mergingList: [{ name: 1, mergingList: [{ name: 'b' }, { name: 'a', value: 'x' }] }] },
    ],
    [
      'a non-merging list of maps is replaced',
      { nonMergingList: [{ name: 1, value: 'a' }] },
      { nonMergingList: [{ name: 2 }] },
      { nonMergingList: [{ name: 2 }] },
    ],
  ];
  for (const [name, original, patch, want] of cases) t.same(item(original, patch), want, name);
});

t.test('malformed patches are PatchErrors with upstream wording', async (t) => {
  const cases: [string, Json, unknown, number, RegExp][] = [
    ['a patch that is not a map', {}, [1], 400, /must be a map, not a list/],
    ['missing merge key', { mergingList: [{ name: 1, value: 'a' }] }, { mergingList: [{ value: 'b' }] }, 400, /does not contain declared merge key: name/],
    [
      'delete directive without merge key',
      { mergingList: [{ name: 1 }] },
      { mergingList: [{ $patch: 'delete' }] },
      400,
      /does not contain declared merge key: name/,
    ],
    [
      '$setElementOrder disagreeing with the patch list',
      { mergingList: [{ name: 1 }, { name: 3 }, { name: 2 }] },
      {
        '$setElementOrder/mergingList': [{ name: 1 }, { name: 2 }, { name: 3 }],
        mergingList: [
          { name: 3, value: 3 },
          { name: 1, value: 1 },
        ],
      },
      400,
      /doesn't match \$setElementOrder list/,
    ],
    ['an unknown $patch in a map', { simpleMap: {} }, { simpleMap: { $patch: 'merge' } }, 400, /unknown patch type: merge in map/],
    ['$patch: merge in a list', { mergingList: [] }, { mergingList: [{ name: 1, $patch: 'merge' }] }, 400, /merging lists cannot yet be specified/],
    ['an unknown $patch in a list', { mergingList: [] }, { mergingList: [{ name: 1, $patch: 'zap' }] }, 400, /unknown patch type: zap/],
    ['$retainKeys that is not a list', { name: 1 }, { $retainKeys: 'name' }, 400, /invalid patch format of retainKeys/],
    ['$retainKeys that omits a patched key', { name: 1 }, { $retainKeys: ['name'], value: 'x' }, 422, /doesn't match retainKeys list/],
    ['a malformed $deleteFromPrimitiveList', {}, { $deleteFromPrimitiveList: [1] }, 400, /invalid patch format of primitive list/],
    ['a malformed $setElementOrder', {}, { $setElementOrderX: [1] }, 400, /invalid patch format of setElementOrder list/],
    ['a $deleteFromPrimitiveList that is not a list', { mergingIntList: [1] }, { '$deleteFromPrimitiveList/mergingIntList': 1 }, 400, /primitive list/],
    ['lists of lists', { mergingIntList: [1] }, { mergingIntList: [[2]] }, 400, /lists of lists are not supported/],
    ['mixed element types', { mergingIntList: [1] }, { mergingIntList: ['x'] }, 400, /list element types are not identical/],
  ];
  for (const [name, original, patch, status, message] of cases) {
    t.throws(() => item(original, patch), { name: 'PatchError', status, message }, name);
  }
});

t.test('with no schema, maps merge and lists are replaced', async (t) => {
  t.same(applyStrategicMergePatch({ a: { b: 1, c: [1, 2] } }, { a: { c: [3], d: null, e: 'x' } }, undefined, {}), {
    a: { b: 1, c: [3], e: 'x' },
  });
});

t.test('a __proto__ key in a patch is data, not a prototype change', async (t) => {
  const out = applyStrategicMergePatch({}, JSON.parse('{"__proto__":{"polluted":true}}'), undefined, {}) as object;
  t.equal(Object.getPrototypeOf(out), Object.prototype);
  t.equal(({} as Record<string, unknown>).polluted, undefined);
  t.equal(canonical(out), '{"__proto__":{"polluted":true}}');
});

t.test('the empty patch leaves any object unchanged', async (t) => {
  fc.assert(
    fc.property(jsonObject(true), (original) => canonical(applyStrategicMergePatch(deepFreeze(original), {}, undefined, {})) === canonical(original)),
    { seed: 31, numRuns: 500 },
  );
  t.pass();
});

t.test('without a schema or directives, a strategic merge patch is a JSON merge patch', async (t) => {
  fc.assert(
    fc.property(jsonObject(true), jsonObject(true), (original, patch) => {
      deepFreeze(original);
      deepFreeze(patch);
      const strategic = applyStrategicMergePatch(original, patch, undefined, {});
      return canonical(strategic) === canonical(applyMergePatch(original, patch));
    }),
    { seed: 32, numRuns: 1000 },
  );
  t.pass();
});
