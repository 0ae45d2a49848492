import t from 'tap';
import { Indexer } from '../../../../kube/cache/indexer.js';
import { defaultIndexers, IndexNames } from '../../../../kube/cache/lister.js';
import type { KubeObject } from '../../../../kube/object.js';

const pod = (name: string, node: string, ns = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { nodeName: node },
});

t.test('indexes follow upserts, moves between values and removals', async (t) => {
  const idx = new Indexer();
  idx.upsert(pod('a', 'n1'));
  idx.upsert(pod('b', 'n1'));
  idx.upsert(pod('a', 'n2'));
  t.same(
    idx.byIndex(IndexNames.nodeName, 'n1').map((o) => o.metadata.name),
    ['b'],
  );
  t.same(
    idx.byIndex(IndexNames.nodeName, 'n2').map((o) => o.metadata.name),
    ['a'],
  );
  idx.remove('default/b');
  t.same(idx.byIndex(IndexNames.nodeName, 'n1'), []);
  t.equal(idx.size, 1);
});

t.test('addIndexers indexes what is cached already and keeps indexing later changes', async (t) => {
  const idx = new Indexer();
  idx.upsert(pod('a', 'n1'));
  const byName = (o: KubeObject) => [o.metadata.name ?? ''];
  idx.addIndexers({ name: byName });
  idx.upsert(pod('b', 'n1'));
  t.same(
    idx.byIndex('name', 'a').map((o) => o.metadata.namespace),
    ['default'],
  );
  t.equal(idx.byIndex('name', 'b').length, 1);
  idx.addIndexers({ name: byName });
  t.pass('the same function again is a no-op');
  t.throws(() => idx.addIndexers({ name: () => [] }), /already exists/);
  t.same(Object.keys(defaultIndexers).sort(), ['controllerUid', 'namespace', 'nodeName'], 'the shared defaults are untouched');
});
