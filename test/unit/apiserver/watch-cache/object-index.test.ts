import fc from 'fast-check';
import t from 'tap';
import { ObjectIndex } from '../../../../apiserver/watch-cache/object-index.js';
import { namespaceOfKey } from '../../../../apiserver/watch-cache/window-event.js';
import type { KubeObject } from '../../../../kube/object.js';

const obj = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name } });

t.test('the index lists like a naive sorted map, by any prefix, through any sequence of sets and deletes', async (t) => {
  const keyArb = fc.tuple(fc.constantFrom('a', 'ab', 'b', 'z'), fc.constantFrom('x', 'y', 'x-1', 'é', '\u{1F600}')).map(([ns, n]) => `/r/${ns}/${n}`);
  const opArb = fc.tuple(fc.boolean(), keyArb);
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), fc.constantFrom('/r/', '/r/a/', '/r/ab/', '/r/q/'), (ops, prefix) => {
      const index = new ObjectIndex();
      const naive = new Map<string, KubeObject>();
      for (const [put, key] of ops) {
        if (put) {
          const o = obj(key);
          t.equal(index.set(key, o), naive.get(key));
          naive.set(key, o);
        } else {
          t.equal(index.delete(key), naive.get(key));
          naive.delete(key);
        }
      }
      const want = [...naive.keys()]
        .filter((k) => k.startsWith(prefix))
        .sort()
        .map((k) => naive.get(k));
      const got = index.list(prefix);
      return index.size === naive.size && got.length === want.length && got.every((o, i) => o === want[i]);
    }),
  );
});

t.test('replace takes a sorted listing and refuses one out of order', async (t) => {
  const index = new ObjectIndex();
  index.set('/r/old', obj('old'));
  index.replace([
    ['/r/a', obj('a')],
    ['/r/b', obj('b')],
  ]);
  t.same(
    index.list('/r/').map((o) => o.metadata.name),
    ['a', 'b'],
  );
  t.equal(index.get('/r/old'), undefined);
  t.throws(
    () =>
      index.replace([
        ['/r/b', obj('b')],
        ['/r/a', obj('a')],
      ]),
    /out of order/,
  );
});

t.test('the namespace of a key is its segment after the prefix, empty for cluster-scoped keys', async (t) => {
  const cases: [string, string][] = [
    ['/registry/pods/default/web-1', 'default'],
    ['/registry/pods/kube-system/x', 'kube-system'],
    ['/registry/pods/n1', ''],
  ];
  for (const [key, ns] of cases) t.equal(namespaceOfKey('/registry/pods/', key), ns, key);
});
