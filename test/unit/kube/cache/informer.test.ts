import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import type { InformerSource } from '../../../../controllers/controller.js';
import { ListWatchInformer } from '../../../../kube/cache/informer.js';
import { InformerFactory } from '../../../../kube/cache/informer-factory.js';
import { IndexNames } from '../../../../kube/cache/lister.js';
import type { WatchEvent, WatchHandle, WatchOptions } from '../../../../kube/client/api-client.js';
import { type ResourceRef, Resources } from '../../../../kube/client/resource.js';
import { RestClient } from '../../../../kube/client/rest-client.js';
import { FakeClock } from '../../../../kube/clock.js';
import type { KubeObject } from '../../../../kube/object.js';
import { type Harness, startApiserver } from '../../../helpers/apiserver-harness.js';
import { pollUntil } from '../../../helpers/store-cluster.js';

const CMS = '/api/v1/namespaces/default/configmaps';

async function cluster(t: Test, options: Parameters<typeof startApiserver>[1] = {}): Promise<{ h: Harness; client: CountingClient }> {
  const h = await startApiserver(t, options);
  await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  const client = new CountingClient({ server: `http://127.0.0.1:${(h.api.app.server.address() as AddressInfo).port}` });
  t.teardown(() => client.close());
  return { h, client };
}

/** The RestClient, counting the watches it opens and how they ended. */
class CountingClient extends RestClient {
  watches = 0;
  failedWatches = 0;
  override watch<T extends KubeObject = KubeObject>(r: ResourceRef, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): WatchHandle {
    this.watches++;
    const handle = super.watch(r, options, onEvent);
    handle.done.catch(() => this.failedWatches++);
    return handle;
  }
}

const cm = (name: string, data: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

function recorder(informer: ListWatchInformer) {
  const seen: string[] = [];
  informer.addHandlers({
    onAdd: (o) => seen.push(`add ${o.metadata.name}`),
    onUpdate: (_old, o) => seen.push(`update ${o.metadata.name} ${JSON.stringify(o.data ?? {})}`),
    onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
  });
  return seen;
}

t.test('list and watch see what exists, then creates, updates and deletes, in order', async (t) => {
  const { h, client } = await cluster(t);
  await h.request('POST', CMS, cm('before'));
  const informer = new ListWatchInformer({ client, resource: Resources.configmaps, namespace: 'default' });
  t.teardown(() => informer.stop());
  const seen = recorder(informer);
  informer.start();
  await informer.waitForSync();
  t.same(seen, ['add before']);
  await h.request('POST', CMS, cm('a'));
  await h.request('PATCH', `${CMS}/a`, { data: { k: 'v' } }, { 'content-type': 'application/merge-patch+json' });
  await h.request('DELETE', `${CMS}/before`);
  await pollUntil('three more events', () => seen.length >= 4, 10_000);
  t.same(seen, ['add before', 'add a', 'update a {"k":"v"}', 'delete before']);
  t.same(
    informer.lister.list().map((o) => o.metadata.name),
    ['a'],
  );
  t.same(informer.lister.get('default/a')?.data, { k: 'v' });
  t.equal(informer.lister.byIndex(IndexNames.namespace, 'default').length, 1);
});

t.test('a watch the server ends at its timeout is resumed without losing or repeating an event', async (t) => {
  const { h, client } = await cluster(t);
  const informer = new ListWatchInformer({ client, resource: Resources.configmaps, minWatchTimeoutSeconds: 1, rng: () => 0 });
  t.teardown(() => informer.stop());
  const seen = recorder(informer);
  informer.start();
  await informer.waitForSync();
  let n = 0;
  // Keep writing until the informer has gone through several watches; every write must show up once.
  while (client.watches < 4 || n < 10) {
    await h.request('POST', CMS, cm(`c${n}`));
    const name = `c${n}`;
    await pollUntil(`the informer to see ${name}`, () => informer.lister.get(`default/${name}`), 10_000);
    n++;
  }
  t.same(
    seen,
    Array.from({ length: n }, (_, i) => `add c${i}`),
  );
  t.equal(client.failedWatches, 0, 'every watch ended normally');
  t.equal(informer.relistCount(), 0, 'resumed, never relisted');
});

t.test('a watch cut by the server is resumed after a backoff without losing or repeating an event', async (t) => {
  const { h, client } = await cluster(t);
  const informer = new ListWatchInformer({ client, resource: Resources.configmaps, backoffInitialMs: 10 });
  t.teardown(() => informer.stop());
  const seen = recorder(informer);
  informer.start();
  await informer.waitForSync();
  for (let round = 0; round < 3; round++) {
    const failed = client.failedWatches;
    // The watch may still be connecting: cut until the informer notices.
    await pollUntil('the cut to be noticed', () => {
      h.api.app.server.closeAllConnections();
      return client.failedWatches > failed;
    });
    // Writes through inject (no sockets), around the informer's reconnection.
    await h.request('POST', CMS, cm(`r${round}a`));
    await h.request('POST', CMS, cm(`r${round}b`));
    await pollUntil(`round ${round} to arrive`, () => informer.lister.get(`default/r${round}b`), 10_000);
  }
  t.same(seen, ['add r0a', 'add r0b', 'add r1a', 'add r1b', 'add r2a', 'add r2b']);
  t.equal(informer.relistCount(), 0);
});

t.test('a compacted resourceVersion (410) makes the informer relist and report what changed meanwhile', async (t) => {
  const { h, client } = await cluster(t, { eventWindowMax: 5 });
  const clock = new FakeClock();
  const informer = new ListWatchInformer({ client, resource: Resources.configmaps, clock, rng: () => 0 });
  t.teardown(() => informer.stop());
  for (const name of ['a', 'b', 'c']) await h.request('POST', CMS, cm(name));
  informer.start();
  await informer.waitForSync();
  const seen = recorder(informer);
  seen.length = 0; // the late handler's replay
  // Cut the watch: the informer waits for its backoff on the fake clock while the world moves on.
  await pollUntil('the informer to wait', () => {
    h.api.app.server.closeAllConnections();
    return informer.currentState() === 'waiting';
  });
  await h.request('PATCH', `${CMS}/a`, { data: { k: 'v' } }, { 'content-type': 'application/merge-patch+json' });
  await h.request('DELETE', `${CMS}/b`);
  await h.request('POST', CMS, cm('d'));
  for (let i = 0; i < 10; i++) {
    await h.request('POST', CMS, cm(`filler${i}`));
    await h.request('DELETE', `${CMS}/filler${i}`);
  }
  clock.advance(1000);
  await pollUntil('a relist', () => informer.relistCount() === 1, 10_000);
  t.same(seen.sort(), ['add d', 'delete b', 'update a {"k":"v"}']);
  t.same(
    informer.lister
      .list()
      .map((o) => o.metadata.name)
      .sort(),
    ['a', 'c', 'd'],
  );
  // And it watches again from the fresh list.
  await h.request('POST', CMS, cm('e'));
  await pollUntil('the new watch to deliver', () => seen.includes('add e'), 10_000);
});

t.test('an informer with a label selector sees objects enter and leave its selection', async (t) => {
  const { h, client } = await cluster(t);
  const informer = new ListWatchInformer({ client, resource: Resources.configmaps, labelSelector: 'app=web' });
  t.teardown(() => informer.stop());
  const seen = recorder(informer);
  informer.start();
  await informer.waitForSync();
  await h.request('POST', CMS, { ...cm('x'), metadata: { name: 'x', labels: { app: 'db' } } });
  await h.request('POST', CMS, { ...cm('y'), metadata: { name: 'y', labels: { app: 'web' } } });
  await h.request('PATCH', `${CMS}/y`, { metadata: { labels: { app: 'db' } } }, { 'content-type': 'application/merge-patch+json' });
  await pollUntil('y to leave', () => seen.length >= 2, 10_000);
  t.same(seen, ['add y', 'delete y']);
});

t.test('the factory shares one informer per resource and selectors, and syncs them all', async (t) => {
  const { h, client } = await cluster(t);
  await h.request('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  const factory = new InformerFactory({ client });
  t.teardown(() => factory.stop());
  const source: InformerSource = factory;
  const pods = source.informerFor(Resources.pods);
  t.equal(factory.informerFor(Resources.pods), pods, 'same resource, same informer');
  t.not(factory.informerFor(Resources.pods, { labelSelector: 'a=b' }), pods, 'other selectors, other informer');
  const byImage = (o: KubeObject) => ((o.spec as { containers?: { image: string }[] }).containers ?? []).map((c) => c.image);
  factory.informerFor(Resources.pods, { indexers: { image: byImage } });
  factory.start();
  await factory.waitForSync();
  t.equal(factory.hasSynced(), true);
  t.same(
    pods.lister.byIndex('image', 'busybox').map((o) => o.metadata.name),
    ['p'],
    'indexers added by a second caller index what is cached',
  );
  const late = factory.informerFor(Resources.configmaps);
  await late.waitForSync();
  t.pass('an informer asked for after start starts by itself');
  t.throws(() => factory.informerFor(Resources.pods, { indexers: { image: () => [] } }), /already exists/);
  await factory.stop();
  t.throws(() => factory.informerFor(Resources.nodes), /stopped/);
});
