import t from 'tap';
import { ListWatchInformer } from '../../../../kube/cache/informer.js';
import { IndexNames } from '../../../../kube/cache/lister.js';
import { ApiStatusError } from '../../../../kube/client/api-client.js';
import { Resources } from '../../../../kube/client/resource.js';
import { FakeClock } from '../../../../kube/clock.js';
import type { KubeObject } from '../../../../kube/object.js';
import { cm, flush, ScriptedApiClient } from './scripted-api-client.js';

function setup(options: { pageSize?: number; rng?: () => number } = {}) {
  const client = new ScriptedApiClient();
  const clock = new FakeClock();
  const informer = new ListWatchInformer<KubeObject>({
    client,
    resource: Resources.configmaps,
    clock,
    rng: options.rng ?? (() => 0),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  const seen: string[] = [];
  informer.addHandlers({
    onAdd: (o) => seen.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}`),
    onUpdate: (old, o) => seen.push(`update ${o.metadata.name}@${old.metadata.resourceVersion}->${o.metadata.resourceVersion}`),
    onDelete: (o) => seen.push(`delete ${o.metadata.name}@${o.metadata.resourceVersion}`),
  });
  return { client, clock, informer, seen };
}

t.test('the first list reads the apiserver cache (resourceVersion 0) and the watch starts from its resourceVersion with bookmarks', async (t) => {
  const { client, informer, seen } = setup();
  client.answerList([cm('a', '3'), cm('b', '4')], '10');
  informer.start();
  await informer.waitForSync();
  await flush();
  t.same(client.lists, [{ resourceVersion: '0' }]);
  t.same(seen, ['add a@3', 'add b@4']);
  t.match(client.lastWatch().options, { resourceVersion: '10', allowWatchBookmarks: true, timeoutSeconds: 300 });
  await informer.stop();
});

t.test('watch timeouts are drawn between 300 and 600 seconds from the rng', async (t) => {
  const { client, informer } = setup({ rng: () => 0.999 });
  client.answerList([], '1');
  informer.start();
  await flush();
  t.equal(client.lastWatch().options.timeoutSeconds, 599);
  await informer.stop();
});

t.test('watch events update the cache before handlers run, in order', async (t) => {
  const { client, informer, seen } = setup();
  client.answerList([], '1');
  const cachedAtCall: (string | undefined)[] = [];
  informer.addHandlers({ onAdd: (o) => cachedAtCall.push(informer.lister.get(`default/${o.metadata.name}`)?.metadata.resourceVersion) });
  informer.start();
  await flush();
  const w = client.lastWatch();
  w.emit('ADDED', cm('a', '2'));
  w.emit('MODIFIED', cm('a', '3'));
  w.emit('ADDED', cm('b', '4'));
  w.emit('DELETED', cm('a', '5'));
  t.same(seen, ['add a@2', 'update a@2->3', 'add b@4', 'delete a@5']);
  t.same(cachedAtCall, ['2', '4']);
  t.same(
    informer.lister.list().map((o) => o.metadata.name),
    ['b'],
  );
  t.same(
    informer.lister.byIndex(IndexNames.namespace, 'default').map((o) => o.metadata.name),
    ['b'],
  );
  t.equal(informer.lastSyncResourceVersion(), '5');
  await informer.stop();
});

t.test('a bookmark only moves the resourceVersion, and a watch the server ends is reopened from it at once', async (t) => {
  const { client, informer, seen } = setup();
  client.answerList([], '1');
  informer.start();
  await flush();
  client.lastWatch().emit('BOOKMARK', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '42' } });
  t.same(seen, []);
  t.equal(informer.lister.list().length, 0);
  client.lastWatch().end();
  await flush();
  t.equal(client.watches.length, 2, 'reopened without waiting for the clock');
  t.equal(client.lastWatch().options.resourceVersion, '42');
  t.equal(client.lists.length, 1, 'no relist');
  await informer.stop();
});

t.test('a transport error reopens the watch from the last resourceVersion after a backoff on the clock', async (t) => {
  const { client, clock, informer, seen } = setup();
  client.answerList([], '1');
  informer.start();
  await flush();
  client.lastWatch().emit('ADDED', cm('a', '7'));
  client.lastWatch().fail(new ApiStatusError(0, 'ServiceUnavailable', 'reset'));
  await flush();
  t.equal(client.watches.length, 1, 'waits before retrying');
  t.equal(informer.currentState(), 'waiting');
  clock.advance(1000);
  await flush();
  t.equal(client.watches.length, 2);
  t.equal(client.lastWatch().options.resourceVersion, '7');
  // Failing again without delivering anything doubles the wait.
  client.lastWatch().fail(new ApiStatusError(0, 'ServiceUnavailable', 'refused'));
  await flush();
  clock.advance(1000);
  await flush();
  t.equal(client.watches.length, 2, 'the second wait is longer than 1 s');
  clock.advance(1000);
  await flush();
  t.equal(client.watches.length, 3);
  t.same(seen, ['add a@7'], 'nothing replayed');
  await informer.stop();
});

t.test('an ERROR 410 event relists with a consistent read and reports only the differences', async (t) => {
  const { client, informer, seen } = setup();
  client.answerList([cm('a', '2'), cm('b', '3'), cm('c', '4')], '4');
  informer.start();
  await flush();
  seen.length = 0;
  client.answerList([cm('a', '9'), cm('c', '4'), cm('d', '8')], '10');
  client.lastWatch().emit('ERROR', { kind: 'Status', apiVersion: 'v1', code: 410, reason: 'Expired', message: 'too old resource version' });
  client.lastWatch().end();
  await flush();
  t.same(client.lists[1], { resourceVersion: '' });
  t.same(seen.sort(), ['add d@8', 'delete b@3', 'update a@2->9']);
  t.equal(informer.relistCount(), 1);
  t.equal(client.lastWatch().options.resourceVersion, '10');
  await informer.stop();
});

t.test('a watch rejected with 410 also relists', async (t) => {
  const { client, informer } = setup();
  client.answerList([], '4');
  informer.start();
  await flush();
  client.answerList([], '20');
  client.lastWatch().fail(new ApiStatusError(410, 'Expired', 'gone'));
  await flush();
  t.same(client.lists[1], { resourceVersion: '' });
  t.equal(client.lastWatch().options.resourceVersion, '20');
  await informer.stop();
});

t.test('another in-stream ERROR relists from the last resourceVersion after a backoff', async (t) => {
  const { client, clock, informer } = setup();
  client.answerList([], '4');
  informer.start();
  await flush();
  client.lastWatch().emit('ERROR', { kind: 'Status', apiVersion: 'v1', code: 500, reason: 'InternalError' });
  client.lastWatch().end();
  await flush();
  t.equal(client.lists.length, 1);
  client.answerList([], '6');
  clock.advance(1000);
  await flush();
  t.same(client.lists[1], { resourceVersion: '4' });
  await informer.stop();
});

t.test('a failed list is retried after a backoff and sync waits for it', async (t) => {
  const { client, clock, informer } = setup();
  client.failList(new ApiStatusError(0, 'ServiceUnavailable', 'refused'));
  informer.start();
  await flush();
  t.equal(informer.hasSynced(), false);
  client.answerList([cm('a', '1')], '1');
  clock.advance(1000);
  await informer.waitForSync();
  t.equal(informer.lister.list().length, 1);
  await informer.stop();
});

t.test('pages are followed with their continue token when a page size is set', async (t) => {
  const { client, informer } = setup({ pageSize: 2 });
  client.answerList([cm('a', '1'), cm('b', '2')], '5', 'tok1');
  client.answerList([cm('c', '3')], '5');
  informer.start();
  await informer.waitForSync();
  t.same(client.lists, [
    { resourceVersion: '0', limit: 2 },
    { continue: 'tok1', limit: 2 },
  ]);
  t.equal(informer.lister.list().length, 3);
  await flush();
  t.equal(client.lastWatch().options.resourceVersion, '5', 'the first page resourceVersion');
  await informer.stop();
});

t.test('a handler added after sync hears of every cached object first', async (t) => {
  const { client, informer } = setup();
  client.answerList([cm('a', '1'), cm('b', '2')], '2');
  informer.start();
  await informer.waitForSync();
  const late: string[] = [];
  informer.addHandlers({ onAdd: (o) => late.push(o.metadata.name ?? '') });
  t.same(late.sort(), ['a', 'b']);
  await informer.stop();
});

t.test('a throwing handler does not stop the informer or the other handlers', async (t) => {
  const { client, informer, seen } = setup();
  client.answerList([], '1');
  informer.addHandlers({
    onAdd: () => {
      throw new Error('boom');
    },
  });
  informer.start();
  await flush();
  client.lastWatch().emit('ADDED', cm('a', '2'));
  client.lastWatch().emit('ADDED', cm('b', '3'));
  t.same(seen, ['add a@2', 'add b@3']);
  t.equal(informer.lister.list().length, 2);
  await informer.stop();
});

t.test('garbage events are ignored and list items get their kind', async (t) => {
  const { client, informer, seen } = setup();
  client.answerList([{ metadata: { name: 'bare', namespace: 'default', resourceVersion: '1' } } as unknown as KubeObject], '1');
  informer.start();
  await flush();
  t.match(informer.lister.get('default/bare'), { kind: 'ConfigMap', apiVersion: 'v1' });
  const w = client.lastWatch();
  w.emit('ADDED', { nonsense: true });
  w.emit('WHATEVER' as 'ADDED', cm('x', '5'));
  w.emit('ADDED', cm('ok', '6'));
  t.same(seen, ['add bare@1', 'add ok@6']);
  await informer.stop();
});

t.test('stop ends the watch, and waitForSync rejects when stopped before sync', async (t) => {
  const { client, informer } = setup();
  client.failList(new ApiStatusError(0, 'ServiceUnavailable', 'refused'));
  informer.start();
  const sync = informer.waitForSync();
  await informer.stop();
  await t.rejects(sync, /stopped before it synced/);
  t.equal(informer.currentState(), 'stopped');

  const second = setup();
  second.client.answerList([], '1');
  second.informer.start();
  await flush();
  await second.informer.stop();
  t.equal(second.client.lastWatch().stopped, true);
  await flush();
  t.equal(second.client.watches.length, 1, 'not reopened');
});
