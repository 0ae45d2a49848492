import fc from 'fast-check';
import t from 'tap';
import type { Json } from '../../../../kube/object.js';
import { applyMergePatch } from '../../../../kube/patch/merge-patch.js';
import { canonical, deepFreeze, jsonObject } from './fixtures/json-helpers.js';

t.test('the RFC 7386 examples give the RFC results', async (t) => {
  const cases: [Json, Json, Json][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [original, patch, want] of cases) {
    t.same(applyMergePatch(deepFreeze(original), deepFreeze(patch)), want, `${JSON.stringify(original)} + ${JSON.stringify(patch)}`);
  }
});

t.test('kubectl label and annotate patches add, overwrite and remove labels', async (t) => {
  const pod = deepFreeze({ metadata: { name: 'p', labels: { app: 'myapp', test: 'foo' } }, spec: { x: 1 } });
  const cases: [Json, Json][] = [
    [{ metadata: { labels: { rel: '1' } } }, { metadata: { name: 'p', labels: { app: 'myapp', test: 'foo', rel: '1' } }, spec: { x: 1 } }],
    [{ metadata: { labels: { test: 'bar' } } }, { metadata: { name: 'p', labels: { app: 'myapp', test: 'bar' } }, spec: { x: 1 } }],
    [{ metadata: { labels: { test: null } } }, { metadata: { name: 'p', labels: { app: 'myapp' } }, spec: { x: 1 } }],
    [{}, pod],
    [
      { metadata: { annotations: { note: 'hi' } } },
      { metadata: { name: 'p', labels: { app: 'myapp', test: 'foo' }, annotations: { note: 'hi' } }, spec: { x: 1 } },
    ],
  ];
  for (const [patch, want] of cases) t.same(applyMergePatch(pod, patch), want, JSON.stringify(patch));
});

t.test('a __proto__ key in a patch is data, not a prototype change', async (t) => {
  const patch = JSON.parse('{"__proto__":{"polluted":true},"a":1}');
  const out = applyMergePatch({}, patch) as Record<string, unknown>;
  t.equal(Object.getPrototypeOf(out), Object.prototype);
  t.equal(({} as Record<string, unknown>).polluted, undefined);
  t.equal(canonical(out), '{"__proto__":{"polluted":true},"a":1}');
});

t.test('the result shares no structure with the patch', async (t) => {
  const patch = { a: { b: [1, 2] } };
  const out = applyMergePatch({}, patch) as { a: { b: number[] } };
  out.a.b.push(3);
  t.same(patch, { a: { b: [1, 2] } });
});

t.test('merging the empty patch into an object changes nothing', async (t) => {
  fc.assert(
    fc.property(jsonObject(true), (original) => canonical(applyMergePatch(deepFreeze(original), {})) === canonical(original)),
    { seed: 21, numRuns: 500 },
  );
  t.pass();
});

/** A merge patch that turns `from` into `to` (which has no nulls in maps): the test's naive diff. */
function diff(from: Json, to: Json): Json {
  const isObj = (v: Json): v is { [k: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(to) || !isObj(from)) return to;
  const patch: { [k: string]: Json } = {};
  const set = (k: string, v: Json) => Object.defineProperty(patch, k, { value: v, enumerable: true, writable: true, configurable: true });
  for (const k of Object.keys(from)) if (!Object.hasOwn(to, k)) set(k, null);
  for (const [k, v] of Object.entries(to)) {
    const before = Object.hasOwn(from, k) ? from[k] : undefined;
    if (before !== undefined && canonical(before) === canonical(v)) continue;
    set(k, before !== undefined && isObj(before) && isObj(v) ? diff(before, v) : v);
  }
  return patch;
}

t.test('applying the diff of two documents to the first gives the second', async (t) => {
  fc.assert(
    fc.property(jsonObject(true), jsonObject(false), (from, to) => {
      deepFreeze(from);
      return canonical(applyMergePatch(from, diff(from, to))) === canonical(to);
    }),
    { seed: 22, numRuns: 1000 },
  );
  t.pass();
});
