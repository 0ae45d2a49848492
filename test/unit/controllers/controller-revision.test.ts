import t from 'tap';
import { canonicalJson, fnv1_32, hashRevision, revisionData, safeEncode, templateOfRevision } from '../../../controllers/controller-revision.js';

t.test('FNV-1 32 matches Go hash/fnv New32 on known vectors', async (t) => {
  t.equal(fnv1_32(''), 0x811c9dc5);
  t.equal(fnv1_32('a'), 0x050c5d7e);
  t.equal(fnv1_32('foobar'), 0x31f0b262);
});

t.test('the hash is stable across key order, changes with the template and with the collision count', async (t) => {
  const a = revisionData({ metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'm', image: 'i:1' }] } });
  const b = revisionData({ spec: { containers: [{ image: 'i:1', name: 'm' }] }, metadata: { labels: { app: 'x' } } });
  t.equal(canonicalJson(a), canonicalJson(b));
  t.equal(hashRevision(a, 0), hashRevision(b, undefined));
  t.not(hashRevision(a, 0), hashRevision(revisionData({ spec: { containers: [{ name: 'm', image: 'i:2' }] } }), 0));
  t.not(hashRevision(a, 0), hashRevision(a, 1));
  t.match(hashRevision(a, 0), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
});

t.test('revision data is the replace patch kubectl rollout undo sends, and gives the template back', async (t) => {
  const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [] } };
  const data = revisionData(template);
  t.same(data, { spec: { template: { ...template, $patch: 'replace' } } });
  t.same(templateOfRevision({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: {}, data, revision: 1 }), template);
  t.equal(safeEncode('09'), '4f', 'SafeEncodeString maps bytes into the vowel-free alphabet');
});
