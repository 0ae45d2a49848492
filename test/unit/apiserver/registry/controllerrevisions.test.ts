import t from 'tap';
import { startApiserver } from '../../../helpers/apiserver-harness.js';

const PATH = '/apis/apps/v1/namespaces/default/controllerrevisions';
const revision = {
  apiVersion: 'apps/v1',
  kind: 'ControllerRevision',
  metadata: { name: 'web-5d8f7c' },
  data: { spec: { template: { spec: { containers: [{ name: 'c', image: 'a' }] } } } },
  revision: 1,
};

t.test('controllerrevisions are served: created, listed, renumbered, but their data never changes', async (t) => {
  const h = await startApiserver(t);
  const created = await h.request('POST', PATH, revision);
  t.equal(created.status, 201, created.text);
  const listed = await h.request('GET', PATH);
  t.strictSame(
    listed.json.items.map((r: { metadata: { name: string } }) => r.metadata.name),
    ['web-5d8f7c'],
  );
  const renumbered = await h.request('PATCH', `${PATH}/web-5d8f7c`, { revision: 3 }, { 'content-type': 'application/merge-patch+json' });
  t.equal(renumbered.status, 200, renumbered.text);
  t.equal(renumbered.json.revision, 3);
  const changed = await h.request('PATCH', `${PATH}/web-5d8f7c`, { data: { other: 1 } }, { 'content-type': 'application/merge-patch+json' });
  t.equal(changed.status, 422);
  t.match(changed.json.message, /data: Forbidden: field is immutable/);
  const negative = await h.request('POST', PATH, { ...revision, metadata: { name: 'bad' }, revision: -1 });
  t.equal(negative.status, 422);
  t.match(negative.json.message, /revision: Invalid value: -1: must be greater than or equal to 0/);
});

t.test('discovery lists controllerrevisions under apps/v1', async (t) => {
  const h = await startApiserver(t);
  const r = await h.request('GET', '/apis/apps/v1');
  t.ok(r.json.resources.some((x: { name: string }) => x.name === 'controllerrevisions'));
});
