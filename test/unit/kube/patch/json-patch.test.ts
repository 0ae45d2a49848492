import t from 'tap';
import type { Json } from '../../../../kube/object.js';
import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from '../../../../kube/patch/json-patch.js';
import { PatchError } from '../../../../kube/patch/patch-error.js';
import { deepFreeze } from './fixtures/json-helpers.js';

const pod = deepFreeze({
  metadata: { name: 'p', labels: { app: 'web', p: 'x' } },
  spec: { containers: [{ name: 'a', image: 'busybox' }] },
});

t.test('each RFC 6902 operation does what the RFC says', async (t) => {
  const cases: [string, unknown[], Json][] = [
    [
      'kubectl patch --type=json removes a label',
      [{ op: 'remove', path: '/metadata/labels/p' }],
      { metadata: { name: 'p', labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'busybox' }] } },
    ],
    [
      'add creates a key',
      [{ op: 'add', path: '/metadata/labels/tier', value: 'fe' }],
      {
        metadata: { name: 'p', labels: { app: 'web', p: 'x', tier: 'fe' } },
        spec: { containers: [{ name: 'a', image: 'busybox' }] },
      },
    ],
    [
      'add with - appends to a list',
      [{ op: 'add', path: '/spec/containers/-', value: { name: 'b' } }],
      {
        metadata: { name: 'p', labels: { app: 'web', p: 'x' } },
        spec: { containers: [{ name: 'a', image: 'busybox' }, { name: 'b' }] },
      },
    ],
    [
      'replace swaps a value, test guards it',
      [
        { op: 'test', path: '/spec/containers/0/image', value: 'busybox' },
        { op: 'replace', path: '/spec/containers/0/image', value: 'busybox:1.36' },
      ],
      {
        metadata: { name: 'p', labels: { app: 'web', p: 'x' } },
        spec: { containers: [{ name: 'a', image: 'busybox:1.36' }] },
      },
    ],
    [
      'move and copy take from another path',
      [
        { op: 'move', from: '/metadata/labels/p', path: '/metadata/labels/q' },
        { op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' },
      ],
      {
        metadata: { name: 'p', labels: { app: 'web', q: 'x', name: 'p' } },
        spec: { containers: [{ name: 'a', image: 'busybox' }] },
      },
    ],
    ['an empty patch changes nothing', [], pod],
    ['replace at the root replaces the document', [{ op: 'replace', path: '', value: { a: 1 } }], { a: 1 }],
  ];
  for (const [name, patch, want] of cases) t.same(applyJsonPatch(pod, deepFreeze(patch)), want, name);
});

t.test('a patch that does not apply is a 422 PatchError and changes nothing', async (t) => {
  const cases: [string, unknown[], RegExp][] = [
    ['failed test', [{ op: 'test', path: '/metadata/name', value: 'q' }], /operation 0 \(test \/metadata\/name\): test failed/],
    ['remove a missing key', [{ op: 'remove', path: '/metadata/labels/nope' }], /the path does not exist/],
    ['replace a missing key', [{ op: 'replace', path: '/spec/nope', value: 1 }], /the path does not exist/],
    ['add under a missing parent', [{ op: 'add', path: '/status/phase', value: 'Running' }], /the parent of the path does not exist/],
    ['index out of range', [{ op: 'add', path: '/spec/containers/5', value: {} }], /out of range/],
    ['move from a missing path', [{ op: 'move', from: '/nope', path: '/x' }], /the "from" path does not exist/],
    [
      'second operation fails after the first applied',
      [
        { op: 'add', path: '/metadata/labels/z', value: '1' },
        { op: 'test', path: '/metadata/labels/app', value: 'db' },
      ],
      /^operation 1/,
    ],
  ];
  for (const [name, patch, message] of cases) {
    t.throws(() => applyJsonPatch(pod, patch), { name: 'PatchError', status: 422, message }, name);
  }
  t.same(pod.metadata.labels, { app: 'web', p: 'x' });
});

t.test('a patch that is not a list of well-formed operations is a 400 PatchError', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ['not a list', { op: 'add' }, /must be a list of operations/],
    ['unknown op', [{ op: 'frobnicate', path: '/a' }], /"op" must be one of/],
    ['missing path', [{ op: 'add', value: 1 }], /"path" must be a JSON pointer/],
    ['path without leading slash', [{ op: 'add', path: 'a', value: 1 }], /"path" must be a JSON pointer/],
    ['add without value', [{ op: 'add', path: '/a' }], /"value" is required/],
    ['move without from', [{ op: 'move', path: '/a' }], /"from" is required/],
    ['an operation that is not an object', ['remove'], /must be an object/],
  ];
  for (const [name, patch, message] of cases) {
    t.throws(() => applyJsonPatch(pod, patch), { name: 'PatchError', status: 400, message }, name);
  }
});

t.test('a path through __proto__ is refused', async (t) => {
  t.throws(() => applyJsonPatch({}, [{ op: 'add', path: '/__proto__/polluted', value: true }]), PatchError);
  t.equal(({} as Record<string, unknown>).polluted, undefined);
});

t.test('more than 10000 operations is refused with 413, as kube-apiserver does', async (t) => {
  const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '', value: {} }));
  t.throws(() => applyJsonPatch({}, ops), {
    status: 413,
    message: 'The allowed maximum operations in a JSON patch is 10000, got 10001',
  });
});

t.test('the result does not alias values from the patch', async (t) => {
  const value = { nested: ['x'] };
  const out = applyJsonPatch({}, [{ op: 'add', path: '/v', value }]) as { v: { nested: string[] } };
  out.v.nested.push('y');
  t.same(value, { nested: ['x'] });
});
